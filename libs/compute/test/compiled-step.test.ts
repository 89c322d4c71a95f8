// A step compiled to a TensorFlow graph computes what it computes op by op: the same losses,
// weights, moving statistics and optimizer state under a changing learning rate, and it falls back
// to op by op, saying why, when a call cannot be repeated as a graph.
import { describe, expect, it } from 'vitest';
import { compileStep, initBackend, makeTrainStep, tf, VariableRateMomentum } from '@prune/compute';
import { nativeBindingLoads, relativeError, smallResNet, withEnv } from './fixtures.js';

const native = process.env['PRUNE_BACKEND'] !== 'wasm' && nativeBindingLoads();

function batch(i: number, size = 6): [tf.Tensor4D, tf.Tensor1D] {
  const x = tf.randomNormal([size, 8, 8, 3], 0, 1, 'float32', 100 + i) as tf.Tensor4D;
  const y = tf.tensor1d(
    Array.from({ length: size }, (_, k) => (k + i) % 10),
    'int32',
  );
  return [x, y];
}

/** Trains smallResNet for `steps` steps at a falling learning rate; what a step leaves behind. */
async function train(optimizer: tf.MomentumOptimizer, steps: number) {
  const model = smallResNet();
  const kernels = model.trainableWeights.filter((w) => w.originalName.endsWith('/kernel'));
  const step = makeTrainStep(model, optimizer, { weightDecay: 5e-4, decayedWeights: kernels });
  const losses: number[] = [];
  const states: string[] = [];
  for (let i = 0; i < steps; i++) {
    optimizer.setLearningRate(0.1 / (1 + i));
    const [x, y] = batch(i);
    losses.push(step(x, y).loss);
    states.push(step.state());
    tf.dispose([x, y]);
  }
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const state = await optimizer.getWeights();
  const optimizerState = state.map((w) => w.tensor.dataSync() as Float32Array);
  step.dispose();
  model.dispose();
  optimizer.dispose();
  return { losses, states, weights, optimizerState };
}

describe.runIf(native)('a training step compiled to a graph on native TensorFlow', () => {
  it('runs as a graph from its fourth call and trains as the op-by-op step does', async () => {
    await initBackend('tensorflow', () => {});
    const eager = await train(tf.train.momentum(0.1, 0.9, true) as tf.MomentumOptimizer, 7);
    const compiled = await train(new VariableRateMomentum(0.1, 0.9, true), 7);
    const off = await withEnv('PRUNE_GRAPHS', 'off', () => train(new VariableRateMomentum(0.1, 0.9, true), 4));
    expect(off.states).toEqual(Array(4).fill('eager: PRUNE_GRAPHS=off'));
    expect(eager.states).toEqual(Array(7).fill('eager'));
    expect(compiled.states).toEqual(['tracing', 'tracing', 'graph', 'graph', 'graph', 'graph', 'graph']);
    compiled.losses.forEach((loss, i) => expect(loss, `loss ${i}`).toBeCloseTo(eager.losses[i]!, 4));
    // every weight, the batch norms' moving statistics, then the iteration count and momenta
    expect(compiled.weights).toHaveLength(eager.weights.length);
    compiled.weights.forEach((w, i) => expect(relativeError(w, eager.weights[i]!), `weight ${i}`).toBeLessThan(1e-4));
    expect(compiled.optimizerState).toHaveLength(eager.optimizerState.length);
    expect(compiled.optimizerState[0]).toEqual(eager.optimizerState[0]);
    compiled.optimizerState.forEach((s, i) =>
      expect(relativeError(s, eager.optimizerState[i]!), `optimizer weight ${i}`).toBeLessThan(1e-4),
    );
  });

  it("runs a resumed job's first step as a graph, after rehearsals that leave no trace", async () => {
    await initBackend('tensorflow', () => {});
    const model = smallResNet();
    const optimizer = new VariableRateMomentum(0.1, 0.9, true);
    const twin = smallResNet();
    const twinOptimizer = tf.train.momentum(0.1, 0.9, true);
    const [x, y] = batch(0);
    // both have momenta (a resumed job restores them from its checkpoint) and 4 updates behind them
    for (const [m, o] of [
      [model, optimizer],
      [twin, twinOptimizer],
    ] as const) {
      const warm = makeTrainStep(m, o);
      for (let i = 0; i < 4; i++) warm(x, y);
      warm.dispose();
    }
    const resumed = makeTrainStep(model, optimizer);
    const loss = resumed(x, y, 4).loss;
    expect(resumed.state()).toBe('graph');
    expect(optimizer.iterations).toBe(5);
    // one update, as the op-by-op step of the twin applies it
    expect(loss).toBeCloseTo(makeTrainStep(twin, twinOptimizer)(x, y).loss, 5);
    const after = twin.getWeights();
    model
      .getWeights()
      .forEach((w, i) =>
        expect(relativeError(w.dataSync() as Float32Array, after[i]!.dataSync() as Float32Array)).toBeLessThan(1e-5),
      );
    resumed.dispose();
    tf.dispose([x, y]);
  });

  it('compiles each shape of its inputs once and releases the graphs when disposed', async () => {
    await initBackend('tensorflow', () => {});
    const binding = (tf.backend() as unknown as { binding: { getNumOfSavedModels(): number } }).binding;
    const before = binding.getNumOfSavedModels();
    const w = tf.variable(tf.ones([3]));
    const step = compileStep(([x]) => {
      const next = tf.add(w, tf.mul(tf.mean(x!), 0.5));
      w.assign(next);
      return [tf.sum(next)];
    });
    const expected = [3];
    for (const size of [4, 4, 4, 4, 2, 4, 2, 2, 2, 4]) {
      const x = tf.ones([size]);
      const outputs = step([x]);
      expected.push(expected.at(-1)! + 1.5);
      expect(outputs[0]!.dataSync()[0]).toBeCloseTo(expected.at(-1)!, 5);
      tf.dispose([x, ...outputs]);
    }
    expect(step.state()).toBe('graph');
    expect(binding.getNumOfSavedModels()).toBe(before + 2);
    step.dispose();
    expect(binding.getNumOfSavedModels()).toBe(before);
    w.dispose();
  });

  it('stays op by op, saying why, when a call reads a computed value back or its constants change', async () => {
    await initBackend('tensorflow', () => {});
    const x = tf.tensor1d([1, 2, 3]);
    const readsBack = compileStep(([t]) => [tf.mul(t!, tf.max(t!).dataSync()[0]!)]);
    let calls = 0;
    const changes = compileStep(([t]) => [tf.add(t!, ++calls)]);
    for (let i = 1; i <= 5; i++) {
      const [scaled] = readsBack([x]);
      const [shifted] = changes([x]);
      expect(Array.from(scaled!.dataSync())).toEqual([3, 6, 9]);
      expect(Array.from(shifted!.dataSync())).toEqual([1 + i, 2 + i, 3 + i]);
      tf.dispose([scaled!, shifted!]);
    }
    expect(readsBack.state()).toBe("eager: it reads a tensor's values back to JavaScript");
    expect(changes.state()).toBe('eager: two calls made different ops or constants');
    x.dispose();
  });

  it('reads an input back: stays op by op (a value read may steer what follows)', async () => {
    await initBackend('tensorflow', () => {});
    const readsInput = compileStep(([t]) => [tf.mul(t!, t!.dataSync()[0]!)]);
    for (let i = 1; i <= 4; i++) {
      const x = tf.tensor1d([i, 1]);
      expect(Array.from(readsInput([x])[0]!.dataSync())).toEqual([i * i, i]);
      x.dispose();
    }
    expect(readsInput.state()).toBe("eager: it reads a tensor's values back to JavaScript");
  });

  it('feeds the variables it reads when others share their tensors', async () => {
    await initBackend('tensorflow', () => {});
    const weight = tf.variable(tf.ones([2]));
    const copy = tf.variable(tf.zeros([2]));
    copy.assign(weight); // the two share one tensor until one of them changes
    const update = compileStep(([x]) => {
      weight.assign(tf.add(weight, x!));
      return [tf.sum(weight)];
    });
    const readsCopy = compileStep(([x]) => [tf.add(copy, x!)]);
    const x = tf.ones([2]);
    for (let i = 1; i <= 6; i++) {
      const [total] = update([x]);
      const [shifted] = readsCopy([x]);
      expect(total!.dataSync()[0]).toBe(2 + 2 * i);
      expect(Array.from(shifted!.dataSync())).toEqual([2, 2]);
      tf.dispose([total!, shifted!]);
    }
    expect([update.state(), readsCopy.state()]).toEqual(['graph', 'graph']);
    copy.assign(tf.fill([2], 5));
    expect(Array.from(readsCopy([x])[0]!.dataSync())).toEqual([6, 6]);
    tf.dispose([weight, copy, x]);
  });

  it('runs op by op from a graph that fails to run, and inside another compiled call', async () => {
    await initBackend('tensorflow', () => {});
    const backend = tf.backend() as unknown as { binding: object };
    const w = tf.variable(tf.zeros([2]));
    const inner = compileStep(([x]) => {
      w.assign(tf.add(w, x!));
      return [tf.mul(w, 2)];
    });
    const outer = compileStep(([x]) => [tf.add(inner([x!])[0]!, 1)]);
    const x = tf.ones([2]);
    for (let i = 1; i <= 5; i++) expect(Array.from(outer([x])[0]!.dataSync())).toEqual([2 * i + 1, 2 * i + 1]);
    expect(outer.state()).toBe('graph');
    // the inner step's ops were traced with the outer's: the outer graph updates the variable itself
    const binding = backend.binding;
    backend.binding = Object.create(binding, {
      runSavedModel: {
        value: () => {
          throw new Error('Session fail to run with error: out of memory');
        },
      },
    });
    try {
      expect(Array.from(outer([x])[0]!.dataSync())).toEqual([13, 13]);
    } finally {
      backend.binding = binding;
    }
    expect(outer.state()).toBe('eager: its graph failed to run (Session fail to run with error: out of memory)');
    expect(Array.from(outer([x])[0]!.dataSync())).toEqual([15, 15]);
    tf.dispose([w, x]);
  });
});

describe('a compiled step on another backend', () => {
  it('runs op by op', async () => {
    await initBackend('wasm', () => {});
    const step = compileStep(([t]) => [tf.mul(t!, 2)]);
    const x = tf.tensor1d([1, 2]);
    for (let i = 0; i < 4; i++) expect(Array.from(step([x])[0]!.dataSync())).toEqual([2, 4]);
    expect(step.state()).toBe('eager: not on native TensorFlow');
  });
});
