// A fine-tune's hyper-parameters: their defaults and the one check of them. Free of TF.js, so the
// coordinator completes and checks a run's fine-tunes at StartRun with the code the trainer uses.
import { InvalidArgumentError } from '@prune/errors';

export const LR_SCHEDULES = ['constant', 'step', 'cosine'] as const;
export type LrScheduleName = (typeof LR_SCHEDULES)[number];

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
  /**
   * Knowledge distillation: the weight of the loss toward a teacher's outputs softened at
   * `distillationTemperature` (Hinton et al. 2015), the hard labels' loss taking the rest. 0: plain
   * fine-tuning on the labels, the paper's setting.
   */
  distillationWeight: number;
  distillationTemperature: number;
  /**
   * Data parallelism: each batch is split into this many shards, computed at once by as many
   * model replicas (threads of the trainer's process) whose gradients are averaged. Each shard's
   * batch normalization uses its own statistics (like data-parallel training without synchronized
   * batch norm), so the result depends on this number, not on the cores: 1 (the default) is
   * plain training.
   */
  dataParallelReplicas: number;
}

/**
 * What a fine-tune uses for every field it leaves unset, wherever it runs: the training library,
 * the trainer service (TrainConfig message fields left 0), a run's two fine-tunes (the coordinator
 * fills them in and reports them) and the experiments all take them from here.
 */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  epochs: 1,
  steps: 0,
  batchSize: 128,
  learningRate: 0.01,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 5e-4,
  schedule: 'cosine',
  stepMilestones: [0.5, 0.75],
  stepGamma: 0.1,
  augment: true,
  seed: 0,
  distillationWeight: 0,
  distillationTemperature: 4,
  dataParallelReplicas: 1,
};

/** A value training cannot run with; `fields` are the ones at fault, `problem` says what they must be. */
export class TrainConfigError extends InvalidArgumentError {
  override name = 'TrainConfigError';

  constructor(
    readonly fields: (keyof TrainConfig)[],
    readonly problem: string,
  ) {
    super(`${fields.join(', ')}: ${problem}`);
  }
}

/**
 * Upper bounds of a fine-tune's numbers: far beyond any sensible value, they keep one request
 * from exhausting a trainer (a 2^32 batch) or running for years.
 */
export const TRAIN_LIMITS = {
  epochs: 10_000,
  steps: 10_000_000,
  batchSize: 4096,
  learningRate: 10,
  dataParallelReplicas: 16,
} as const;

/** `partial` with the defaults for its undefined fields, checked. */
export function resolveTrainConfig(partial: Partial<TrainConfig>): TrainConfig {
  const config = {
    ...DEFAULT_TRAIN_CONFIG,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  } as TrainConfig;
  const check = (field: keyof TrainConfig, ok: boolean, expected: string) => {
    if (!ok) throw new TrainConfigError([field], `must be ${expected}, got ${JSON.stringify(config[field])}`);
  };
  const count = (field: keyof TrainConfig, min: number, max: number) => {
    const value = config[field] as number;
    check(field, Number.isInteger(value) && value >= min && value <= max, `an integer in [${min}, ${max}]`);
  };
  count('epochs', 0, TRAIN_LIMITS.epochs);
  count('steps', 0, TRAIN_LIMITS.steps);
  if (config.epochs === 0 && config.steps === 0)
    throw new TrainConfigError(['epochs', 'steps'], 'one of them must be positive');
  count('batchSize', 1, TRAIN_LIMITS.batchSize);
  count('dataParallelReplicas', 1, TRAIN_LIMITS.dataParallelReplicas);
  if (config.dataParallelReplicas > config.batchSize)
    throw new TrainConfigError(
      ['dataParallelReplicas', 'batchSize'],
      `each of ${config.dataParallelReplicas} replicas needs an example of the batch of ${config.batchSize}`,
    );
  check(
    'learningRate',
    config.learningRate > 0 && config.learningRate <= TRAIN_LIMITS.learningRate,
    `a positive number up to ${TRAIN_LIMITS.learningRate}`,
  );
  check('momentum', config.momentum >= 0 && config.momentum < 1, 'in [0, 1)');
  check('weightDecay', Number.isFinite(config.weightDecay) && config.weightDecay >= 0, 'a non-negative number');
  check('schedule', (LR_SCHEDULES as readonly string[]).includes(config.schedule), `one of ${LR_SCHEDULES.join(', ')}`);
  check(
    'stepMilestones',
    config.stepMilestones.every((m) => m > 0 && m < 1),
    'fractions in (0, 1)',
  );
  check('stepGamma', config.stepGamma > 0 && config.stepGamma <= 1, 'in (0, 1]');
  check('distillationWeight', config.distillationWeight >= 0 && config.distillationWeight <= 1, 'in [0, 1]');
  check(
    'distillationTemperature',
    config.distillationTemperature > 0 && config.distillationTemperature <= 100,
    'a positive number up to 100',
  );
  return config;
}
