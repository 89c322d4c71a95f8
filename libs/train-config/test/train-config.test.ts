import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig, TrainConfigError } from '@prune/train-config';

describe('resolveTrainConfig', () => {
  it('fills only the fields left undefined: an explicit false or 0 stays', () => {
    const config = resolveTrainConfig({ steps: 5, nesterov: false, augment: false, weightDecay: 0, seed: undefined });
    expect(config).toMatchObject({
      steps: 5,
      nesterov: false,
      augment: false,
      weightDecay: 0,
      seed: DEFAULT_TRAIN_CONFIG.seed,
      batchSize: DEFAULT_TRAIN_CONFIG.batchSize,
    });
  });

  it('rejects bad hyper-parameters naming the field, which callers at an edge can translate', () => {
    expect(() => resolveTrainConfig({ epochs: -1 })).toThrow('epochs: must be a non-negative integer, got -1');
    expect(() => resolveTrainConfig({ learningRate: 0 })).toThrow('learningRate: must be a positive number');
    expect(() => resolveTrainConfig({ learningRate: -0.1 })).toThrow(
      'learningRate: must be a positive number, got -0.1',
    );
    expect(() => resolveTrainConfig({ epochs: 0, steps: 0 })).toThrow('epochs, steps: one of them must be positive');
    expect(() => resolveTrainConfig({ schedule: 'linear' as never })).toThrow(
      'schedule: must be one of constant, step, cosine, got "linear"',
    );
    let error: unknown;
    try {
      resolveTrainConfig({ momentum: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainConfigError);
    expect(error).toMatchObject({
      kind: 'invalid-argument',
      fields: ['momentum'],
      problem: 'must be in [0, 1), got 1',
    });
  });
});
