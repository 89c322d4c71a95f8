import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { initBackend } from '@prune/compute';
import { CriterionServiceClient, ScoreRequest, StructureKind, type StructureScore } from '@prune/contracts';
import { DEFAULT_CALIBRATION_EXAMPLES, registerCriterion } from '@prune/criteria';
import { sharedDir } from '@prune/data';
import { loadModel, putModelArtifact } from '@prune/models';
import { AsyncCache, callUnary, serve, type RunningServer } from '@prune/service-kit';
import { ArtifactStore, type ArtifactRef } from '@prune/store';
import { scoreCacheKey } from '../src/score-cache.js';
import { criterionBinding } from '../src/service.js';
import { lpNormCriterion } from './lp-norm-criterion.js';

describe('CriterionService', () => {
  let server: RunningServer;
  let client: InstanceType<typeof CriterionServiceClient>;
  let model: ArtifactRef;
  const cache = new AsyncCache<StructureScore[]>(2);

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    const store = new ArtifactStore(fs.mkdtempSync(path.join(os.tmpdir(), 'criterion-')));
    const loaded = await loadModel(path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'));
    model = await putModelArtifact(store, loaded.model, loaded.metadata);
    server = await serve({
      address: '127.0.0.1:0',
      services: [criterionBinding(store, cache)],
      protoFiles: ['prune/v1/criterion.proto'],
      log: () => {},
    });
    client = new CriterionServiceClient(server.address, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown();
  });

  const score = (request: Partial<ScoreRequest>) => callUnary(client, client.score, ScoreRequest.fromPartial(request));

  it('lists its criteria and scores blocks (KL on calibration data) and filters (L1)', async () => {
    const list = await callUnary(client, client.listCriteria, {});
    expect(list.criteria.find((c) => c.name === 'kl')).toMatchObject({ needsData: true, parameters: [] });
    expect(list.criteria.find((c) => c.name === 'l1')).toMatchObject({ needsData: false });
    const blocks = await score({
      model,
      criterion: 'kl',
      kind: StructureKind.STRUCTURE_KIND_BLOCK,
      calibration: { uri: 'cifar10-lossless-4000', maxExamples: 10, seed: 1 },
    });
    expect(blocks.scores.map((s) => s.structureId)).toEqual([
      'layer1.0.add',
      'layer1.1.add',
      'layer1.2.add',
      'layer2.1.add',
      'layer2.2.add',
      'layer3.1.add',
      'layer3.2.add',
    ]);
    expect(blocks.scores.every((s) => s.score > 0)).toBe(true);
    const filters = await score({ model, criterion: 'l1', kind: StructureKind.STRUCTURE_KIND_FILTER });
    expect(filters.scores).toHaveLength(336);
    expect(filters.scores[17]).toMatchObject({
      kind: StructureKind.STRUCTURE_KIND_FILTER,
      structureId: 'layer1.1.conv1',
      channel: 1,
    });
  });

  it('serves a criterion with a parameter registered from one file; its parameters reach it', async () => {
    registerCriterion(lpNormCriterion);
    const list = await callUnary(client, client.listCriteria, {});
    expect(list.criteria.find((c) => c.name === 'lp-norm')).toMatchObject({ needsData: false, parameters: ['p'] });
    const filters = (parameters?: Record<string, number>) =>
      score({ model, criterion: 'lp-norm', kind: StructureKind.STRUCTURE_KIND_FILTER, parameters });
    const l1 = (await score({ model, criterion: 'l1', kind: StructureKind.STRUCTURE_KIND_FILTER })).scores;
    const p1 = (await filters({ p: 1 })).scores;
    expect(p1.map((s) => s.structureId)).toEqual(l1.map((s) => s.structureId));
    p1.forEach((s, i) => expect(s.score).toBeCloseTo(l1[i]!.score, 3));
    const p2 = (await filters()).scores; // default p = 2: another answer, not a cached p = 1
    expect(p2[0]!.score).toBeLessThan(p1[0]!.score);
    await expect(filters({ q: 1 })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'parameters.q: lp-norm has parameters p',
    });
  });

  it('rejects unknown criteria, missing data and a missing kind', async () => {
    await expect(score({ model, criterion: 'taylor', kind: StructureKind.STRUCTURE_KIND_BLOCK })).rejects.toMatchObject(
      { code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('criterion: unknown "taylor"') },
    );
    await expect(score({ model, criterion: 'kl', kind: StructureKind.STRUCTURE_KIND_BLOCK })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('calibration.uri'),
    });
    await expect(score({ model, criterion: 'l1' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('kind:'),
    });
  });

  it('answers an identical request for a stored model from the cache, also while it is computed', async () => {
    const request = {
      model,
      criterion: 'kl',
      kind: StructureKind.STRUCTURE_KIND_FILTER,
      calibration: { uri: 'cifar10-lossless-4000', maxExamples: 8, seed: 3 },
    };
    const hits = cache.hits;
    const [first, concurrent] = await Promise.all([score(request), score(request)]);
    const again = await score(request);
    expect(cache.hits - hits).toBe(2);
    expect(concurrent.scores).toEqual(first.scores);
    expect(again.scores).toEqual(first.scores);
    // another calibration sample is another answer
    const otherSeed = await score({ ...request, calibration: { ...request.calibration, seed: 4 } });
    expect(cache.hits - hits).toBe(2);
    expect(otherSeed.scores.map((s) => s.score)).not.toEqual(first.scores.map((s) => s.score));
  });

  it('does not remember failures', async () => {
    const missing = {
      model: { uri: `store://dirs/${'0'.repeat(64)}`, sha256: '0'.repeat(64) },
      criterion: 'l1',
      kind: StructureKind.STRUCTURE_KIND_FILTER,
    };
    const hits = cache.hits;
    await expect(score(missing)).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(score(missing)).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(cache.hits).toBe(hits);
  });
});

describe('scoreCacheKey', () => {
  const base = ScoreRequest.fromPartial({
    model: { uri: 'store://dirs/ab' },
    criterion: 'kl',
    kind: StructureKind.STRUCTURE_KIND_BLOCK,
    calibration: { uri: 'cifar10-jpeg:train', maxExamples: 64, seed: 1 },
  });
  it('keys content-addressed models on named datasets, by every field that changes the answer', () => {
    const key = scoreCacheKey(base, {});
    expect(key).toBeDefined();
    expect(scoreCacheKey(base, { p: 2 })).not.toBe(key);
    for (const changed of [
      { criterion: 'l1' },
      { kind: StructureKind.STRUCTURE_KIND_FILTER },
      { seed: 2 },
      { calibration: { uri: 'cifar10-jpeg:train', maxExamples: 32, seed: 1 } },
      { calibration: { uri: 'cifar10-jpeg:train', maxExamples: 64, seed: 2 } },
    ]) {
      expect(scoreCacheKey(ScoreRequest.fromPartial({ ...base, ...changed }), {})).not.toBe(key);
    }
  });
  it("keys a request that leaves the calibration size unset (a run's default) as one asking for the criteria's default", () => {
    const sized = (maxExamples: number) =>
      ScoreRequest.fromPartial({ ...base, calibration: { uri: 'cifar10-jpeg:train', maxExamples, seed: 1 } });
    expect(scoreCacheKey(sized(0), {})).toBe(scoreCacheKey(sized(DEFAULT_CALIBRATION_EXAMPLES), {}));
    expect(scoreCacheKey(sized(0), {})).not.toBe(scoreCacheKey(sized(DEFAULT_CALIBRATION_EXAMPLES + 1), {}));
  });
  it('does not key what may change on disk', () => {
    expect(
      scoreCacheKey(ScoreRequest.fromPartial({ ...base, model: { uri: '/models/resnet20.json' } }), {}),
    ).toBeUndefined();
    expect(
      scoreCacheKey(
        ScoreRequest.fromPartial({ ...base, calibration: { uri: '/data/cifar.tar.gz:train', maxExamples: 64 } }),
        {},
      ),
    ).toBeUndefined();
  });
});
