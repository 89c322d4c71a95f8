// Starts a run through the coordinator (or finds it: StartRun returns an existing run id
// unchanged, so a rerun of an experiment resumes its unfinished runs), follows it to the end
// printing each decision, and returns its summary; a run that did not succeed stops the experiment.
import { choiceLetter, summarizeRun, type RunSummary } from '@prune/cli';
import type { CoordinatorClient, RunConfigInput } from '@prune/coordinator-client';

export interface FollowedRun {
  runId: string;
  /** From the run's own timestamps, so that a resumed run counts its whole life. */
  wallMinutes: number;
  summary: RunSummary;
}

export async function runToEnd(
  client: CoordinatorClient,
  config: RunConfigInput,
  runId: string,
  label: string,
): Promise<FollowedRun> {
  await client.start(config, runId);
  let run = await client.get(runId);
  for await (const event of client.watch(runId)) {
    if (event?.$case === 'run') run = event.value;
    if (event?.$case === 'iteration')
      console.error(
        `  ${label}: iteration ${event.value.index + 1} chose ${choiceLetter(event.value.choice, event.value.widths)}, test ${(100 * event.value.testAccuracy).toFixed(2)}%`,
      );
  }
  const summary = summarizeRun(run);
  if (summary.state !== 'succeeded') throw new Error(`run ${runId} ${summary.state}: ${summary.error}`);
  return { runId, wallMinutes: (Date.parse(run.updatedAt) - Date.parse(run.createdAt)) / 60_000, summary };
}
