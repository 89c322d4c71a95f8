// How both ends of the trainer contract read a TrainConfig message: the trainer for a Train
// request, the coordinator for a run's fine-tunes (which it reports complete and the trainer reads back).
import { describe, expect, it } from 'vitest';
import { LrSchedule, resolveTrainConfigMessage, TrainConfig, trainConfigMessage } from '@prune/contracts';
import { DEFAULT_TRAIN_CONFIG } from '@prune/train-config';

const read = (partial: Partial<TrainConfig>) => resolveTrainConfigMessage(TrainConfig.fromPartial(partial), 'config');

describe('TrainConfig messages', () => {
  it('leave every unset field to the defaults every fine-tune shares, 0 included where 0 cannot be meant', () => {
    expect(read({ steps: 5 })).toEqual({ ...DEFAULT_TRAIN_CONFIG, steps: 5, epochs: 0 });
    expect(
      read({ steps: 5, batchSize: 0, learningRate: 0, momentum: 0, weightDecay: 0, stepGamma: 0, stepMilestones: [] }),
    ).toEqual(read({ steps: 5 }));
  });

  it('keep what is set, including an explicit false', () => {
    const set = {
      epochs: 2,
      batchSize: 16,
      learningRate: 0.1,
      momentum: 0.5,
      nesterov: false,
      weightDecay: 1e-4,
      schedule: LrSchedule.LR_SCHEDULE_STEP,
      stepMilestones: [0.3],
      stepGamma: 0.5,
      augment: false,
      seed: 7,
      distillationWeight: 0.3,
      distillationTemperature: 2,
      dataParallelReplicas: 4,
    };
    expect(read(set)).toEqual({ ...set, steps: 0, schedule: 'step' });
  });

  it('read back as the fine-tune they were written from (a run reports what its trainer trains with)', () => {
    const resolved = read({ steps: 50, schedule: LrSchedule.LR_SCHEDULE_CONSTANT, augment: false, seed: 3 });
    expect(resolveTrainConfigMessage(trainConfigMessage(resolved), 'config')).toEqual(resolved);
    expect(trainConfigMessage(resolved)).toMatchObject({
      schedule: LrSchedule.LR_SCHEDULE_CONSTANT,
      augment: false,
      nesterov: true,
    });
  });

  it('are refused naming the message field and what it must be', () => {
    expect(() => read({ steps: 5, learningRate: -1 })).toThrow(
      'config.learning_rate: must be a positive number up to 10, got -1',
    );
    expect(() => read({ steps: 5, schedule: 9 as LrSchedule })).toThrow(
      'config.schedule: must be one of constant, step, cosine, got 9',
    );
    expect(() => read({})).toThrow('config.epochs, config.steps: one of them must be positive');
    expect(() => read({ steps: 5, stepMilestones: [1.5] })).toThrow(
      'config.step_milestones: must be fractions in (0, 1)',
    );
  });
});
