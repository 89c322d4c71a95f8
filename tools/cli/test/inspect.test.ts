import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sharedDir } from '@prune/data';

const BIN = path.resolve(import.meta.dirname, '../bin/prune.js');
const PONS9 = path.join(sharedDir(), 'models/keras-resnet56-pons/resnet56-pons-iter9.json');
const RESNET20 = path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json');

// libtensorflow 2.21 prints these two lines when it loads (absl logging before initialization,
// not governed by TF_CPP_MIN_LOG_LEVEL); anything else on stderr is ours and must not be there.
const TENSORFLOW_LOAD_BANNER =
  /^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR|I\d{4} [\d:. ]+\d+ port\.cc:\d+\] oneDNN custom operations are on\..*)$/;
const ownLines = (stderr: string) => stderr.split('\n').filter((line) => line && !TENSORFLOW_LOAD_BANNER.test(line));

function prune(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npx prune inspect', () => {
  it('prints the cost and structures of a Keras model as JSON', () => {
    const { code, stdout } = prune('inspect', PONS9);
    expect(code).toBe(0);
    const info = JSON.parse(stdout);
    expect(info.macs).toBe(78561920);
    expect(info.params).toBe(660586);
    expect(info.removableBlocks.length).toBeGreaterThan(0);
    expect(info.filterGroups.length).toBeGreaterThan(0);
  });

  it('writes a pruned Keras model as a Keras 3 .keras file that inspects as smaller', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'prune-cli-')), 'pruned.keras');
    const info = JSON.parse(prune('inspect', PONS9).stdout);
    const block = info.removableBlocks[0].id;
    const pruned = prune('inspect', PONS9, '--remove-blocks', block, '--out', out);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.stdout).saved).toBe(out);
    const reloaded = prune('inspect', out);
    expect(reloaded.code, reloaded.stderr).toBe(0);
    expect(JSON.parse(reloaded.stdout).macs).toBe(JSON.parse(pruned.stdout).macs);
    expect(JSON.parse(reloaded.stdout).macs).toBeLessThan(info.macs);
  });

  it('writes a pruned model that inspects as smaller', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-cli-'));
    const { code, stdout, stderr } = prune(
      'inspect',
      RESNET20,
      '--remove-blocks',
      'layer1.1.add,layer3.2.add',
      '--remove-filters',
      'layer2.0.conv1=0,1,2,3',
      '--out',
      out,
    );
    expect(ownLines(stderr)).toEqual([]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.parent.macs).toBe(40551040);
    expect(result.saved).toBe(path.join(out, 'model.json'));
    const again = JSON.parse(prune('inspect', result.saved).stdout);
    expect(again.macs).toBe(result.macs);
    expect(again.macs).toBeLessThan(40551040);
    expect(again.removableBlocks.map((b: { id: string }) => b.id)).not.toContain('layer1.1.add');
    expect(again.filterGroups.find((g: { id: string }) => g.id === 'layer2.0.conv1').channels).toBe(28);
  });

  it('explains bad arguments (exit 2) and bad structures (exit 1)', () => {
    const usage = prune('inspect', RESNET20, '--remove-filters', 'layer2.0.conv1');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--remove-filters: expected <group>=<channel>,<channel>,...');
    const unknown = prune('inspect', RESNET20, '--remove-blocks', 'layer2.0.add');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('block "layer2.0.add" is not a removable residual block');
    expect(prune('frobnicate').code).toBe(2);
  });
});

describe('npx prune export', () => {
  it('writes a model as ONNX (preprocessing kept) and back as TF.js, with the same cost; measures latency', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-export-'));
    const onnx = path.join(dir, 'resnet20.onnx');
    const written = prune('export', RESNET20, '--out', onnx);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout.trim()).toBe(`wrote ${onnx}`);
    expect(ownLines(written.stderr)).toEqual([]); // the ONNX file records the preprocessing: no note
    const back = prune('export', onnx, '--out', path.join(dir, 'tfjs'));
    expect(back.code, back.stderr).toBe(0);
    const stored = JSON.parse(fs.readFileSync(path.join(dir, 'tfjs', 'model.json'), 'utf8'));
    expect(stored.userDefinedMetadata.preprocessing.kind).toBe('channel-mean-std');
    const inspected = prune('inspect', onnx, '--latency');
    expect(inspected.code, inspected.stderr).toBe(0);
    const info = JSON.parse(inspected.stdout);
    expect(info.macs).toBe(40551040);
    expect(info.latency.map((l: { engine: string; batch: number }) => `${l.engine}@${l.batch}`)).toEqual([
      expect.stringMatching(/^tfjs-\w+@1$/),
      'onnxruntime-cpu@1',
      expect.stringMatching(/^tfjs-\w+@64$/),
      'onnxruntime-cpu@64',
    ]);
    for (const l of info.latency) expect(l.medianMs).toBeGreaterThan(0);
  });

  it('refuses an existing --out, an unknown format and a format the file name contradicts (exit 2)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-export-'));
    expect(prune('export', RESNET20, '--out', dir).stderr).toContain(`--out: ${dir} exists; name a new file or folder`);
    const unknown = prune('export', RESNET20, '--out', path.join(dir, 'x'), '--format', 'tflite');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--format: "tflite" is not a model format; use tfjs, keras, h5, onnx');
    const contradicted = prune('export', RESNET20, '--out', path.join(dir, 'x.keras'), '--format', 'onnx');
    expect(contradicted.code).toBe(2);
    expect(contradicted.stderr).toContain('--format onnx with --out');
  });
});
