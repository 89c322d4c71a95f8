// One command for a newcomer: `prune run` with no coordinator starts the services on this
// machine, prunes, prints the report and writes the pruned model where the user asked.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { initBackend, tf } from '@prune/compute';
import { loadCifar10Lossless4000, sharedDir, takeFirst } from '@prune/data';
import { loadModel, parsePreprocessing, preprocessImages } from '@prune/models';
import { makeTestCertificates } from '@prune/service-kit';

const BIN = path.resolve(import.meta.dirname, '../bin/prune.js');
const RESNET20 = path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json');
const RESNET20_ONNX = path.resolve(import.meta.dirname, '../../../libs/models/test/fixtures/resnet20-cifar.onnx');

function prune(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { PRUNE_COORDINATOR: _, ...rest } = process.env;
    execFile(
      process.execPath,
      [BIN, ...args],
      { encoding: 'utf8', env: { ...rest, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('prune run --local', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-run-local-'));
  const certificates = makeTestCertificates(dir);
  // Every service and client of the run: mutual TLS and a bearer token (what the mTLS overlay sets).
  const env = {
    PRUNE_STORE_DIR: path.join(dir, 'store'),
    PRUNE_TLS_CERT: certificates.server.cert,
    PRUNE_TLS_KEY: certificates.server.key,
    PRUNE_TLS_CA: certificates.ca,
    PRUNE_AUTH_TOKEN: 'a-test-token-of-32-characters-xx',
  };
  const tiny = ['--iterations', '1', '--candidate-steps', '3', '--selected-steps', '3', '--calibration', '16'];
  const small = ['--validation-examples', '200', '--test-examples', '200', '--batch-size', '32'];

  it('starts the services (mutual TLS and a token between all of them), prunes a PyTorch-exported ONNX model and writes it as ONNX that ONNX Runtime runs as we do', async () => {
    const out = path.join(dir, 'pruned.onnx');
    const run = await prune(
      env,
      'run',
      '--local',
      '--model',
      RESNET20_ONNX,
      '--preprocessing',
      'torch-cifar',
      '--data',
      'cifar10-jpeg',
      ...tiny,
      ...small,
      '--out',
      out,
    );
    expect(run.stderr).toContain('--local: starting the services on this machine');
    expect(run.stderr).toMatch(/ {2}coordinator {2}127\.0\.0\.1:\d+ \(mutual TLS, bearer token\)/);
    expect(run.stderr).toMatch(/ {2}trainer {6}127\.0\.0\.1:\d+ \(mutual TLS, bearer token\)/);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/run run-\S+: succeeded/);
    expect(run.stderr).toContain(`pruned model written to ${out} (pruned.onnx)`);
    const inspected = await prune(env, 'inspect', out);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(JSON.parse(inspected.stdout).macs).toBeLessThan(40_554_000); // the parent's 40.55M MACs

    // ONNX Runtime computes what TF.js computes with the same file, on real images.
    await initBackend(undefined, () => {});
    const { model, metadata } = await loadModel(out);
    expect(metadata.preprocessing).toEqual(parsePreprocessing('torch-cifar'));
    const data = takeFirst(loadCifar10Lossless4000(), 100);
    const x = preprocessImages(data.pixels, [data.count, 32, 32, 3], metadata.preprocessing!);
    const session = await ort.InferenceSession.create(out);
    const nchw = tf.transpose(x, [0, 3, 1, 2]);
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', nchw.dataSync() as Float32Array, nchw.shape) };
    const runtime = (await session.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
    const ours = (model.predict(x) as tf.Tensor).dataSync();
    expect(Math.max(...runtime.map((v, i) => Math.abs(v - ours[i]!)))).toBeLessThan(1e-4);
  });

  it('never writes into a folder that has files, and refuses --detach for services it would stop', async () => {
    const full = path.join(dir, 'full');
    fs.mkdirSync(full);
    fs.writeFileSync(path.join(full, 'mine.txt'), 'keep me');
    const refused = await prune(
      env,
      'run',
      '--model',
      RESNET20,
      '--data',
      'cifar10-jpeg',
      '--iterations',
      '1',
      '--out',
      full,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--out: ${full} exists and is not an empty folder; name a new folder`);
    expect(fs.readFileSync(path.join(full, 'mine.txt'), 'utf8')).toBe('keep me');
    const detached = await prune(env, 'run', '--local', '--detach', '--model', RESNET20, '--data', 'cifar10-jpeg');
    expect(detached.code).toBe(2);
    expect(detached.stderr).toContain('--detach: a run started with its own services stops with them');
  });
});
