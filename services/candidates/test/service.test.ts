import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { initBackend, tf } from '@prune/compute';
import {
  CandidatesServiceClient,
  ImportModelRequest,
  InspectRequest,
  MakeCandidateRequest,
  ModelFormat,
  StructureKind,
} from '@prune/contracts';
import { sharedDir } from '@prune/data';
import {
  findFilterGroups,
  findResidualBlocks,
  importOnnx,
  LayerGraph,
  loadModel,
  loadModelArtifact,
  putModelArtifact,
} from '@prune/models';
import { callUnary, serve, type RunningServer } from '@prune/service-kit';
import { ArtifactStore, type ArtifactRef } from '@prune/store';
import { candidatesBinding } from '../src/service.js';

const ONNX_FIXTURES = path.resolve(import.meta.dirname, '../../../libs/models/test/fixtures');

describe('CandidatesService', () => {
  let server: RunningServer;
  let client: InstanceType<typeof CandidatesServiceClient>;
  let store: ArtifactStore;
  let parent: ArtifactRef;
  let blockScores: MakeCandidateRequest['scores'];
  let filterScores: MakeCandidateRequest['scores'];

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    store = new ArtifactStore(fs.mkdtempSync(path.join(os.tmpdir(), 'candidates-')));
    const loaded = await loadModel(path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'));
    parent = await putModelArtifact(store, loaded.model, loaded.metadata);
    const graph = LayerGraph.of(loaded.model);
    blockScores = findResidualBlocks(graph).map((b, i) => ({
      kind: StructureKind.STRUCTURE_KIND_BLOCK,
      structureId: b.id,
      channel: 0,
      score: 10 - i,
    }));
    filterScores = findFilterGroups(graph).flatMap((g) =>
      Array.from({ length: g.channels }, (_, c) => ({
        kind: StructureKind.STRUCTURE_KIND_FILTER,
        structureId: g.id,
        channel: c,
        score: c,
      })),
    );
    const binding = candidatesBinding({ store, modelRoots: [path.join(sharedDir(), 'models'), ONNX_FIXTURES] });
    server = await serve({
      address: '127.0.0.1:0',
      services: [binding],
      protoFiles: ['prune/v1/candidates.proto'],
      log: () => {},
    });
    client = new CandidatesServiceClient(server.address, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown();
  });

  const make = (request: Partial<MakeCandidateRequest>) =>
    callUnary(client, client.makeCandidate, MakeCandidateRequest.fromPartial(request));
  const inspect = (model: ArtifactRef) => callUnary(client, client.inspect, InspectRequest.fromPartial({ model }));
  const importModel = (uri: string, dataset = '', preprocessing = '') =>
    callUnary(client, client.importModel, ImportModelRequest.fromPartial({ uri, dataset, preprocessing }));

  it('makes the layer candidate and a filter candidate matching its MACs, as stored models', async () => {
    const layer = await make({
      parent,
      kind: StructureKind.STRUCTURE_KIND_BLOCK,
      scores: blockScores,
      budget: { amount: { $case: 'blocks', value: 1 } },
    });
    expect(layer.removed).toEqual(['layer3.2.add']);
    expect(layer.removedFilters).toBe(128); // two 64-filter convolutions
    const saved = layer.parentCost!.macs - layer.cost!.macs;
    expect(saved).toBe(4_718_592);
    const filter = await make({
      parent,
      kind: StructureKind.STRUCTURE_KIND_FILTER,
      scores: filterScores,
      budget: { amount: { $case: 'macs', value: saved } },
    });
    expect(layer.parentCost!.macs - filter.cost!.macs).toBeGreaterThanOrEqual(saved);
    expect(filter.removed.every((r) => /^layer\d\.\d\.conv1:\d+$/.test(r))).toBe(true);
    const child = await loadModelArtifact(store, filter.model, 'model');
    expect(child.model.countParams()).toBeLessThan(layer.parentCost!.params);
    const byCount = await make({
      parent,
      kind: StructureKind.STRUCTURE_KIND_FILTER,
      scores: filterScores,
      budget: { amount: { $case: 'filters', value: 32 } },
    });
    expect(byCount.removed).toHaveLength(32);
  });

  it('rejects impossible budgets and mismatched requests', async () => {
    await expect(
      make({
        parent,
        kind: StructureKind.STRUCTURE_KIND_BLOCK,
        scores: blockScores,
        budget: { amount: { $case: 'blocks', value: 8 } },
      }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('budget.blocks') });
    await expect(
      make({ parent, kind: StructureKind.STRUCTURE_KIND_FILTER, scores: filterScores }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('budget:') });
    await expect(
      make({
        parent,
        kind: StructureKind.STRUCTURE_KIND_FILTER,
        scores: filterScores,
        budget: { amount: { $case: 'blocks', value: 1 } },
      }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(
      make({
        parent: { uri: 'store://dirs/zz', sha256: '' },
        kind: StructureKind.STRUCTURE_KIND_BLOCK,
        scores: blockScores,
        budget: { amount: { $case: 'blocks', value: 1 } },
      }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('parent:') });
  });

  it('inspects a stored model: cost, removable blocks and widths; a candidate inspects to the cost MakeCandidate reported', async () => {
    const facts = await inspect(parent);
    expect(facts.cost).toMatchObject({ macs: 40_551_040 });
    expect(facts.removableBlocks).toEqual(blockScores.map((s) => s.structureId));
    expect(facts.widths).toHaveLength(19);
    expect(facts.widths[0]).toEqual({ layer: expect.any(String), filters: 16, unit: 'filters' });
    const layer = await make({
      parent,
      kind: StructureKind.STRUCTURE_KIND_BLOCK,
      scores: blockScores,
      budget: { amount: { $case: 'blocks', value: 1 } },
    });
    expect(layer.parentCost).toEqual(facts.cost);
    const child = await inspect(layer.model!);
    expect(child.cost).toEqual(layer.cost);
    expect(child.removableBlocks).toEqual(facts.removableBlocks.filter((id) => id !== 'layer3.2.add'));
    expect(child.widths).toHaveLength(17);
    await expect(inspect({ uri: 'store://dirs/zz', sha256: '' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('model:'),
    });
    await expect(inspect({ uri: `store://dirs/${'0'.repeat(64)}`, sha256: '' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: expect.stringContaining('model:'),
    });
  });

  it('imports a PyTorch-exported ONNX model with its folded batch norms put back: the same predictions', async () => {
    const file = path.join(ONNX_FIXTURES, 'resnet20-cifar.onnx');
    const { model } = await importModel(file, 'cifar10-jpeg', 'torch-cifar');
    const stored = await loadModelArtifact(store, model, 'model');
    const original = await loadModel(file);
    expect(original.model.layers.some((l) => l.getClassName() === 'BatchNormalization')).toBe(false);
    expect(stored.model.layers.filter((l) => l.getClassName() === 'BatchNormalization')).toHaveLength(19);
    const x = tf.randomNormal([8, 32, 32, 3], 0, 1, 'float32', 3);
    const difference = tf.max(
      tf.abs(tf.sub(stored.model.predict(x) as tf.Tensor, original.model.predict(x) as tf.Tensor)),
    );
    expect(difference.dataSync()[0]).toBeLessThan(1e-3);
  });

  it('imports a model file under its model roots into the store, and checks store references', async () => {
    const imported = (
      await importModel(path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'))
    ).model!;
    expect(imported.uri).toMatch(/^store:\/\/dirs\/[0-9a-f]{64}$/);
    expect(imported.sha256).toBe(imported.uri.slice(-64));
    expect((await inspect(imported)).cost).toMatchObject({ macs: 40_551_040 });
    expect((await importModel(parent.uri)).model).toEqual({ uri: parent.uri, sha256: parent.uri.slice(-64) });
    const refused = (uri: string) =>
      importModel(uri).then(
        () => ({ code: -1, details: 'imported' }),
        (e: grpc.ServiceError) => e,
      );
    expect(await refused('')).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^uri: a model is required/),
    });
    expect(await refused('/etc/passwd')).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('/etc/passwd is outside the model roots'),
    });
    expect(await refused(path.join(sharedDir(), 'models/missing.manifest.json'))).toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: expect.stringContaining('missing.manifest.json not found'),
    });
    expect(await refused(store.putFile(new Uint8Array([1, 2, 3])).uri)).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('is not a stored model'),
    });
    expect(await refused(`store://dirs/${'0'.repeat(64)}`)).toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('refuses a model that does not fit the dataset, naming both', async () => {
    const resnet20 = path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json');
    expect((await importModel(resnet20, 'cifar10-jpeg')).model!.uri).toMatch(/^store:\/\/dirs\//);
    const mismatch = {
      code: grpc.status.INVALID_ARGUMENT,
      details:
        'uri: the model takes 32x32x3 images and predicts 10 classes, but dataset "fashion-mnist" has 28x28x1 ' +
        'images in 10 classes: choose a model trained on it',
    };
    await expect(importModel(resnet20, 'fashion-mnist')).rejects.toMatchObject(mismatch);
    await expect(importModel(parent.uri, 'fashion-mnist')).rejects.toMatchObject(mismatch); // a store reference too
  });

  it('a Keras model needs its preprocessing declared; what is declared is stored with it and checked against the data', async () => {
    const pons = path.join(sharedDir(), 'models/keras-resnet56-pons/resnet56-pons-iter0.json');
    const storedPreprocessing = (uri: string) =>
      JSON.parse(fs.readFileSync(path.join(store.verifiedDirectory(uri), 'model.json'), 'utf8')).userDefinedMetadata
        .preprocessing;
    await expect(importModel(pons, 'cifar10-jpeg')).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining(
        'the model does not say how its input pixels are normalized; declare it with --preprocessing',
      ),
    });
    const { model } = await importModel(pons, 'cifar10-jpeg', 'pixel-mean');
    expect(storedPreprocessing(model!.uri)).toEqual({ kind: 'pixel-mean', meanOf: 'cifar10:train' });
    const redeclared = (await importModel(model!.uri, 'cifar10-jpeg', 'mean=0.5;std=0.25;scale=1')).model!;
    expect(redeclared.uri).not.toBe(model!.uri);
    expect(storedPreprocessing(redeclared.uri)).toEqual({
      kind: 'channel-mean-std',
      mean: [0.5],
      std: [0.25],
      scale: 1,
    });
    await expect(importModel(model!.uri, 'cifar10-jpeg', 'mean=0.5,0.5;std=1')).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details:
        'preprocessing: mean and std have 2 and 1 entries, but dataset "cifar10-jpeg" has 3 channels (give 3 or 1)',
    });
    await expect(importModel(pons, '', 'zscore')).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(
        /^preprocessing: "zscore" is not a name \(raw, unit, signed, torch-cifar, pixel-mean\)/,
      ),
    });
  });

  it('exports a stored model as its files in chunks or converted to ONNX, verified first: an altered model is DATA_LOSS', async () => {
    const exportModel = (model: ArtifactRef, format = ModelFormat.MODEL_FORMAT_UNSPECIFIED) =>
      new Promise<{ path: string; data: Uint8Array }[]>((resolve, reject) => {
        const chunks: { path: string; data: Uint8Array }[] = [];
        const stream = client.exportModel({ model, format });
        stream.on('data', (response: { chunk: { path: string; data: Uint8Array } }) => chunks.push(response.chunk));
        stream.on('error', reject);
        stream.on('end', () => resolve(chunks));
      });
    const chunks = await exportModel(parent);
    const dir = store.verifiedDirectory(parent);
    for (const name of ['model.json', 'weights.bin']) {
      const received = Buffer.concat(chunks.filter((c) => c.path === name).map((c) => c.data));
      expect(received.equals(fs.readFileSync(path.join(dir, name))), name).toBe(true);
    }
    expect(Math.max(...chunks.map((c) => c.data.length))).toBeLessThanOrEqual(1 << 20);

    // Converted: one ONNX file that imports back to the stored model's outputs and preprocessing.
    const onnx = await exportModel(parent, ModelFormat.MODEL_FORMAT_ONNX);
    expect(new Set(onnx.map((c) => c.path))).toEqual(new Set(['model.onnx']));
    const stored = await loadModelArtifact(store, parent, 'parent');
    const imported = importOnnx(Buffer.concat(onnx.map((c) => c.data)), 'model.onnx');
    expect(imported.metadata.preprocessing).toEqual(stored.metadata.preprocessing);
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 7);
    const difference = tf.max(
      tf.abs(tf.sub(stored.model.predict(x) as tf.Tensor, imported.model.predict(x) as tf.Tensor)),
    );
    expect(difference.dataSync()[0]).toBeLessThan(1e-4);
    // Keras has no option-A shortcut layer: asked for Keras 3's .h5, the service says so by name.
    await expect(exportModel(parent, ModelFormat.MODEL_FORMAT_KERAS_H5)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('layer "layer2.0.shortcut" is a OptionAShortcut, this project\'s own layer'),
    });
    await expect(exportModel(parent, 99 as ModelFormat)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'format: 99 is not a model format this service knows',
    });

    // A copy of the parent with one weight byte flipped, stored under the parent's name.
    const altered = path.join(store.root, 'dirs', 'f'.repeat(64));
    fs.cpSync(dir, altered, { recursive: true });
    const weights = fs.readFileSync(path.join(altered, 'weights.bin'));
    weights[100] = weights[100]! ^ 0xff;
    fs.writeFileSync(path.join(altered, 'weights.bin'), weights);
    await expect(exportModel({ uri: `store://dirs/${'f'.repeat(64)}`, sha256: '' })).rejects.toMatchObject({
      code: grpc.status.DATA_LOSS,
    });
    fs.rmSync(altered, { recursive: true, force: true });
  });

  it('does not follow a symbolic link out of the model roots', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'model-root-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'elsewhere-'));
    fs.copyFileSync(
      path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'),
      path.join(outside, 'm.manifest.json'),
    );
    fs.symlinkSync(path.join(outside, 'm.manifest.json'), path.join(root, 'm.manifest.json'));
    const service = await serve({
      address: '127.0.0.1:0',
      services: [candidatesBinding({ store, modelRoots: [root] })],
      protoFiles: ['prune/v1/candidates.proto'],
      log: () => {},
    });
    const other = new CandidatesServiceClient(service.address, grpc.credentials.createInsecure());
    try {
      const request = ImportModelRequest.fromPartial({ uri: path.join(root, 'm.manifest.json') });
      await expect(callUnary(other, other.importModel, request)).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining('is outside the model roots'),
      });
    } finally {
      other.close();
      await service.shutdown();
    }
  });
});
