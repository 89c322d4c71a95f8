// A Transformer's training step with tfjs-layers' stock LayerNormalization against ours (analytic
// gradient as one custom-gradient op), op by op on the active backend: milliseconds per step and the
// ratio; then ours as fine-tunes run it, as a TensorFlow graph (on native TensorFlow).
// A script, not a test: `npm run bench:transformer`.
import { initBackend, makeTrainStep, medianMs, tf, tfl, VariableRateMomentum } from '@prune/compute';
import { buildTransformer, decayedWeights } from '@prune/models';
import { printTable } from './table.js';

const backend = await initBackend();
const batch = 64;
const x = tf.randomUniform([batch, 28, 28, 1]) as tf.Tensor4D;
const y = tf.tensor1d(
  Array.from({ length: batch }, (_, i) => i % 10),
  'int32',
);

/**
 * Median milliseconds of training steps: of 8 after 2 warm-ups op by op (the stock optimizer); as a
 * graph (VariableRateMomentum), of 8 after the 4 that make the graph and its first run.
 */
function stepMs(model: tfl.LayersModel, graph = false): number {
  const optimizer = graph ? new VariableRateMomentum(0.01, 0.9, true) : tf.train.momentum(0.01, 0.9, true);
  const step = makeTrainStep(model, optimizer, { weightDecay: 5e-4, decayedWeights: decayedWeights(model) });
  const ms = medianMs(() => step(x, y), 8, graph ? 4 : 2);
  step.dispose();
  optimizer.dispose();
  return ms;
}

const rows: string[][] = [];
for (const size of [
  { blocks: 3, heads: 4, headDim: 8, modelDim: 32, feedForwardDim: 64 },
  { blocks: 4, heads: 8, headDim: 16, modelDim: 64, feedForwardDim: 128 },
]) {
  const fast = buildTransformer({ inputShape: [28, 28, 1], numClasses: 10, seed: 1, ...size });
  const stock = buildTransformer({
    inputShape: [28, 28, 1],
    numClasses: 10,
    seed: 1,
    ...size,
    layerNormalization: (args) => tfl.layers.layerNormalization(args),
  });
  const [ours, theirs] = [stepMs(fast), stepMs(stock)];
  const graph = stepMs(fast, true);
  rows.push([
    `${size.blocks} blocks x ${size.heads} heads x ${size.headDim}, width ${size.modelDim}`,
    theirs.toFixed(1),
    ours.toFixed(1),
    `${(theirs / ours).toFixed(1)}x`,
    graph.toFixed(1),
    `${(ours / graph).toFixed(1)}x`,
  ]);
}
console.log(`Transformer training step, batch ${batch} of 28x28 sequences, ${backend.name} (${backend.detail})\n`);
printTable(
  ['model', 'stock LayerNormalization ms', 'ours ms', 'speed-up', 'ours as a graph ms', 'graph speed-up'],
  rows,
);
