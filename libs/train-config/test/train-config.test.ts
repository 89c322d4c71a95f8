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
    expect(() => resolveTrainConfig({ epochs: -1 })).toThrow('epochs: must be an integer in [0, 10000], got -1');
    expect(() => resolveTrainConfig({ learningRate: 0 })).toThrow('learningRate: must be a positive number up to 10');
    expect(() => resolveTrainConfig({ learningRate: -0.1 })).toThrow(
      'learningRate: must be a positive number up to 10, got -0.1',
    );
    // Bounds keep one request from exhausting a trainer or running for years.
    expect(() => resolveTrainConfig({ steps: 1, batchSize: 4294967295 })).toThrow(
      'batchSize: must be an integer in [1, 4096], got 4294967295',
    );
    expect(() => resolveTrainConfig({ learningRate: 1e308 })).toThrow(
      'learningRate: must be a positive number up to 10',
    );
    expect(() => resolveTrainConfig({ learningRate: NaN })).toThrow('learningRate: must be a positive number up to 10');
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
