// The learning-rate schedules a TrainConfig names.
import type { TrainConfig } from '@prune/train-config';

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
