// What the tests that train share: whether native TensorFlow loads, a ResNet in small, how close
// two arrays of its values are, and a setting changed for one block.
import { createRequire } from 'node:module';
import { BatchNormalization, tfl } from '@prune/compute';

export function nativeBindingLoads(): boolean {
  try {
    createRequire(import.meta.url)('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

/** Runs `run` with the environment variable `name` set to `value`, then restores it. */
export async function withEnv<T>(name: string, value: string, run: () => Promise<T> | T): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await run();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

/** Largest |a-b| relative to the largest |reference|, so 1e-4 means "agrees to 4 digits". */
export function relativeError(actual: Float32Array, reference: Float32Array): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - reference[i]!));
    maxRef = Math.max(maxRef, Math.abs(reference[i]!));
  }
  return maxDiff / maxRef;
}

/** conv-BN-ReLU twice around an identity shortcut, a stride-2 conv, pooling, a classifier: a ResNet in small. */
export function smallResNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  const conv = (filters: number, strides: number) =>
    tfl.layers.conv2d({
      filters,
      kernelSize: 3,
      strides,
      padding: 'same',
      useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed: filters + strides }),
    });
  const bn = () => new BatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
  const relu = () => tfl.layers.activation({ activation: 'relu' });
  const stem = relu().apply(bn().apply(conv(8, 1).apply(input))) as tfl.SymbolicTensor;
  let branch = relu().apply(bn().apply(conv(8, 1).apply(stem))) as tfl.SymbolicTensor;
  branch = bn().apply(conv(8, 1).apply(branch)) as tfl.SymbolicTensor;
  let x = relu().apply(tfl.layers.add().apply([branch, stem])) as tfl.SymbolicTensor;
  x = relu().apply(bn().apply(conv(16, 2).apply(x))) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 7 }) })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits });
}
