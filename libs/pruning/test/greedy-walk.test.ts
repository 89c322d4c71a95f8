// The walk's rule and its stop conditions over fake ports (fake-walk-ports.ts); the policies are in
// greedy-walk-policies.test.ts, one real iteration on ResNet-20 in libs/local-ports.
import { describe, expect, it } from 'vitest';
import { chooseCandidate, greedyWalk } from '@prune/pruning';
import { baseConfig, fakeWalkPorts, parse, summary, walk } from './fake-walk-ports.js';

describe('the selection rule', () => {
  const never = () => 0.9;
  it('keeps the more similar candidate; ties and near-ties within epsilon go to the layer candidate', () => {
    expect(chooseCandidate('similarity', 0.8, 0.9, 0, never)).toBe('F');
    expect(chooseCandidate('similarity', 0.9, 0.8, 0, never)).toBe('L');
    expect(chooseCandidate('similarity', 0.85, 0.85, 0, never)).toBe('L');
    expect(chooseCandidate('similarity', 0.85, 0.86, 0.02, never)).toBe('L');
    expect(chooseCandidate('layers-only', 0, 1, 0, never)).toBe('L');
    expect(chooseCandidate('filters-only', 1, 0, 0, never)).toBe('F');
    expect(chooseCandidate('random', NaN, NaN, 0, () => 0.2)).toBe('L');
    expect(chooseCandidate('random', NaN, NaN, 0, () => 0.7)).toBe('F');
  });
});

describe('the walk stops', () => {
  it('after maxIterations, with the last kept model as the result', async () => {
    const { done, choices } = await walk('b9.f64', { maxIterations: 2 }, fakeWalkPorts().ports);
    expect(done.stopReason).toBe('reached 2 iterations');
    expect(choices).toBe('L L'); // equal similarity: ties go to the layer candidate
    expect(done.iterations.map((r) => r.model)).toEqual(['b8.f64~c~s', 'b7.f64~c~s']);
    expect(done.result).toBe('b7.f64~c~s');
  });

  it('at the MACs reduction target, checked on the kept model before scoring the next iteration', async () => {
    // 1540 MACs; each kept block saves 100: two blocks are a 13% reduction, three 19.5%
    const { events, done } = await walk(
      'b9.f64',
      { maxIterations: 10, targetMacsReduction: 0.15 },
      fakeWalkPorts().ports,
    );
    expect(done.stopReason).toBe('reached the MACs reduction target of 0.15');
    expect(done.iterations.map((r) => r.macs)).toEqual([1440, 1340, 1240]);
    expect(done.result).toBe(done.iterations[2]!.model);
    expect(summary(events).slice(-2)).toEqual(['iteration 2 L', 'done']);
  });

  it('never, but fails, when the parent is at chance level: nothing is scored or pruned', async () => {
    const { ports, calls } = fakeWalkPorts({ accuracy: () => 0.11 });
    await expect(walk('b9.f64', { chanceAccuracy: 0.1 }, ports)).rejects.toMatchObject({
      kind: 'failed-precondition',
      message: expect.stringContaining('the parent model scores 11.00% on validation data, chance level is 10.00%'),
    });
    expect(calls).toEqual([]);
  });

  it('never, but fails, when a kept model falls to chance level without an accuracy floor', async () => {
    const accuracy = (m: string) => (parse(m).blocks >= 8 ? 0.9 : 0.12); // the second iteration breaks it
    await expect(
      walk('b9.f64', { maxIterations: 5, chanceAccuracy: 0.1 }, fakeWalkPorts({ accuracy }).ports),
    ).rejects.toMatchObject({
      kind: 'failed-precondition',
      message: expect.stringContaining("iteration 2's model scores 12.00% on validation data, chance level is 10.00%"),
    });
  });

  it('below the accuracy floor: that iteration is recorded, the model kept before it is the result', async () => {
    const accuracy = (m: string) => 0.5 + 0.05 * parse(m).blocks; // b8: 0.90, b7: 0.85, b6: 0.80
    const { events, done } = await walk(
      'b9.f64',
      { maxIterations: 10, accuracyFloor: 0.82 },
      fakeWalkPorts({ accuracy }).ports,
    );
    expect(done.stopReason).toBe('validation accuracy 0.8000 fell below the floor 0.82');
    expect(done.iterations.map((r) => r.model)).toEqual(['b8.f64~c~s', 'b7.f64~c~s', 'b6.f64~c~s']);
    expect(done.result).toBe('b7.f64~c~s');
    expect(summary(events).slice(-2)).toEqual(['iteration 2 L', 'done']);
  });

  it("below the initial model's validation accuracy (the paper's protocol), or a given drop below it", async () => {
    // 0.9 for the initial model, 0.01 less per block removed
    const accuracy = (m: string, split: string) => (split === 'validation' ? 0.9 - 0.01 * (9 - parse(m).blocks) : 0.8);
    const paper = await walk('b9.f64', { maxIterations: 10, maxValidationDrop: 0 }, fakeWalkPorts({ accuracy }).ports);
    expect(paper.done.iterations).toHaveLength(1); // the first removal is below 0.9
    expect(paper.done.result).toBe('b9.f64'); // nothing above it: the initial model is the result
    expect(paper.done.stopReason).toBe("validation accuracy 0.8900 fell more than 0 below the initial model's 0.9000");
    const drop = await walk(
      'b9.f64',
      { maxIterations: 10, maxValidationDrop: 0.025 },
      fakeWalkPorts({ accuracy }).ports,
    );
    expect(drop.done.iterations.map((r) => r.validationAccuracy)).toEqual(
      [0.89, 0.88, 0.87].map((a) => expect.closeTo(a, 9)),
    );
    expect(drop.done.result).toBe(drop.done.iterations[1]!.model);
  });

  it('with layers-only, when no block is left; the last iteration removes only the blocks left', async () => {
    const { done } = await walk(
      'b3.f64',
      { maxIterations: 5, policy: 'layers-only', blocksPerIteration: 2 },
      fakeWalkPorts().ports,
    );
    expect(done.stopReason).toBe('no removable block left');
    expect(done.iterations.map((r) => r.layer!.removed)).toEqual([['block2', 'block1'], ['block0']]);
    expect(done.result).toBe('b0.f64~s');
  });

  it('not when blocks run out under another policy: the filter candidate goes on alone, one filter at a time', async () => {
    const { ports, calls } = fakeWalkPorts();
    const { events, done, choices } = await walk('b1.f64', { maxIterations: 3 }, ports);
    expect(done.stopReason).toBe('reached 3 iterations');
    expect(choices).toBe('L F F');
    expect(calls.filter((c) => c.startsWith('filterCandidate'))).toEqual([
      'filterCandidate b1.f64 {"filters":4}', // the filters of the block the layer candidate removes
      'filterCandidate b0.f64~c~s {"filters":1}',
      'filterCandidate b0.f63~s {"filters":1}',
    ]);
    expect(done.iterations[1]).not.toHaveProperty('layer');
    expect(done.iterations[1]!.filter).toMatchObject({ removed: ['conv:0'], similarity: NaN, validationAccuracy: NaN });
    expect(summary(events).filter((e) => e.startsWith('1 '))).toEqual([
      '1 score',
      '1 filter candidate',
      '1 fine-tune selected',
      '1 evaluate',
    ]);
  });

  it('when neither a block nor a filter is left, instead of asking for an impossible candidate', async () => {
    const { ports, calls } = fakeWalkPorts();
    const { done, choices } = await walk('b1.f3', { maxIterations: 10 }, ports);
    expect(done.stopReason).toBe('nothing removable left');
    // The layer candidate takes the block (4 filters of its own), then each filter candidate
    // asks for at most what is left (a group keeps one filter).
    expect(choices).toBe('L F F');
    expect(calls.filter((c) => c.startsWith('filterCandidate'))).toEqual([
      'filterCandidate b1.f3 {"filters":2}',
      'filterCandidate b0.f3~c~s {"filters":1}',
      'filterCandidate b0.f2~s {"filters":1}',
    ]);
    expect(done.result).toBe('b0.f1~s');
  });
});

describe('the walk reports', () => {
  it('the start, each phase of each iteration in order, each record, then done', async () => {
    const { events, done } = await walk('b9.f64', { maxIterations: 2 }, fakeWalkPorts().ports);
    const phases = [
      'score',
      'layer candidate',
      'filter candidate',
      'fine-tune candidates',
      'compare',
      'fine-tune selected',
      'evaluate',
    ];
    expect(summary(events)).toEqual([
      'start',
      ...phases.map((p) => `0 ${p}`),
      'iteration 0 L',
      ...phases.map((p) => `1 ${p}`),
      'iteration 1 L',
      'done',
    ]);
    expect(events[0]).toEqual({
      type: 'start',
      macs: 1540,
      flops: 3080,
      params: 154,
      testAccuracy: 0.8,
      widths: [{ layer: 'conv', filters: 64 }],
    });
    expect(events.flatMap((e) => (e.type === 'iteration' ? [e.record] : []))).toEqual(done.iterations);
  });

  it('each phase while its work is done: scoring in "score", surgery in the candidate phases', async () => {
    const { ports, calls } = fakeWalkPorts();
    for await (const event of greedyWalk('b9.f64', { ...baseConfig, maxIterations: 1 }, ports))
      if (event.type === 'phase') calls.push(`phase ${event.name}`);
    expect(calls.slice(0, 6)).toEqual([
      'phase score',
      'scoreBlocks b9.f64',
      'scoreFilters b9.f64',
      'phase layer candidate',
      'layerCandidate b9.f64 1',
      'phase filter candidate',
    ]);
  });

  it("the compute seconds of each iteration's fine-tunes: both candidates' and the kept one's", async () => {
    const { done } = await walk('b9.f64', { maxIterations: 1 }, fakeWalkPorts().ports);
    expect(done.iterations[0]!.fineTuneSeconds).toBe(1 + 1 + 10);
    const single = await walk('b9.f64', { maxIterations: 1, policy: 'layers-only' }, fakeWalkPorts().ports);
    expect(single.done.iterations[0]!.fineTuneSeconds).toBe(10); // no candidate fine-tunes
  });

  it("with ports that assess: the parent's assessment at the start, each kept model's after it is evaluated", async () => {
    const { ports, calls } = fakeWalkPorts({ assess: true });
    const { events, done } = await walk('b9.f64', { maxIterations: 2 }, ports);
    expect(summary(events).slice(0, 2)).toEqual(['0 assess', 'start']); // the parent's, while it runs
    expect(events[1]).toMatchObject({ type: 'start', assessment: 'assessed b9.f64' });
    expect(done.iterations.map((r) => r.assessment)).toEqual(['assessed b8.f64~c~s', 'assessed b7.f64~c~s']);
    expect(summary(events).slice(8, 11)).toEqual(['0 evaluate', '0 assess', 'iteration 0 L']);
    // only the parent and the kept models: never a candidate
    expect(calls.filter((c) => c.startsWith('assess'))).toEqual([
      'assess b9.f64',
      'assess b8.f64~c~s',
      'assess b7.f64~c~s',
    ]);
    const plain = await walk('b9.f64', { maxIterations: 1 }, fakeWalkPorts().ports);
    expect(plain.events[0]).not.toHaveProperty('assessment');
    expect(plain.done.iterations[0]).not.toHaveProperty('assessment');
    expect(summary(plain.events)).not.toContain('0 assess');
  });

  it('the cost of each model and nothing else a port reports with it (e.g. per-layer detail)', async () => {
    const { ports } = fakeWalkPorts();
    const detailed = {
      ...ports,
      cost: async (m: string) => ({ ...(await ports.cost(m)), layers: [{ name: 'conv' }] }),
    };
    const { events, done } = await walk('b9.f64', { maxIterations: 1 }, detailed);
    expect(events[0]).not.toHaveProperty('layers');
    for (const record of [done.iterations[0]!, done.iterations[0]!.layer!, done.iterations[0]!.filter!]) {
      expect(record).not.toHaveProperty('layers');
      expect(record.macs).toBe(parse(record.model).blocks * 100 + parse(record.model).filters * 10);
    }
  });
});
