// ONNX in and out, checked against ONNX Runtime (onnxruntime-node): files written by PyTorch's two
// exporters (fixtures/make_onnx.py) import to the outputs ONNX Runtime computes on real CIFAR-10
// images, their residual blocks and filters are found, and every model we hold (pruned ones too)
// exports to ONNX that ONNX Runtime runs to our outputs. Malformed files fail naming the node.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf, tfl } from '@prune/compute';
import {
  CIFAR_RESNET_PREPROCESSING,
  exportOnnx,
  findFilterGroups,
  findResidualBlocks,
  importOnnx,
  LayerGraph,
  loadModel,
  modelCost,
  parsePreprocessing,
  removeFilters,
  removeResidualBlocks,
} from '../src/index.js';
import { decodeModel, encodeModel, type ModelProto } from '../src/onnx/onnx-proto.js';
import { maxAbsDiff, PONS, realImages, RESNET20 } from './helpers.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const fixture = (name: string) => path.join(FIXTURES, name);

beforeAll(() => initBackend(undefined, () => {}));

/** Runs an ONNX model (a file or bytes) in ONNX Runtime on NHWC images `x` (transposed for NCHW). */
async function runOnnx(
  model: string | Uint8Array,
  x: tf.Tensor4D,
  layout: 'nchw' | 'nhwc' = 'nchw',
): Promise<tf.Tensor> {
  const session = await (typeof model === 'string'
    ? ort.InferenceSession.create(model)
    : ort.InferenceSession.create(model));
  const input = layout === 'nchw' ? tf.transpose(x, [0, 3, 1, 2]) : x;
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input.dataSync() as Float32Array, input.shape) };
  const output = (await session.run(feeds))[session.outputNames[0]!]!;
  await session.release();
  return tf.tensor(output.data as Float32Array, output.dims as number[]);
}

const accuracy = (logits: tf.Tensor, labels: Uint8Array) =>
  tf.tidy(() => tf.mean(tf.equal(tf.argMax(logits, 1), tf.tensor1d(Array.from(labels), 'int32'))).dataSync()[0]!);

const images = (count: number, size = 32) => {
  const { x, labels } = realImages(count, CIFAR_RESNET_PREPROCESSING);
  return { x: size === 32 ? x : (tf.image.resizeBilinear(x, [size, size]) as tf.Tensor4D), labels };
};

describe('ONNX import', () => {
  it.each([
    [
      'resnet20-cifar.onnx',
      'TorchScript exporter, opset 17: F.pad shortcut as constant subgraphs, x.view(x.size(0), -1)',
    ],
    ['resnet20-cifar-dynamo.onnx', 'torch.export exporter, opset 20, weights in an external data file'],
  ])('imports the pretrained ResNet-20 from %s (%s) exactly', async (name) => {
    const { model, metadata } = await loadModel(fixture(name));
    expect(metadata.preprocessing).toBeUndefined(); // never guessed
    const { x, labels } = images(200);
    const ours = model.predict(x) as tf.Tensor;
    const reference = await runOnnx(fixture(name), x);
    expect(maxAbsDiff(ours, reference)).toBeLessThan(1e-4);
    // The shared README: this model classifies 99.80% of these lossless images correctly.
    expect(accuracy(ours, labels)).toBeGreaterThanOrEqual(0.99);

    // The same structures and cost as the same network built from the PyTorch state dict.
    const graph = LayerGraph.of(model);
    const manifest = (await loadModel(RESNET20)).model;
    const manifestGraph = LayerGraph.of(manifest);
    expect(findResidualBlocks(graph)).toHaveLength(findResidualBlocks(manifestGraph).length);
    expect(findFilterGroups(graph).map((g) => g.channels)).toEqual(
      findFilterGroups(manifestGraph).map((g) => g.channels),
    );
    expect(modelCost(model).macs).toBe(modelCost(manifest).macs);
  });

  it('imports an ImageNet-style ResNet (7x7 stem, max-pool, bottlenecks, projections, ReLU6, SiLU)', async () => {
    const { model } = await loadModel(fixture('bottleneck-tiny.onnx'));
    const classes = model.layers.map((l) => l.getClassName());
    expect(classes).toEqual(expect.arrayContaining(['MaxPooling2D', 'ZeroPadding2D', 'GlobalAveragePooling2D']));
    const activations = model.layers.flatMap((l) =>
      l.getClassName() === 'Activation' ? [l.getConfig()['activation']] : [],
    );
    expect(new Set(activations)).toEqual(new Set(['relu', 'relu6', 'swish']));
    const { x } = images(16, 64);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, await runOnnx(fixture('bottleneck-tiny.onnx'), x))).toBeLessThan(
      1e-4,
    );
    const graph = LayerGraph.of(model);
    expect(findResidualBlocks(graph)).toHaveLength(2); // the two identity blocks; projections change shape
    expect(findFilterGroups(graph).length).toBeGreaterThanOrEqual(8); // the inner widths of 4 bottlenecks
  });
});

describe('channel concatenation (Inception, DenseNet)', () => {
  it("imports torch.cat of maps and of pooled vectors to ONNX Runtime's outputs, prunes nothing across it, and exports back", async () => {
    const { model } = await loadModel(fixture('concat-tiny.onnx'));
    expect(model.layers.filter((l) => l.getClassName() === 'Concatenate')).toHaveLength(2);
    const { x } = images(16);
    const ours = model.predict(x) as tf.Tensor;
    expect(maxAbsDiff(ours, await runOnnx(fixture('concat-tiny.onnx'), x))).toBeLessThan(1e-4);
    // Every convolution feeds a concatenation, whose channel offsets the rules do not track: no filter
    // group is offered for pruning (rather than one whose removal would misalign the concatenation).
    expect(findFilterGroups(LayerGraph.of(model))).toEqual([]);
    expect(modelCost(model).macs).toBe(
      // stem 3x3x3x8, branches 1x1x8x6 and 3x3x8x10 at 32x32; mix 3x3x16x12 at 16x16; fc 20x10
      32 * 32 * (27 * 8 + 8 * 6 + 72 * 10) + 16 * 16 * 144 * 12 + 20 * 10,
    );
    expect(maxAbsDiff(ours, await runOnnx(exportOnnx(model), x))).toBeLessThan(1e-4);
    model.dispose();
  });
});

describe('ONNX import refuses what it cannot import, naming the node', () => {
  const bytes = () => fs.readFileSync(fixture('resnet20-cifar.onnx'));
  const edited = (edit: (m: ModelProto) => void) => {
    const proto = decodeModel(bytes(), 'x');
    edit(proto);
    return encodeModel(proto);
  };
  const importing = (data: Uint8Array) => () => importOnnx(data, 'model.onnx');

  it('a truncated file', () => {
    expect(importing(bytes().subarray(0, 50_000))).toThrow(/model\.onnx: not a readable ONNX model .*truncated/);
  });

  it('an operator it has no rule for', () => {
    const data = edited((m) => {
      m.graph!.node!.find((n) => n.opType === 'Relu')!.opType = 'Celu';
    });
    expect(importing(data)).toThrow(/node "\/Relu" \(Celu\): the operator Celu is not supported .*supported: Conv/);
  });

  it('a weight whose shape does not match its input', () => {
    const data = edited((m) => {
      const fc = m.graph!.initializer!.find((t) => t.name === 'linear.weight')!;
      fc.dims = [20, 32];
    });
    expect(importing(data)).toThrow(
      /node "\/linear\/Gemm" \(Gemm\): its weight has 32 input features, its input has 64/,
    );
  });

  it('external data that a link beside the model points elsewhere to', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-link-'));
    fs.copyFileSync(fixture('resnet20-cifar-dynamo.onnx'), path.join(dir, 'model.onnx'));
    fs.symlinkSync(fixture('resnet20-cifar-dynamo.onnx.data'), path.join(dir, 'resnet20-cifar-dynamo.onnx.data'));
    expect(() => importOnnx(fs.readFileSync(path.join(dir, 'model.onnx')), path.join(dir, 'model.onnx'))).toThrow(
      /external data location "resnet20-cifar-dynamo\.onnx\.data" must be a file beside the model/,
    );
  });

  it('a grouped convolution and an old opset', () => {
    const grouped = edited((m) => {
      m.graph!.node!.find((n) => n.opType === 'Conv')!.attribute!.push({ name: 'group', type: 2, i: 3 });
    });
    expect(importing(grouped)).toThrow(
      /node "\/conv1\/Conv" \(Conv\): group=3 \(grouped or depthwise convolution\) is not supported/,
    );
    const old = edited((m) => {
      m.opsetImport = [{ domain: '', version: 9 }];
    });
    expect(importing(old)).toThrow(/opset 9; opset 11 or later is supported/);
  });
});

describe('ONNX export', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-export-'));

  it('exports the Keras ResNet-56 (batch norm, average pooling, flatten, softmax) to the same outputs', async () => {
    const preprocessing = parsePreprocessing('pixel-mean');
    const { model } = await loadModel(PONS('iter19-filters4'), { preprocessing });
    const { x } = realImages(32, preprocessing);
    const expected = model.predict(x) as tf.Tensor;
    for (const layout of ['nchw', 'nhwc'] as const) {
      const onnx = exportOnnx(model, { preprocessing, source: 'test' }, { layout });
      expect(maxAbsDiff(expected, await runOnnx(onnx, x, layout))).toBeLessThan(1e-4);
      // And it imports back (an NHWC input is recognised by the transpose after it).
      expect(
        maxAbsDiff(expected, importOnnx(onnx, `resnet56-${layout}.onnx`).model.predict(x) as tf.Tensor),
      ).toBeLessThan(1e-5);
    }
  });

  it('exports pruned models (blocks and filters removed) that ONNX Runtime runs at the same accuracy', async () => {
    const { model: parent } = await loadModel(fixture('resnet20-cifar.onnx'));
    const shallower = await removeResidualBlocks(parent, [findResidualBlocks(LayerGraph.of(parent))[0]!.id]);
    const group = findFilterGroups(LayerGraph.of(shallower))[0]!;
    const pruned = await removeFilters(shallower, {
      [group.id]: Array.from({ length: group.channels / 2 }, (_, i) => i),
    });
    const { x, labels } = images(200);
    const onnx = exportOnnx(pruned, { preprocessing: CIFAR_RESNET_PREPROCESSING, source: 'test' });
    const ours = pruned.predict(x) as tf.Tensor;
    const runtime = await runOnnx(onnx, x);
    expect(maxAbsDiff(ours, runtime)).toBeLessThan(1e-4);
    expect(accuracy(runtime, labels)).toBe(accuracy(ours, labels));

    // Round trip: the export imports back to the same model, with its declared preprocessing.
    const file = path.join(tmp(), 'pruned.onnx');
    fs.writeFileSync(file, onnx);
    const back = await loadModel(file);
    expect(back.metadata.preprocessing).toEqual(CIFAR_RESNET_PREPROCESSING);
    expect(maxAbsDiff(back.model.predict(x) as tf.Tensor, ours)).toBeLessThan(1e-5);
    expect(modelCost(back.model).macs).toBe(modelCost(pruned).macs);
  });

  it("round-trips 'same' max and average pooling (written as explicit pads) and flattening of a map", async () => {
    const input = tfl.input({ shape: [9, 9, 3] });
    let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
    x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 5 }).apply(x) as tfl.SymbolicTensor });
    const images = tf.randomNormal([4, 9, 9, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const expected = model.predict(images) as tf.Tensor;
    const onnx = exportOnnx(model);
    expect(maxAbsDiff(expected, await runOnnx(onnx, images))).toBeLessThan(1e-5);
    expect(maxAbsDiff(expected, importOnnx(onnx, 'pools.onnx').model.predict(images) as tf.Tensor)).toBeLessThan(1e-5);
  });

  it('refuses a layer it has no ONNX rule for, by name', () => {
    const input = tfl.input({ shape: [8] });
    const output = tfl.layers.layerNormalization({ name: 'norm' }).apply(input) as tfl.SymbolicTensor;
    expect(() => exportOnnx(tfl.model({ inputs: input, outputs: output }))).toThrow(
      /layer "norm" \(LayerNormalization\) has no ONNX export; exportable: InputLayer, Conv2D/,
    );
  });
});
