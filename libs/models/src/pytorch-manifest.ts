// The pretrained CIFAR ResNets of shared/models/resnet-cifar10: raw little-endian float32
// tensors in PyTorch layout, described by a manifest (name, shape, byteOffset).
import * as fs from 'node:fs';
import { tf } from '@prune/compute';
import { buildCifarResNet } from './cifar-resnet.js';
import { layerRule } from './layer-rules/registry.js';
import { ModelFormatError } from './metadata.js';
import type { LoadedModel } from './layers-format.js';
import { CIFAR_RESNET_PREPROCESSING } from './preprocessing.js';

interface ManifestTensor {
  name: string;
  shape: number[];
  dtype: string;
  byteOffset: number;
}

export async function loadPytorchManifestModel(
  manifestPath: string,
  weightsPath = manifestPath.replace(/\.manifest\.json$/, '.weights.bin'),
): Promise<LoadedModel> {
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { tensors?: ManifestTensor[] };
  if (!Array.isArray(manifest.tensors)) throw new ModelFormatError(`${manifestPath}: no "tensors" list`);
  const bytes = fs.readFileSync(weightsPath);
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const t of manifest.tensors) {
    if (t.dtype !== 'float32')
      throw new ModelFormatError(`${manifestPath}: tensor ${t.name} has dtype ${t.dtype}, only float32 is supported`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.byteOffset + count * 4 > bytes.byteLength) {
      throw new ModelFormatError(
        `${weightsPath}: tensor ${t.name} needs bytes ${t.byteOffset}..${t.byteOffset + count * 4}, the file has ${bytes.byteLength} (truncated)`,
      );
    }
    const values = new Float32Array(count);
    Buffer.from(values.buffer).set(bytes.subarray(t.byteOffset, t.byteOffset + count * 4));
    tensors.set(t.name, { shape: t.shape, values });
  }
  const blocks = new Set([...tensors.keys()].filter((n) => /^layer\d\.\d+\.conv1\.weight$/.test(n))).size;
  const fc = tensors.get('linear.weight');
  if (!fc || blocks === 0 || blocks % 3 !== 0)
    throw new ModelFormatError(
      `${manifestPath}: not a CIFAR ResNet (found ${blocks} blocks, linear.weight ${fc ? 'present' : 'missing'})`,
    );
  const model = buildCifarResNet({ depth: 2 * blocks + 2, numClasses: fc.shape[0] });

  const take = (name: string, layer: string, perm?: number[]) => {
    const t = tensors.get(name);
    if (!t) throw new ModelFormatError(`${manifestPath}: layer "${layer}" needs tensor ${name}, which is missing`);
    return tf.tidy(() => (perm ? tf.transpose(tf.tensor(t.values, t.shape), perm) : tf.tensor(t.values, t.shape)));
  };
  for (const layer of model.layers) {
    const torchWeights = layerRule(layer.getClassName(), layer.name).torchWeights;
    if (!torchWeights) continue;
    // Weights a layer was built without (a convolution's bias) are absent from the state dict too.
    const values = torchWeights
      .slice(0, layer.weights.length)
      .map(({ suffix, permutation }) => take(`${layer.name}.${suffix}`, layer.name, permutation));
    values.forEach((v, i) => {
      const expected = layer.weights[i]!.shape as number[];
      if (v.shape.join('x') !== expected.join('x')) {
        throw new ModelFormatError(
          `${manifestPath}: layer "${layer.name}" weight ${i} has shape [${v.shape}] after layout conversion, expected [${expected}]`,
        );
      }
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
  return { model, metadata: { preprocessing: CIFAR_RESNET_PREPROCESSING, source: manifestPath } };
}
