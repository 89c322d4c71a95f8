import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CandidatesServiceService,
  CompareRequest,
  CoordinatorServiceService,
  CriterionServiceService,
  InspectResponse,
  Iteration,
  PROTO_ROOT,
  SERVICE_PROTO_FILES,
  SimilarityServiceService,
  StructureKind,
  TrainerServiceService,
  TrainResponse,
} from '@prune/contracts';

describe('generated contracts', () => {
  it('define the five services with the methods the system relies on', () => {
    expect(Object.keys(TrainerServiceService)).toEqual(['train', 'evaluate', 'extractRepresentations', 'assess']);
    expect(TrainerServiceService.train.responseStream).toBe(true);
    expect(Object.keys(CriterionServiceService)).toEqual(['listCriteria', 'score']);
    expect(Object.keys(CandidatesServiceService)).toEqual(['makeCandidate', 'inspect', 'importModel', 'exportModel']);
    expect(Object.keys(SimilarityServiceService)).toEqual(['describe', 'compare']);
    expect(Object.keys(CoordinatorServiceService)).toEqual([
      'startRun',
      'getRun',
      'watchRun',
      'listRuns',
      'cancelRun',
      'downloadModel',
      'listReferences',
    ]);
    expect(CoordinatorServiceService.watchRun.path).toBe('/prune.v1.CoordinatorService/WatchRun');
  });

  it('round-trip messages through the wire format, artifacts by reference', () => {
    const request = CompareRequest.fromPartial({
      metric: 'linear_cka',
      x: { uri: `store://files/${'a'.repeat(64)}`, sha256: 'a'.repeat(64) },
      y: { uri: `store://files/${'b'.repeat(64)}`, sha256: '' },
      parameters: { threshold: 0.5 },
    });
    expect(CompareRequest.decode(CompareRequest.encode(request).finish())).toEqual(request);
    const event = TrainResponse.fromPartial({ event: { $case: 'progress', value: { epoch: 1, step: 10, loss: 0.5 } } });
    expect(TrainResponse.decode(TrainResponse.encode(event).finish()).event?.$case).toBe('progress');
    expect(StructureKind.STRUCTURE_KIND_FILTER).toBe(2);
  });

  it('share one LayerWidth between the candidates and coordinator contracts', () => {
    const widths = [
      { layer: 'conv1', filters: 16, unit: 'filters' },
      { layer: 'block1.attention', filters: 8, unit: 'heads' },
    ];
    const inspected = InspectResponse.fromPartial({
      cost: { macs: 40_551_040, flops: 81_000_000, params: 272_474 },
      removableBlocks: ['layer1.1.add'],
      widths,
    });
    const decoded = InspectResponse.decode(InspectResponse.encode(inspected).finish());
    expect(decoded).toEqual(inspected);
    // what Inspect answers is what a run's iteration reports, without conversion
    expect(
      Iteration.decode(Iteration.encode(Iteration.fromPartial({ widths: decoded.widths })).finish()).widths,
    ).toEqual(widths);
  });

  it('point at the .proto sources for reflection', () => {
    for (const file of SERVICE_PROTO_FILES) expect(fs.existsSync(path.join(PROTO_ROOT, file))).toBe(true);
  });
});
