// A fine-tune stopped part-way, as a crash would leave it: for the tests of resuming.
import { expect } from 'vitest';
import { trainModel, type TrainOptions } from '@prune/training';

/** Runs `options` until its step `step` is reported, then cancels it (checkpoints up to there stay). */
export async function trainUntilStopped(options: TrainOptions, step: number): Promise<void> {
  const controller = new AbortController();
  await expect(
    trainModel({
      ...options,
      signal: controller.signal,
      onProgress: (p) => p.step === step && controller.abort(),
      progressEverySteps: 1,
    }),
  ).rejects.toMatchObject({ kind: 'cancelled' });
}
