// An optimizer's state (iteration count, momentum accumulators) as plain arrays: what a checkpoint
// stores and what a data-parallel fine-tune copies to its replicas.
import { tf } from '@prune/compute';

export interface OptimizerState {
  shapes: number[][];
  /** Every state tensor's values, one after another in `shapes` order. */
  values: Float32Array;
}

export async function optimizerState(optimizer: tf.Optimizer): Promise<OptimizerState> {
  const weights = await optimizer.getWeights();
  try {
    const shapes = weights.map((w) => w.tensor.shape);
    const values = new Float32Array(weights.reduce((n, w) => n + w.tensor.size, 0));
    let offset = 0;
    for (const w of weights) {
      values.set(w.tensor.dataSync() as Float32Array, offset);
      offset += w.tensor.size;
    }
    return { shapes, values };
  } finally {
    // getWeights makes the iteration count a new tensor (the accumulators are the optimizer's own).
    weights[0]?.tensor.dispose();
  }
}

/**
 * Sets `optimizer` to `state`. Momentum accumulators are matched to variables by position: the
 * order in which the gradients of the first update were keyed.
 */
export async function setOptimizerState(optimizer: tf.Optimizer, { shapes, values }: OptimizerState): Promise<void> {
  let offset = 0;
  const tensors = shapes.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(values.subarray(offset, offset + size), shape);
    offset += size;
    return { name: `w${i}`, tensor };
  });
  await optimizer.setWeights(tensors);
  tf.dispose(tensors.map((t) => t.tensor));
}
