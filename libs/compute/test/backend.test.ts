import { describe, expect, it } from 'vitest';
import { activeEngine, BACKEND_NAMES, BackendError, initBackend, parseBackendName, tf } from '@prune/compute';

describe('backend selection', () => {
  it('accepts every documented name, case-insensitively, and defaults to auto', () => {
    for (const name of BACKEND_NAMES) expect(parseBackendName(name.toUpperCase())).toBe(name);
    expect(parseBackendName(undefined)).toBe('auto');
    expect(parseBackendName('')).toBe('auto');
  });

  it('rejects an unknown name with a message listing the valid ones', () => {
    expect(() => parseBackendName('gpu')).toThrow(BackendError);
    expect(() => parseBackendName('gpu')).toThrow(
      'PRUNE_BACKEND="gpu" is not a backend; valid names are: auto, tensorflow, wasm, cpu',
    );
  });

  it('auto picks native TensorFlow where its binding was built, else wasm, and logs the choice', async () => {
    const lines: string[] = [];
    const backend = await initBackend('auto', (line) => lines.push(line));
    // npm ci builds tfjs-node's binding where it can; CI requires it (PRUNE_REQUIRE_NATIVE=1).
    if (process.env['PRUNE_REQUIRE_NATIVE'] === '1' && process.env['PRUNE_BACKEND'] !== 'wasm')
      expect(backend.name).toBe('tensorflow');
    expect(['wasm', 'tensorflow']).toContain(backend.name);
    expect(tf.getBackend()).toBe(backend.name);
    expect(lines.join('\n')).toMatch(new RegExp(`TF.js backend: ${backend.name} `));
    if (backend.name === 'wasm') expect(backend.detail).toMatch(/SIMD on/);
    // what latency and energy figures call it: a CUDA build of TensorFlow is a GPU's engine
    expect(activeEngine()).toBe(
      backend.name === 'tensorflow' && /CUDA/.test(backend.detail) ? 'tfjs-tensorflow-gpu' : `tfjs-${backend.name}`,
    );
  });

  it('an explicit tensorflow request fails clearly when no binding loads', async () => {
    let loads = true;
    try {
      (await import('node:module')).createRequire(import.meta.url)('@tensorflow/tfjs-node');
    } catch {
      loads = false;
    }
    if (loads) return; // a machine with libtensorflow: nothing to check here
    await expect(initBackend('tensorflow', () => {})).rejects.toThrow(
      /PRUNE_BACKEND=tensorflow but no TensorFlow binding loads: @tensorflow\/tfjs-node-gpu: /,
    );
  });
});
