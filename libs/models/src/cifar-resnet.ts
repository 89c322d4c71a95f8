// CIFAR ResNets of He et al. (2016): 3 stages of basic blocks at 16/32/64 channels,
// depth = 6n + 2, option-A (parameter-free) shortcuts, global average pooling, linear classifier.
// The layout matches akamaster/pytorch_resnet_cifar10, whose pretrained weights we import.
import { batchNormalization, tfl } from '@prune/compute';
import { OptionAShortcut } from './option-a-shortcut.js';

export interface CifarResNetOptions {
  depth: number;
  numClasses?: number;
  inputShape?: [number, number, number];
  /** Initializer seed; the same seed gives the same weights. */
  seed?: number;
}

/** Number of basic blocks per stage for a CIFAR ResNet of `depth` layers (6n + 2). */
export function blocksPerStage(depth: number): number {
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new Error(`depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, 110, ...), got ${depth}`);
  }
  return (depth - 2) / 6;
}

export function buildCifarResNet(options: CifarResNetOptions): tfl.LayersModel {
  const n = blocksPerStage(options.depth);
  const numClasses = options.numClasses ?? 10;
  let seed = options.seed ?? 0;
  const init = () => tfl.initializers.heNormal({ seed: seed++ });
  const conv = (filters: number, stride: number, name: string) =>
    tfl.layers.conv2d({
      filters,
      kernelSize: 3,
      strides: stride,
      // PyTorch pads 1 on each side; TF's 'same' pads asymmetrically for stride 2, so
      // stride-2 convs get an explicit ZeroPadding2D and 'valid'.
      padding: stride === 1 ? 'same' : 'valid',
      useBias: false,
      kernelInitializer: init(),
      name,
    });
  const bn = (name: string) => batchNormalization({ epsilon: 1e-5, momentum: 0.9, name });
  const relu = (name: string) => tfl.layers.activation({ activation: 'relu', name });

  const input = tfl.input({ shape: options.inputShape ?? [32, 32, 3], name: 'input' });
  let x = conv(16, 1, 'conv1').apply(input) as tfl.SymbolicTensor;
  x = relu('relu1').apply(bn('bn1').apply(x)) as tfl.SymbolicTensor;
  let inPlanes = 16;
  [16, 32, 64].forEach((planes, stageIndex) => {
    for (let b = 0; b < n; b++) {
      const stride = stageIndex > 0 && b === 0 ? 2 : 1;
      const p = `layer${stageIndex + 1}.${b}`;
      let y = x;
      if (stride !== 1) y = tfl.layers.zeroPadding2d({ padding: 1, name: `${p}.pad` }).apply(y) as tfl.SymbolicTensor;
      y = conv(planes, stride, `${p}.conv1`).apply(y) as tfl.SymbolicTensor;
      y = relu(`${p}.relu1`).apply(bn(`${p}.bn1`).apply(y)) as tfl.SymbolicTensor;
      y = conv(planes, 1, `${p}.conv2`).apply(y) as tfl.SymbolicTensor;
      y = bn(`${p}.bn2`).apply(y) as tfl.SymbolicTensor;
      let shortcut = x;
      if (stride !== 1 || inPlanes !== planes) {
        const extra = planes - inPlanes;
        shortcut = new OptionAShortcut({
          padBefore: extra >> 1,
          padAfter: extra - (extra >> 1),
          stride,
          name: `${p}.shortcut`,
        }).apply(x) as tfl.SymbolicTensor;
      }
      x = tfl.layers.add({ name: `${p}.add` }).apply([y, shortcut]) as tfl.SymbolicTensor;
      x = relu(`${p}.relu2`).apply(x) as tfl.SymbolicTensor;
      inPlanes = planes;
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({ units: numClasses, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed++ }), name: 'linear' })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: `resnet${options.depth}` });
}
