// The walk's model facts through the contracts, against a fake candidates service on a real port:
// a candidate's cost is the one MakeCandidate reported (never asked again), and everything else
// comes from one Inspect per model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { CandidatesServiceClient, CriterionServiceClient, TrainerServiceClient } from '@prune/contracts';
import { grpcWalkPorts, type GrpcPortsOptions, type WalkServices } from '../src/grpc-ports.js';
import { replicasOf } from '../src/replicas.js';
import {
  fakeCandidatesService,
  fakeCriterionService,
  fakeTrainerService,
  ref,
  type FakeCandidates,
} from './fake-services.js';

/** Replica sets of each service at these addresses (port 1: nothing listens, never called). */
function servicesAt(addresses: { trainers?: string[]; criteria?: string[]; candidates?: string[] }) {
  const none = ['127.0.0.1:1'];
  const services: WalkServices = {
    trainers: replicasOf(TrainerServiceClient, addresses.trainers ?? none, 'trainer'),
    criteria: replicasOf(CriterionServiceClient, addresses.criteria ?? none, 'criterion'),
    candidates: replicasOf(CandidatesServiceClient, addresses.candidates ?? none, 'candidates'),
  };
  return { ...services, close: () => Object.values(services).forEach((replicas) => replicas.close()) };
}

/** A run's options over `services`, with a metric that is never called. */
const options = (services: WalkServices): GrpcPortsOptions => ({
  services,
  similarity: { compare: () => Promise.reject(new Error('not used')), sampling: async () => undefined },
  dataset: 'cifar10-jpeg',
  criterionName: 'kl',
  metric: 'linear_cka',
  calibrationExamples: 16,
  validationExamples: 16,
  testExamples: 16,
  candidateFineTune: {},
  selectedFineTune: {},
  seed: 0,
  retry: { attempts: 1 },
});

describe('grpcWalkPorts: model facts', () => {
  let candidates: FakeCandidates;
  const parent = ref('parent');
  const widths = [
    { layer: 'conv1', filters: 16, unit: 'filters' },
    { layer: 'block1.conv', filters: 16, unit: 'filters' },
  ];

  beforeAll(async () => {
    candidates = await fakeCandidatesService();
    candidates.facts.set(parent.uri, {
      cost: { macs: 1000, flops: 2100, params: 50 },
      removableBlocks: ['block1', 'block2'],
      removableFilters: 30,
      widths,
    });
    // Inspect's cost of the layer child differs from MakeCandidate's on purpose: the test sees which one was used.
    candidates.facts.set(ref('layerchild').uri, {
      cost: { macs: 1, flops: 1, params: 1 },
      removableBlocks: ['block2'],
      removableFilters: 14,
      widths: widths.slice(0, 1),
    });
  });
  afterAll(async () => {
    await candidates?.server.shutdown();
  });

  let services: ReturnType<typeof servicesAt>;
  const ports = () => grpcWalkPorts(options((services = servicesAt({ candidates: [candidates.server.address] }))));

  it("asks Inspect once per model, and takes candidates' costs from MakeCandidate", async () => {
    const walk = ports();
    try {
      candidates.inspected.length = 0;
      expect(await walk.cost(parent)).toEqual({ macs: 1000, flops: 2100, params: 50 });
      expect(await walk.removableBlocks(parent)).toBe(2);
      expect(await walk.removableFilters(parent)).toBe(30);
      expect(await walk.widths(parent)).toEqual(widths);
      expect(candidates.inspected).toEqual([parent.uri]);

      const layer = await walk.layerCandidate(
        parent,
        [
          { id: 'block1', score: 0 },
          { id: 'block2', score: 1 },
        ],
        1,
      );
      const filter = await walk.filterCandidate(parent, [{ id: 'conv1', channel: 0, score: 0 }], { filters: 8 });
      expect(layer).toEqual({ model: ref('layerchild'), removed: ['x'], removedFilters: 8 });
      // the fake's MakeCandidate reports 400 fewer MACs than the parent's
      expect(await walk.cost(layer.model)).toEqual({ macs: 600, flops: 1300, params: 40 });
      expect(await walk.cost(filter.model)).toEqual({ macs: 600, flops: 1300, params: 40 });
      expect(candidates.inspected).toEqual([parent.uri]);

      // widths and blocks of a candidate are not in MakeCandidate's answer: one Inspect
      expect(await walk.removableBlocks(layer.model)).toBe(1);
      expect(await walk.widths(layer.model)).toEqual(widths.slice(0, 1));
      expect(candidates.inspected).toEqual([parent.uri, layer.model.uri]);
    } finally {
      services.close();
    }
  });

  it("passes Inspect's refusal on, and asks again after a failure", async () => {
    const walk = ports();
    try {
      const missing = ref('missing');
      await expect(walk.cost(missing)).rejects.toMatchObject({
        code: status.NOT_FOUND,
        details: expect.stringContaining(`model: artifact ${missing.uri}`),
      });
      candidates.facts.set(missing.uri, {
        cost: { macs: 1, flops: 2, params: 3 },
        removableBlocks: [],
        removableFilters: 0,
        widths: [],
      });
      expect(await walk.cost(missing)).toEqual({ macs: 1, flops: 2, params: 3 });
      expect(await walk.removableBlocks(missing)).toBe(0);
    } finally {
      services.close();
    }
  });

  it("hands the run's criterion parameters and calibration size (0: the service's default) to every Score call", async () => {
    const criterion = await fakeCriterionService(['kl']);
    const services = servicesAt({ criteria: [criterion.server.address] });
    const walk = grpcWalkPorts({
      ...options(services),
      criterionParameters: { depth: 3 },
      calibrationExamples: 0,
    });
    try {
      await walk.scoreBlocks(parent);
      await walk.scoreFilters(parent);
      expect(criterion.scored.map((r) => [r.criterion, r.parameters, r.calibration])).toEqual([
        ['kl', { depth: 3 }, { uri: 'cifar10-jpeg:train', maxExamples: 0, seed: 0 }],
        ['kl', { depth: 3 }, { uri: 'cifar10-jpeg:train', maxExamples: 0, seed: 0 }],
      ]);
    } finally {
      services.close();
      await criterion.server.shutdown();
    }
  });
});

describe('grpcWalkPorts: similarity', () => {
  it('extracts the representations a stochastic metric asks for (MetricInfo.stochastic), both models alike', async () => {
    const trainer = await fakeTrainerService();
    const compared: unknown[][] = [];
    const sampling = { samplesPerExample: 8, inputNoise: 0.1 };
    const services = servicesAt({ trainers: [trainer.server.address] });
    const walk = grpcWalkPorts({
      ...options(services),
      similarity: {
        compare: async (...args) => (compared.push(args), { metric: args[0], similarity: 0.75, rows: 0 }),
        sampling: async (metric) => (metric === 'gaussian_shape_metric' ? sampling : undefined),
      },
      metric: 'gaussian_shape_metric',
      metricParameters: { alpha: 1 },
      validationExamples: 100,
    });
    try {
      expect(await walk.similarity(ref('parent'), ref('child'))).toBe(0.75);
      expect(trainer.extracted.map((r) => [r.model!.uri, r.data!.maxExamples, r.stochastic])).toEqual([
        [ref('parent').uri, 100, sampling],
        [ref('child').uri, 100, sampling],
      ]);
      expect(compared).toEqual([['gaussian_shape_metric', ref('rep-parent0'), ref('rep-child00'), { alpha: 1 }]]);
    } finally {
      services.close();
      await trainer.server.shutdown();
    }
  });
});

describe('grpcWalkPorts: trainers', () => {
  it("spreads two runs' fine-tunes side by side over two trainers (the coordinator's one set for all runs)", async () => {
    const trainers = [await fakeTrainerService(), await fakeTrainerService()];
    const services = servicesAt({ trainers: trainers.map((t) => t.server.address) });
    const walk = () => grpcWalkPorts(options(services));
    try {
      // Each run's first fine-tune: with a set per run, both went to the first trainer.
      const tuned = await Promise.all([
        walk().fineTune(ref('a'), 'selected', 'run-a'),
        walk().fineTune(ref('b'), 'selected', 'run-b'),
      ]);
      expect(tuned.map((t) => t.model)).toEqual([ref('tuned-run-a'), ref('tuned-run-b')]);
      expect(trainers.map((t) => t.trained)).toEqual([['run-a'], ['run-b']]);
    } finally {
      services.close();
      await Promise.all(trainers.map((t) => t.server.shutdown()));
    }
  });

  it('starts no fine-tune for a run already cancelled (a retry after the cancel)', async () => {
    const trainer = await fakeTrainerService();
    const services = servicesAt({ trainers: [trainer.server.address] });
    try {
      const walk = grpcWalkPorts({ ...options(services), signal: AbortSignal.abort() });
      await expect(walk.fineTune(ref('a'), 'selected', 'run-a')).rejects.toMatchObject({ code: status.CANCELLED });
      expect(trainer.trained).toEqual([]);
    } finally {
      services.close();
      await trainer.server.shutdown();
    }
  });
});
