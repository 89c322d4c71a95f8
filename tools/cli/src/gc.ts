// `prune gc`: frees the store of what no run needs. What runs need is every store:// URI their
// records and journals mention (read as text, so a quarantined record protects its artifacts
// too); unfinished runs also keep their trainer checkpoints. Runs where the store is mounted: with
// the runs directory beside it, or asking the coordinator (--coordinator) what its runs need, as
// the cluster's CronJob does (the coordinator's volume is its own).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTerminal, RunManager } from '@prune/pruning';
import { ArtifactStore, artifactUrisIn, collectGarbage, defaultStoreRoot } from '@prune/store';
import { GC } from './command-specs.js';
import { booleanFlag, parseFlags, stringFlag, type FlagValues } from './flags.js';
import { withClient } from './run-commands.js';
import { UsageError } from './usage-error.js';

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export async function gcCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags(GC, argv);
  const storeRoot = stringFlag(values, 'store') ?? defaultStoreRoot();
  const hours = Number(stringFlag(values, 'min-age-hours') ?? 24);
  if (!Number.isFinite(hours) || hours < 0) throw new UsageError('--min-age-hours: expected a non-negative number');
  const maxBytes = stringFlag(values, 'max-bytes');
  if (maxBytes !== undefined && !(Number(maxBytes) > 0))
    throw new UsageError('--max-bytes: expected a positive number');
  if (!fs.existsSync(path.join(storeRoot, 'dirs')))
    throw new UsageError(`--store: ${storeRoot} is not an artifact store`);
  const dryRun = booleanFlag(values, 'dry-run');
  const { referenced, activeRuns, runsFrom } = await runsNeeds(values, storeRoot);
  const report = collectGarbage(new ArtifactStore(storeRoot), {
    referenced,
    activeRuns,
    minAgeMs: hours * 3600 * 1000,
    dryRun,
  });
  for (const { entry, bytes } of report.removed)
    console.log(`${dryRun ? 'would remove' : 'removed'} ${entry} (${megabytes(bytes)})`);
  console.log(
    `${dryRun ? 'would free' : 'freed'} ${megabytes(report.bytesRemoved)} in ${report.removed.length} entries; ` +
      `${megabytes(report.bytesKept)} kept for the runs of ${runsFrom} and work younger than ${hours} h (${storeRoot})`,
  );
  if (maxBytes !== undefined && report.bytesKept > Number(maxBytes)) {
    console.error(
      `the store is over its quota (${megabytes(report.bytesKept)} > ${megabytes(Number(maxBytes))}) with what runs still need: ` +
        'remove finished runs you no longer need from the runs directory, or raise the quota',
    );
    process.exitCode = 1;
  }
}

/** What the runs need: from the coordinator when --coordinator is given, else from the run records on disk. */
async function runsNeeds(values: FlagValues, storeRoot: string) {
  if (stringFlag(values, 'coordinator')) {
    if (stringFlag(values, 'runs')) throw new UsageError('--runs and --coordinator: give one of them');
    return withClient(values, async (client) => {
      const { uris, unfinishedRunIds, runCount } = await client.references();
      if (runCount === 0)
        throw new Error(
          `the coordinator at ${stringFlag(values, 'coordinator')} holds no runs (a new or wrongly mounted runs ` +
            'volume?): nothing removed, as every stored artifact would count as unreferenced',
        );
      return {
        referenced: new Set(uris),
        activeRuns: unfinishedRunIds,
        runsFrom: `the coordinator at ${stringFlag(values, 'coordinator')}`,
      };
    });
  }
  const runsDir = stringFlag(values, 'runs') ?? process.env['PRUNE_RUNS_DIR'] ?? path.join(storeRoot, 'runs');
  if (!fs.existsSync(runsDir))
    throw new UsageError(
      `--runs: ${runsDir} does not exist; point it at the coordinator's run records (PRUNE_RUNS_DIR) or ask ` +
        'the coordinator (--coordinator host:port), or every stored artifact would count as unreferenced',
    );
  const runs = new RunManager(runsDir, () => {
    throw new Error('prune gc starts no run');
  }).list();
  return {
    referenced: await artifactUrisIn(runsDir),
    activeRuns: runs.filter((run) => !isTerminal(run.state)).map((run) => run.id),
    runsFrom: runsDir,
  };
}
