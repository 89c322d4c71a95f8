// TrainConfig messages as the fine-tunes they describe, for both ends of the contract: the trainer
// reads requests with these, the coordinator completes and checks a run's fine-tunes at StartRun.
import { InvalidArgumentError } from '@prune/errors';
import { resolveTrainConfig, TrainConfigError, type TrainConfig } from '@prune/train-config';
import { LR_SCHEDULE_NAMES } from './domain-names.js';
import type { TrainConfig as TrainConfigMessage } from './gen/prune/v1/common.js';

/**
 * The fields a message sets. proto3 cannot tell 0 from unset, so batch size, learning rate,
 * momentum, weight decay, step gamma and data-parallel replicas left 0 are unset (runs have always read them so: momentum
 * and weight decay cannot be turned off through a message); epochs, steps and seed keep their 0.
 */
export function trainConfigFromMessage(m: TrainConfigMessage): Partial<TrainConfig> {
  return {
    epochs: m.epochs,
    steps: m.steps,
    batchSize: m.batchSize || undefined,
    learningRate: m.learningRate || undefined,
    momentum: m.momentum || undefined,
    nesterov: m.nesterov,
    weightDecay: m.weightDecay || undefined,
    // An unknown schedule number is passed on for the check to refuse.
    schedule: m.schedule ? (LR_SCHEDULE_NAMES.name(m.schedule) ?? (m.schedule as never)) : undefined,
    stepMilestones: m.stepMilestones.length ? m.stepMilestones : undefined,
    stepGamma: m.stepGamma || undefined,
    augment: m.augment,
    seed: m.seed,
    distillationWeight: m.distillationWeight || undefined,
    distillationTemperature: m.distillationTemperature || undefined,
    dataParallelReplicas: m.dataParallelReplicas || undefined,
  };
}

/** Every field of a resolved fine-tune, as a message (what a run reports it trains with). */
export function trainConfigMessage(config: TrainConfig): TrainConfigMessage {
  return { ...config, schedule: LR_SCHEDULE_NAMES.value(config.schedule), stepMilestones: [...config.stepMilestones] };
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The fine-tune a message describes, with the defaults for its unset fields, checked by the one
 * check of @prune/train-config; a bad value is refused naming the message field under `field`,
 * e.g. "config.learning_rate: must be a positive number, got -1".
 */
export function resolveTrainConfigMessage(m: TrainConfigMessage, field: string): TrainConfig {
  try {
    return resolveTrainConfig(trainConfigFromMessage(m));
  } catch (error) {
    if (!(error instanceof TrainConfigError)) throw error;
    throw new InvalidArgumentError(
      `${error.fields.map((f) => `${field}.${snakeCase(f)}`).join(', ')}: ${error.problem}`,
    );
  }
}
