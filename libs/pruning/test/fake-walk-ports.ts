// Deterministic in-memory ports for the greedy walk (no models, no network). A model is a name,
// "b<blocks>.f<filters>", plus "~c" after a candidate fine-tune and "~s" after a selected one.
// A block costs 100 MACs and its convolutions hold 4 filters; each other filter costs 10 MACs.
import { greedyWalk, type Choice, type WalkConfig, type WalkEvent, type WalkPorts } from '@prune/pruning';

export const parse = (model: string) => {
  const [, blocks, filters] = /^b(\d+)\.f(\d+)/.exec(model)!;
  return { blocks: Number(blocks), filters: Number(filters) };
};

export const macsOf = (model: string) => parse(model).blocks * 100 + parse(model).filters * 10;

export interface FakeOptions {
  /** A candidate's similarity to its parent at an iteration (default 0.5: a tie). */
  similarity?: (kind: Choice, iteration: number) => number;
  /** Default: 0.9 on validation, 0.8 on test. */
  accuracy?: (model: string, split: 'validation' | 'test') => number;
  /** Give the ports an `assess` (answering "assessed <model>"), so the walk assesses. */
  assess?: boolean;
}

/**
 * The ports and the calls they received ("layerCandidate b9.f64 1", "filterCandidate b9.f64
 * {"filters":4}", "fineTune run-it0-candidate-L", "similarity L", ...). Blocks are scored so the
 * last is the least important (block<i> scores blocks - i); filters so the first is (channel i scores i).
 */
export function fakeWalkPorts(options: FakeOptions = {}): { ports: WalkPorts<string>; calls: string[] } {
  const calls: string[] = [];
  let iteration = 0; // selected fine-tunes so far
  const similarity = options.similarity ?? (() => 0.5);
  const accuracy = options.accuracy ?? ((_m, split) => (split === 'validation' ? 0.9 : 0.8));
  const ports: WalkPorts<string> = {
    cost: async (m) => ({ macs: macsOf(m), flops: 2 * macsOf(m), params: parse(m).blocks * 10 + parse(m).filters }),
    widths: async (m) => [{ layer: 'conv', filters: parse(m).filters }],
    removableBlocks: async (m) => parse(m).blocks,
    removableFilters: async (m) => parse(m).filters - 1,
    scoreBlocks: async (m) => {
      calls.push(`scoreBlocks ${m}`);
      return Array.from({ length: parse(m).blocks }, (_, i) => ({ id: `block${i}`, score: parse(m).blocks - i }));
    },
    scoreFilters: async (m) => {
      calls.push(`scoreFilters ${m}`);
      return Array.from({ length: parse(m).filters }, (_, i) => ({ id: 'conv', channel: i, score: i }));
    },
    layerCandidate: async (m, scores, n) => {
      calls.push(`layerCandidate ${m} ${n}`);
      const removed = [...scores]
        .sort((a, b) => a.score - b.score)
        .slice(0, n)
        .map((s) => s.id);
      return { model: `b${parse(m).blocks - n}.f${parse(m).filters}`, removed, removedFilters: 4 * n };
    },
    filterCandidate: async (m, scores, budget) => {
      calls.push(`filterCandidate ${m} ${JSON.stringify(budget)}`);
      const k = 'filters' in budget ? budget.filters : Math.ceil(budget.macs / 10);
      if (k > parse(m).filters - 1)
        throw new Error(`budget.filters: ${k} filters asked, at most ${parse(m).filters - 1} can be removed`);
      const removed = [...scores]
        .sort((a, b) => a.score - b.score)
        .slice(0, k)
        .map((s) => `${s.id}:${s.channel}`);
      return { model: `b${parse(m).blocks}.f${parse(m).filters - k}`, removed };
    },
    fineTune: async (m, phase, job) => {
      calls.push(`fineTune ${job}`);
      if (phase === 'selected') iteration++;
      return { model: `${m}~${phase[0]}`, seconds: phase === 'selected' ? 10 : 1 };
    },
    similarity: async (parent, child) => {
      const kind: Choice = parse(child).blocks < parse(parent).blocks ? 'L' : 'F';
      calls.push(`similarity ${kind}`);
      return similarity(kind, iteration);
    },
    accuracy: async (m, split) => accuracy(m, split),
    ...(options.assess
      ? {
          assess: async (m: string) => {
            calls.push(`assess ${m}`);
            return `assessed ${m}`;
          },
        }
      : {}),
  };
  return { ports, calls };
}

export const baseConfig: WalkConfig = {
  maxIterations: 3,
  targetMacsReduction: 0,
  accuracyFloor: 0,
  blocksPerIteration: 1,
  filterMatch: 'count',
  policy: 'similarity',
  layerEpsilon: 0,
  seed: 0,
  chanceAccuracy: 0,
};

export type Done = Extract<WalkEvent<string>, { type: 'done' }>;

/** Runs the walk to its end: every event, and the final one. */
export async function walk(initial: string, config: Partial<WalkConfig>, ports: WalkPorts<string>, runId = 'run') {
  const events: WalkEvent<string>[] = [];
  for await (const event of greedyWalk(initial, { ...baseConfig, ...config }, ports, runId)) events.push(event);
  const done = events.at(-1) as Done;
  return { events, done, choices: done.iterations.map((r) => r.choice).join(' ') };
}

/** The events as short lines: "start", "0 score", "iteration 0 F", "done". */
export const summary = (events: WalkEvent<string>[]) =>
  events.map((e) =>
    e.type === 'phase'
      ? `${e.iteration} ${e.name}`
      : e.type === 'iteration'
        ? `iteration ${e.record.index} ${e.record.choice}`
        : e.type,
  );
