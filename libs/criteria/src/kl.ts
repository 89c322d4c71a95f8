// KL-divergence importance (Luo & Wu 2020, as the paper uses it): the importance of a structure
// is the mean over calibration examples of KL(p_parent || p_without), where "without" is exactly
// what removing it does: a filter's output channel zeroed as the layers consuming it see it, an
// attention head's contribution zeroed, or a block bypassed (its output replaced by its input).
//
// Fast path: one pass through the parent; before each structure's first layer, the cached
// activations are stacked K times and K variants run the rest of the network as one batch.
// The naive path runs the whole network once per structure; both give the same scores.
import { tf, type tfl } from '@prune/compute';
import {
  findFilterGroups,
  findResidualBlocks,
  layerRule,
  logProbabilities,
  outputsAreProbabilities,
} from '@prune/models';
import { CancelledError } from '@prune/errors';
import { CriterionInputError, type Criterion, type ScoringContext, type StructureScore } from './criterion.js';
import { GraphRunner, type Replacements } from './graph-runner.js';

/** How a variant differs from the parent. */
type Change =
  /** The block's output is its input. */
  | { kind: 'bypass'; add: string; input: string }
  /** Channel `index` of these layers' outputs is zero. */
  | { kind: 'channel'; layers: string[]; index: number }
  /** Unit (head) `index` of the layer contributes nothing. */
  | { kind: 'unit'; layers: [string]; index: number };

/** One structure to score: where its variant starts and what it changes. */
interface Variant {
  score: StructureScore;
  resumeAt: number;
  change: Change;
}

export interface KlOptions {
  /** Largest batch (calibration images x variants) of one pass; bounds memory. */
  maxBatch?: number;
  /** 'fast' (resume from cached activations, batched) or 'naive' (a full pass per structure). */
  mode?: 'fast' | 'naive';
  /** Score only the structures this accepts (benchmarks compare subsets). */
  select?: (structure: StructureScore) => boolean;
  /** Checked between passes: true stops scoring with a CancelledError. */
  cancelled?: () => boolean;
}

function variantsOf(runner: GraphRunner, kind: 'block' | 'filter'): Variant[] {
  const graph = runner.graph;
  if (kind === 'block') {
    return findResidualBlocks(graph).map((block) => ({
      score: { kind: 'block', id: block.id, score: 0 },
      resumeAt: runner.index.get(block.branch[0]!)!,
      change: { kind: 'bypass', add: block.add, input: block.input },
    }));
  }
  return findFilterGroups(graph).flatMap((group) => {
    const members = new Set([group.producer, ...group.passthrough]);
    // The tensors the consumers read: zeroing a channel there is exactly removing the filter.
    const feeding = [
      ...new Set(group.consumers.flatMap((c) => graph.get(c.name).inputs.filter((i) => members.has(i)))),
    ];
    return Array.from({ length: group.channels }, (_, index): Variant => ({
      score: { kind: 'filter', id: group.id, channel: index, score: 0 },
      resumeAt: runner.index.get(group.producer)!,
      change:
        group.kind === 'units'
          ? { kind: 'unit', layers: [group.producer], index }
          : { kind: 'channel', layers: feeding, index },
    }));
  });
}

/**
 * Replacements for K variants stacked on the batch axis (N examples each), all changing the same
 * layers the same way (see groupsOf).
 */
function stackedReplacements(runner: GraphRunner, variants: Variant[], examples: number): Replacements {
  const k = variants.length;
  const first = variants[0]!.change;
  if (first.kind === 'bypass') {
    return new Map([
      [first.add, { output: (_output, values) => tf.clone(values.get(first.input)!), reads: [first.input] }],
    ]);
  }
  /** [K, width] ones with each variant's own index zeroed. */
  const maskOf = (layer: string, width: number) => {
    const mask = new Float32Array(k * width).fill(1);
    variants.forEach((v, i) => {
      if (v.change.kind !== 'bypass' && v.change.layers.includes(layer)) mask[i * width + v.change.index] = 0;
    });
    return mask;
  };
  const replacements: Replacements = new Map();
  for (const layer of new Set(variants.flatMap((v) => (v.change.kind === 'bypass' ? [] : v.change.layers)))) {
    if (first.kind === 'unit') {
      const target = runner.model.getLayer(layer);
      const units = layerRule(target.getClassName(), layer).units!;
      const width = units.count(runner.graph.get(layer));
      replacements.set(layer, {
        compute: ([input]) =>
          tf.tidy(() => {
            const perVariant = tf.tensor3d(maskOf(layer, width), [k, 1, width]);
            const mask = tf.reshape(tf.tile(perVariant, [1, examples, 1]), [k * examples, width]);
            return units.applyMasked(target, input!, mask);
          }),
      });
      continue;
    }
    replacements.set(layer, {
      output: (output) =>
        tf.tidy(() => {
          const channels = output.shape.at(-1)!;
          const rest = output.shape.slice(1);
          const grouped = tf.reshape(output, [k, examples, ...rest]);
          const maskShape = [k, 1, ...rest.slice(0, -1).map(() => 1), channels];
          return tf.reshape(tf.mul(grouped, tf.tensor(maskOf(layer, channels), maskShape)), output.shape);
        }),
    });
  }
  return replacements;
}

/** Mean KL(parent || variant) of each of the K stacked variants. */
function meanKl(parentLogP: tf.Tensor, variantOutput: tf.Tensor, k: number, probabilities: boolean): Float32Array {
  return tf.tidy(() => {
    const [n, classes] = parentLogP.shape as [number, number];
    const logQ = tf.reshape(logProbabilities(variantOutput, probabilities), [k, n, classes]);
    const terms = tf.mul(tf.exp(parentLogP), tf.sub(parentLogP, logQ));
    return tf.mean(tf.sum(terms, 2), 1).dataSync() as Float32Array;
  });
}

export function klScores(
  model: tfl.LayersModel,
  calibration: tf.Tensor4D,
  kind: 'block' | 'filter',
  options: KlOptions = {},
): StructureScore[] {
  const runner = new GraphRunner(model);
  const probabilities = outputsAreProbabilities(runner.graph);
  const examples = calibration.shape[0];
  const inputName = runner.graph.inputs[0]!;
  const variants = variantsOf(runner, kind).filter((v) => !options.select || options.select(v.score));
  const parentLogP = tf.tidy(() => logProbabilities(runner.run(new Map([[inputName, calibration]]), 0), probabilities));
  let scored = 0;
  const stopIfCancelled = () => {
    if (options.cancelled?.())
      throw new CancelledError(`scoring cancelled after ${scored} of ${variants.length} structures`);
  };
  try {
    if (options.mode === 'naive') {
      for (const variant of variants) {
        stopIfCancelled();
        const [kl] = tf.tidy(() =>
          meanKl(
            parentLogP,
            runner.run(new Map([[inputName, calibration]]), 0, stackedReplacements(runner, [variant], examples)),
            1,
            probabilities,
          ),
        );
        variant.score.score = kl!;
        scored++;
      }
    } else {
      const perPass = Math.max(1, Math.floor((options.maxBatch ?? 1024) / examples));
      const byResume = new Map<number, Variant[]>();
      for (const v of variants) byResume.set(v.resumeAt, [...(byResume.get(v.resumeAt) ?? []), v]);
      tf.tidy(() => {
        runner.run(new Map([[inputName, calibration]]), 0, undefined, (i, live) => {
          for (const group of groupsOf(byResume.get(i) ?? [], perPass)) {
            stopIfCancelled();
            const scores = tf.tidy(() => {
              const k = group.length;
              const stacked = new Map(
                runner
                  .liveBefore(i)
                  .map((name) => [name, k === 1 ? live.get(name)! : tf.concat(Array(k).fill(live.get(name)!), 0)]),
              );
              return meanKl(
                parentLogP,
                runner.run(stacked, i, stackedReplacements(runner, group, examples)),
                k,
                probabilities,
              );
            });
            group.forEach((v, j) => (v.score.score = scores[j]!));
            scored += group.length;
          }
        });
      });
    }
  } finally {
    parentLogP.dispose();
  }
  return variants.map((v) => v.score);
}

/** Splits variants into batches of at most `size` that change the same layers the same way. */
function groupsOf(variants: Variant[], size: number): Variant[][] {
  const byLayers = new Map<string, Variant[]>();
  for (const v of variants) {
    const c = v.change;
    const key = c.kind === 'bypass' ? `bypass:${c.add}` : `${c.kind}:${c.layers.join(',')}`;
    byLayers.set(key, [...(byLayers.get(key) ?? []), v]);
  }
  const out: Variant[][] = [];
  for (const list of byLayers.values()) {
    // A bypassed block is one variant per batch: its replacement is not per-channel.
    const step = list[0]!.change.kind === 'bypass' ? 1 : size;
    for (let i = 0; i < list.length; i += step) out.push(list.slice(i, i + step));
  }
  return out;
}

function requireCalibration(context: ScoringContext): tf.Tensor4D {
  if (!context.calibration) throw new CriterionInputError('calibration: the kl criterion needs calibration data');
  if (context.calibration.shape[0] < 1) throw new CriterionInputError('calibration: no examples');
  return context.calibration;
}

export const klCriterion: Criterion = {
  name: 'kl',
  description: 'Mean KL divergence between the softmax outputs with and without the structure (Luo & Wu 2020)',
  needsData: true,
  scoreBlocks: (model, context) =>
    klScores(model, requireCalibration(context), 'block', { cancelled: context.cancelled }),
  scoreFilters: (model, context) =>
    klScores(model, requireCalibration(context), 'filter', { cancelled: context.cancelled }),
};
