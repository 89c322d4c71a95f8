// Training on native TensorFlow with TensorFlow's own fused kernels where TF.js composes many.
//
// Why: tfjs-node runs each TF.js kernel as one or more TensorFlow ops, but some of its kernels are
// compositions written in JavaScript. The ReLU gradient is dy * step(x), and tfjs-node's Step is
// seven full-size ops (isNaN, greater, ones, fill, two selects): 21% of a ResNet-20 training step
// at one thread, measured with `npm run bench:backend -- --profile`. TensorFlow's ReluGrad is one.
// (Batch normalization's fused kernels are used in batch-norm.ts.)
import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-node's backend used to run TensorFlow ops that TF.js has no kernel for. */
export interface NativeBackend {
  binding: Record<'TF_ATTR_TYPE' | 'TF_ATTR_FLOAT' | 'TF_ATTR_STRING' | 'TF_ATTR_BOOL' | 'TF_FLOAT', number>;
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The active backend as tfjs-node's (typed as the parts `T` a caller uses), or undefined on any other backend. */
export function nativeBackend<T = NativeBackend>(): T | undefined {
  return tf.getBackend() === 'tensorflow' ? (tf.backend() as unknown as T) : undefined;
}

/** The `T: float32` attribute most TensorFlow ops take. */
export function float32Attr(backend: NativeBackend): OpAttr {
  return { name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT };
}

let registered = false;

/**
 * Replaces the ReLU gradient with one that runs TensorFlow's ReluGrad on the tensorflow backend and
 * the stock dy * step(x) elsewhere (gradients are registered for every backend at once; the choice
 * is made per call, so switching backends in one process stays correct). Idempotent.
 */
export function registerNativeTrainingGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      const dyT = dy as tf.Tensor;
      return {
        x: () => {
          const backend = nativeBackend();
          if (backend && x.dtype === 'float32')
            return backend.executeSingleOutput('ReluGrad', [float32Attr(backend)], [dyT, x]);
          return tf.mul(dyT, tf.cast(tf.step(x), 'float32'));
        },
      };
    },
  });
}
