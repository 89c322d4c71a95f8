// TF.js's momentum optimizer with its learning rate in a variable, so that a compiled step reads it.
//
// Why: the stock optimizer makes a new scalar at each setLearningRate, and a compiled step
// (compiled-step.ts) keeps every tensor it did not get as an input or a variable as a constant of
// its graph: it would train at the first rate for ever. Its updates are the stock ones.
import * as tf from '@tensorflow/tfjs-core';

export class VariableRateMomentum extends tf.MomentumOptimizer {
  /** `instanceof` as for any class: TF.js makes every optimizer an instance of every optimizer class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  override setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
    // Called by the constructor first, when there is no variable yet.
    if (this.c instanceof tf.Variable) tf.tidy(() => (this.c as tf.Variable).assign(tf.scalar(-learningRate)));
    else this.c = tf.tidy(() => tf.variable(tf.scalar(-learningRate), false));
  }

  override dispose(): void {
    super.dispose();
    this.c.dispose();
  }

  /**
   * Sets the count of updates applied. makeTrainStep sets it after each compiled step: a graph
   * applies an update without calling applyGradients, and a rehearsal that was undone called it.
   */
  setIterations(count: number): void {
    this.iterations_ = count;
  }
}
