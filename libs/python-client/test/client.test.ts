// The Python client against the real coordinator: the README's example prunes ResNet-20 through
// every service on loopback, follows the run, reads the report and downloads the pruned model
// (checked against its digest); a refused config comes back naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@prune/compute';
import { sharedDir } from '@prune/data';
import { loadModel, modelCost } from '@prune/models';
import { pythonEnvironment, startLocalServices, type LocalServices } from '@prune/service-kit';

const EXAMPLE = path.resolve(import.meta.dirname, '../examples/prune_model.py');
const RESNET20 = path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json');

function example(python: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(python, [EXAMPLE, ...args], { encoding: 'utf8', timeout: 300_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('prune_client (Python) against the real coordinator', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'python-client-'));
  let python: string;
  let services: LocalServices;

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    python = await pythonEnvironment('client', ['grpcio', 'grpcio-tools', 'protobuf'], ['grpc', 'grpc_tools']);
    services = await startLocalServices(path.resolve(import.meta.dirname, '../../../services'), {
      env: { PRUNE_STORE_DIR: path.join(dir, 'store') },
      trainers: 1,
    });
  });
  afterAll(async () => {
    await services?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts a run, follows it, reports it and downloads the pruned model', async () => {
    const out = path.join(dir, 'pruned');
    const result = await example(python, [
      ...['--coordinator', services.coordinator, '--model', RESNET20, '--data', 'cifar10-jpeg'],
      ...['--iterations', '1', '--candidate-steps', '3', '--selected-steps', '3'],
      ...['--validation-examples', '200', '--test-examples', '200', '--out', out],
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^run run-\S+ started$/m);
    expect(result.stdout).toMatch(/^iteration 1: chose [LF], MACs \d+\.\d\dM, test \d+\.\d\d%$/m);
    expect(result.stdout).toMatch(/^MACs: 40\.55M -> \d+\.\d\dM \(-\d+\.\d\d%\)$/m);
    expect(result.stdout).toMatch(/^model store:\/\/dirs\/[0-9a-f]{64} written to /m);
    expect(fs.readdirSync(out).sort()).toEqual(['model.json', 'weights.bin']);

    // The same model as ONNX, converted by the system: an ONNX file our importer reads back.
    const runId = /^run (run-\S+) started$/m.exec(result.stdout)![1]!;
    const onnx = path.join(dir, 'pruned.onnx');
    const script = [
      'import sys',
      `sys.path.insert(0, ${JSON.stringify(path.resolve(import.meta.dirname, '..'))})`,
      'from prune_client import PruneClient',
      `PruneClient(${JSON.stringify(services.coordinator)}).download(${JSON.stringify(runId)}, ${JSON.stringify(onnx)}, format="onnx")`,
    ].join('\n');
    const downloaded = await new Promise<string>((resolve) =>
      execFile(python, ['-c', script], { encoding: 'utf8' }, (error, _, stderr) => resolve(error ? stderr : '')),
    );
    expect(downloaded).toBe('');
    const { model, metadata } = await loadModel(onnx);
    expect(metadata.preprocessing?.kind).toBe('channel-mean-std');
    expect(modelCost(model).macs).toBeLessThan(40_551_040);
  });

  it('a refused configuration comes back with the status and the field', async () => {
    const result = await example(python, [
      ...['--coordinator', services.coordinator, '--model', '/nonexistent/model.json', '--out', path.join(dir, 'x')],
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^refused: (INVALID_ARGUMENT|NOT_FOUND): config\.model\.uri: /m);
  });
});
