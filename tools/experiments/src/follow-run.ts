// Starts a run through the coordinator (or finds it: StartRun returns an existing run id
// unchanged, so a rerun of an experiment resumes its unfinished runs), follows it to the end
// printing each decision, and returns its summary; a run that did not succeed stops the experiment.
import { choiceLetter, summarizeRun, type RunSummary } from '@prune/cli';
import type { CoordinatorClient, RunConfigInput } from '@prune/coordinator-client';
import { FILTER_MATCH_NAMES } from '@prune/contracts';
import { RUN_DEFAULTS } from '@prune/pruning';

export interface FollowedRun {
  runId: string;
  /** From the run's own timestamps, so that a resumed run counts its whole life. */
  wallMinutes: number;
  summary: RunSummary;
}

/** What makes two runs the same experiment: a run found under `runId` must agree on all of it. */
const IDENTITY = ['policy', 'criterion', 'metric', 'seed', 'maxIterations', 'skipCandidateFinetune'] as const;

/**
 * StartRun returns an existing run unchanged, whatever config it is sent: an id reused (the same
 * --stamp) for another variant would report the other run's results under this one's name.
 */
export function checkSameRun(runId: string, asked: RunConfigInput, found: RunConfigInput | undefined): void {
  const differences = [
    ...IDENTITY.map((key) => [key, asked[key], found?.[key]] as const),
    ['candidate fine-tune steps', asked.candidateFinetune?.steps, found?.candidateFinetune?.steps] as const,
    ['selected fine-tune steps', asked.selectedFinetune?.steps, found?.selectedFinetune?.steps] as const,
    // A run stored without a filter match used the coordinator's default.
    [
      'filter match',
      asked.filterMatch ? FILTER_MATCH_NAMES.name(asked.filterMatch) : undefined,
      found?.filterMatch ? FILTER_MATCH_NAMES.name(found.filterMatch) : RUN_DEFAULTS.filterMatch,
    ] as const,
  ].filter(([, a, f]) => a !== undefined && a !== f);
  if (differences.length > 0)
    throw new Error(
      `run ${runId} already exists with ${differences.map(([key, a, f]) => `${key} ${String(f)} (asked ${String(a)})`).join(', ')}: ` +
        'use another --stamp, or none, for a new run',
    );
}

export async function runToEnd(
  client: CoordinatorClient,
  config: RunConfigInput,
  runId: string,
  label: string,
): Promise<FollowedRun> {
  checkSameRun(runId, config, (await client.start(config, runId)).config);
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
