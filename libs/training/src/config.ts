// Training hyper-parameters, validated at the boundary with messages naming the field.
import { InvalidArgumentError } from '@prune/errors';

export type LrScheduleName = 'constant' | 'step' | 'cosine';

export interface TrainConfig {
  /** Epochs to train (ignored when `steps` > 0). */
  epochs: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  schedule: LrScheduleName;
  /** Fractions of training in (0, 1) where the step schedule multiplies the rate by stepGamma. */
  stepMilestones: number[];
  stepGamma: number;
  augment: boolean;
  seed: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  epochs: 1,
  steps: 0,
  batchSize: 128,
  learningRate: 0.01,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 5e-4,
  schedule: 'step',
  stepMilestones: [0.5, 0.75],
  stepGamma: 0.1,
  augment: true,
  seed: 0,
};

export class TrainConfigError extends InvalidArgumentError {
  override name = 'TrainConfigError';
}

export function resolveTrainConfig(partial: Partial<TrainConfig>): TrainConfig {
  const config = { ...DEFAULT_TRAIN_CONFIG, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) } as TrainConfig;
  const check = (field: keyof TrainConfig, ok: boolean, expected: string) => {
    if (!ok) throw new TrainConfigError(`${field}: must be ${expected}, got ${JSON.stringify(config[field])}`);
  };
  check('epochs', Number.isInteger(config.epochs) && config.epochs >= 0, 'a non-negative integer');
  check('steps', Number.isInteger(config.steps) && config.steps >= 0, 'a non-negative integer');
  if (config.epochs === 0 && config.steps === 0) throw new TrainConfigError('epochs, steps: one of them must be positive');
  check('batchSize', Number.isInteger(config.batchSize) && config.batchSize >= 1, 'a positive integer');
  check('learningRate', Number.isFinite(config.learningRate) && config.learningRate > 0, 'a positive number');
  check('momentum', config.momentum >= 0 && config.momentum < 1, 'in [0, 1)');
  check('weightDecay', Number.isFinite(config.weightDecay) && config.weightDecay >= 0, 'a non-negative number');
  check('schedule', ['constant', 'step', 'cosine'].includes(config.schedule), 'constant, step or cosine');
  check('stepMilestones', config.stepMilestones.every((m) => m > 0 && m < 1), 'fractions in (0, 1)');
  check('stepGamma', config.stepGamma > 0 && config.stepGamma <= 1, 'in (0, 1]');
  return config;
}

/** Learning rate at `step` (0-based) of `total` steps. */
export function learningRateAt(config: TrainConfig, step: number, total: number): number {
  const progress = step / total;
  switch (config.schedule) {
    case 'constant':
      return config.learningRate;
    case 'step':
      return config.learningRate * config.stepGamma ** config.stepMilestones.filter((m) => progress >= m).length;
    case 'cosine':
      return 0.5 * config.learningRate * (1 + Math.cos(Math.PI * progress));
  }
}
