// Which candidate the walk keeps under each selection policy, and what it records, over fake ports
// (fake-walk-ports.ts: a model is "b<blocks>.f<filters>", a block holds 4 filters).
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@prune/data';
import { fakeWalkPorts, summary, walk } from './fake-walk-ports.js';

const fineTunes = (calls: string[]) =>
  calls.filter((c) => c.startsWith('fineTune')).map((c) => c.slice('fineTune '.length));

describe('the similarity policy', () => {
  // [layer, filter] similarity to the parent, per iteration
  const scripted = (script: number[][]) =>
    fakeWalkPorts({ similarity: (kind, i) => script[i]![kind === 'L' ? 0 : 1]! });

  it('keeps the more similar candidate each iteration, ties to the layer, and walks on from it', async () => {
    const script = [
      [0.8, 0.9],
      [0.9, 0.8],
      [0.85, 0.85],
    ];
    const { ports, calls } = scripted(script);
    const { done, choices } = await walk('b9.f64', {}, ports);
    expect(choices).toBe('F L L');
    expect(done.iterations.map((r) => [r.layer!.similarity, r.filter!.similarity])).toEqual(script);
    expect(calls.filter((c) => c.startsWith('layerCandidate'))).toEqual([
      'layerCandidate b9.f64 1',
      'layerCandidate b9.f60~c~s 1',
      'layerCandidate b8.f60~c~s 1',
    ]);
    expect(done.result).toBe('b7.f60~c~s');
  });

  it('keeps the layer candidate unless the filter candidate is more similar by more than layerEpsilon', async () => {
    const { done } = await walk(
      'b9.f64',
      { maxIterations: 2, layerEpsilon: 0.02 },
      scripted([
        [0.85, 0.86],
        [0.85, 0.88],
      ]).ports,
    );
    expect(done.iterations.map((r) => r.choice)).toEqual(['L', 'F']);
  });

  it('fine-tunes both candidates briefly and the kept one longer, one job id per fine-tune', async () => {
    const { ports, calls } = scripted([
      [0.8, 0.9],
      [0.9, 0.8],
    ]);
    await walk('b9.f64', { maxIterations: 2 }, ports, 'r1');
    expect(fineTunes(calls)).toEqual([
      'r1-it0-candidate-L',
      'r1-it0-candidate-F',
      'r1-it0-selected-F',
      'r1-it1-candidate-L',
      'r1-it1-candidate-F',
      'r1-it1-selected-L',
    ]);
  });

  it('without candidate fine-tunes (the ablation), compares the candidates as surgery left them', async () => {
    const { ports, calls } = scripted([
      [0.8, 0.9],
      [0.9, 0.8],
    ]);
    const { done, choices } = await walk('b9.f64', { maxIterations: 2, fineTuneCandidates: false }, ports, 'r1');
    expect(choices).toBe('F L');
    expect(fineTunes(calls)).toEqual(['r1-it0-selected-F', 'r1-it1-selected-L']);
    expect(calls.filter((c) => c.startsWith('similarity'))).toHaveLength(4);
    expect(done.result).toBe('b8.f60~s'); // no '~c': never a candidate fine-tune
  });

  it('records both candidates (removed structures and their scores, similarity, accuracy, cost) and the kept model', async () => {
    const accuracy = (m: string, split: string) => (split === 'test' ? 0.5 : m.endsWith('~s') ? 0.7 : 0.6);
    const ports = fakeWalkPorts({ similarity: (kind) => (kind === 'L' ? 0.8 : 0.9), accuracy }).ports;
    const { done } = await walk('b9.f64', { maxIterations: 1 }, ports);
    expect(done.iterations).toEqual([
      {
        index: 0,
        layer: {
          model: 'b8.f64~c',
          macs: 1440,
          flops: 2880,
          params: 144,
          removed: ['block8'],
          removedScores: [1],
          similarity: 0.8,
          validationAccuracy: 0.6,
        },
        filter: {
          model: 'b9.f60~c',
          macs: 1500,
          flops: 3000,
          params: 150,
          removed: ['conv:0', 'conv:1', 'conv:2', 'conv:3'],
          removedScores: [0, 1, 2, 3],
          similarity: 0.9,
          validationAccuracy: 0.6,
        },
        choice: 'F',
        model: 'b9.f60~c~s',
        macs: 1500,
        flops: 3000,
        params: 150,
        validationAccuracy: 0.7,
        testAccuracy: 0.5,
        widths: [{ layer: 'conv', filters: 60 }],
        fineTuneSeconds: 12,
      },
    ]);
  });
});

describe('the filter candidate matches the layer candidate', () => {
  it('in filters removed (the paper rule) or, with filterMatch "macs", in MACs removed', async () => {
    const byCount = fakeWalkPorts();
    await walk('b9.f64', { maxIterations: 1, blocksPerIteration: 2 }, byCount.ports);
    expect(byCount.calls).toContain('filterCandidate b9.f64 {"filters":8}');
    const byMacs = fakeWalkPorts({ similarity: (kind) => (kind === 'F' ? 1 : 0) });
    const { done } = await walk(
      'b9.f64',
      { maxIterations: 1, blocksPerIteration: 2, filterMatch: 'macs' },
      byMacs.ports,
    );
    expect(byMacs.calls).toContain('filterCandidate b9.f64 {"macs":200}');
    expect(done.iterations[0]!.filter!.removed).toHaveLength(20); // 10 MACs a filter
  });
});

describe('policies that decide without comparing', () => {
  it('random: a coin seeded by the run, the same path for the same seed, no candidate fine-tune or similarity', async () => {
    const coin = seededRandom(3);
    const expected = Array.from({ length: 8 }, () => (coin() < 0.5 ? 'L' : 'F')).join(' ');
    expect(expected).toMatch(/L.*F|F.*L/); // the seed draws both kinds, so the walk must follow it
    const { ports, calls } = fakeWalkPorts();
    const { done, choices } = await walk('b9.f64', { policy: 'random', seed: 3, maxIterations: 8 }, ports);
    expect(choices).toBe(expected);
    expect((await walk('b9.f64', { policy: 'random', seed: 3, maxIterations: 8 }, fakeWalkPorts().ports)).choices).toBe(
      expected,
    );
    expect(calls.filter((c) => c.startsWith('similarity'))).toEqual([]);
    expect(fineTunes(calls).every((job) => job.includes('-selected-'))).toBe(true);
    for (const r of done.iterations) expect([r.layer!.similarity, r.filter!.similarity]).toEqual([NaN, NaN]);
  });

  it('layers-only: makes and keeps only layer candidates, never scores filters', async () => {
    const { ports, calls } = fakeWalkPorts({ similarity: (kind) => (kind === 'F' ? 1 : 0) });
    const { events, done, choices } = await walk('b9.f64', { policy: 'layers-only', maxIterations: 2 }, ports);
    expect(choices).toBe('L L');
    expect(done.iterations.map((r) => r.filter)).toEqual([undefined, undefined]);
    expect(calls.filter((c) => /similarity|Filters|filterCandidate/.test(c))).toEqual([]);
    expect(fineTunes(calls)).toEqual(['run-it0-selected-L', 'run-it1-selected-L']);
    expect(summary(events).filter((e) => e.startsWith('0 '))).toEqual([
      '0 score',
      '0 layer candidate',
      '0 fine-tune selected',
      '0 evaluate',
    ]);
  });

  it('filters-only: keeps only filter candidates, each as large as the block a layer candidate would remove', async () => {
    const { ports, calls } = fakeWalkPorts({ similarity: (kind) => (kind === 'L' ? 1 : 0) });
    const { done, choices } = await walk('b9.f64', { policy: 'filters-only', maxIterations: 2 }, ports);
    expect(choices).toBe('F F');
    expect(done.iterations.map((r) => r.layer)).toEqual([undefined, undefined]);
    expect(calls.filter((c) => c.startsWith('filterCandidate'))).toEqual([
      'filterCandidate b9.f64 {"filters":4}',
      'filterCandidate b9.f60~s {"filters":4}',
    ]);
    expect(calls.filter((c) => c.startsWith('similarity'))).toEqual([]);
    expect(done.result).toBe('b9.f56~s');
  });
});
