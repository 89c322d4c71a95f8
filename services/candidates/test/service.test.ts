import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { initBackend } from '@prune/compute';
import { CandidatesServiceClient, MakeCandidateRequest, StructureKind } from '@prune/contracts';
import { sharedDir } from '@prune/data';
import { findFilterGroups, findResidualBlocks, LayerGraph, loadModel, loadModelArtifact, putModelArtifact } from '@prune/models';
import { callUnary, serve, type RunningServer } from '@prune/service-kit';
import { ArtifactStore, type ArtifactRef } from '@prune/store';
import { candidatesBinding } from '../src/service.js';

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
    blockScores = findResidualBlocks(graph).map((b, i) => ({ kind: StructureKind.STRUCTURE_KIND_BLOCK, structureId: b.id, channel: 0, score: 10 - i }));
    filterScores = findFilterGroups(graph).flatMap((g) => Array.from({ length: g.channels }, (_, c) => ({ kind: StructureKind.STRUCTURE_KIND_FILTER, structureId: g.id, channel: c, score: c })));
    server = await serve({ address: '127.0.0.1:0', services: [candidatesBinding(store)], protoFiles: ['prune/v1/candidates.proto'], log: () => {} });
    client = new CandidatesServiceClient(server.address, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown();
  });

  const make = (request: Partial<MakeCandidateRequest>) => callUnary(client, client.makeCandidate, MakeCandidateRequest.fromPartial(request));

  it('makes the layer candidate and a filter candidate matching its MACs, as stored models', async () => {
    const layer = await make({ parent, kind: StructureKind.STRUCTURE_KIND_BLOCK, scores: blockScores, budget: { amount: { $case: 'blocks', value: 1 } } });
    expect(layer.removed).toEqual(['layer3.2.add']);
    expect(layer.removedFilters).toBe(128); // two 64-filter convolutions
    const saved = layer.parentCost!.macs - layer.cost!.macs;
    expect(saved).toBe(4_718_592);
    const filter = await make({ parent, kind: StructureKind.STRUCTURE_KIND_FILTER, scores: filterScores, budget: { amount: { $case: 'macs', value: saved } } });
    expect(layer.parentCost!.macs - filter.cost!.macs).toBeGreaterThanOrEqual(saved);
    expect(filter.removed.every((r) => /^layer\d\.\d\.conv1:\d+$/.test(r))).toBe(true);
    const child = await loadModelArtifact(store, filter.model, 'model');
    expect(child.model.countParams()).toBeLessThan(layer.parentCost!.params);
    const byCount = await make({ parent, kind: StructureKind.STRUCTURE_KIND_FILTER, scores: filterScores, budget: { amount: { $case: 'filters', value: 32 } } });
    expect(byCount.removed).toHaveLength(32);
  });

  it('rejects impossible budgets and mismatched requests', async () => {
    await expect(make({ parent, kind: StructureKind.STRUCTURE_KIND_BLOCK, scores: blockScores, budget: { amount: { $case: 'blocks', value: 8 } } })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('budget.blocks') });
    await expect(make({ parent, kind: StructureKind.STRUCTURE_KIND_FILTER, scores: filterScores })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('budget:') });
    await expect(make({ parent, kind: StructureKind.STRUCTURE_KIND_FILTER, scores: filterScores, budget: { amount: { $case: 'blocks', value: 1 } } })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(make({ parent: { uri: 'store://dirs/zz', sha256: '' }, kind: StructureKind.STRUCTURE_KIND_BLOCK, scores: blockScores, budget: { amount: { $case: 'blocks', value: 1 } } })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('parent:') });
  });
});
