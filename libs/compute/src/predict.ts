// A model's output for a whole batch in one forward pass. tfjs-layers' `predict` cuts its input
// into batches of 32 unless told otherwise; on the native backend at two threads a batch of 256
// runs about 1.6x faster per image than eight of 32 (ResNet-56, `npm run bench`), and callers
// here already choose their batch size for memory.
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { compileStep } from './graph/compiled-step.js';

/** `model`'s output for every example of `x`, computed as one batch. */
export function predictInOnePass(model: tfl.LayersModel, x: tf.Tensor): tf.Tensor {
  return model.predict(x, { batchSize: Math.max(1, x.shape[0] ?? 1) }) as tf.Tensor;
}

/** `predictInOnePass` compiled (compiled-step.ts): a TensorFlow graph per input shape from the fourth call on. */
export interface Predictor {
  predict(x: tf.Tensor): tf.Tensor;
  /** Releases its graphs. */
  dispose(): void;
}

export function compiledPredictor(model: tfl.LayersModel): Predictor {
  const forward = compileStep(([x]) => [predictInOnePass(model, x!)]);
  return { predict: (x) => forward([x])[0]!, dispose: () => forward.dispose() };
}
