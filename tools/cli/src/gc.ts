// `prune gc`: frees the store of what no run needs. What runs need is every store:// URI their
// records and journals mention (read as text, so a quarantined record protects its artifacts
// too); unfinished runs also keep their trainer checkpoints. Runs on a machine (or pod) that
// mounts the store and the runs directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTerminal, RunManager } from '@prune/pruning';
import { ArtifactStore, collectGarbage, defaultStoreRoot } from '@prune/store';
import { GC } from './command-specs.js';
import { booleanFlag, parseFlags, stringFlag } from './flags.js';
import { UsageError } from './usage-error.js';

const URI = /store:\/\/(?:files|dirs)\/[0-9a-f]{64}/g;

/** Every store:// URI in any file under `dir`. */
function referencedIn(dir: string, found = new Set<string>()): Set<string> {
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) referencedIn(full, found);
    else for (const match of fs.readFileSync(full, 'utf8').matchAll(URI)) found.add(match[0]);
  }
  return found;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export async function gcCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags(GC, argv);
  const storeRoot = stringFlag(values, 'store') ?? defaultStoreRoot();
  const runsDir = stringFlag(values, 'runs') ?? process.env['PRUNE_RUNS_DIR'] ?? path.join(storeRoot, 'runs');
  const hours = Number(stringFlag(values, 'min-age-hours') ?? 24);
  if (!Number.isFinite(hours) || hours < 0) throw new UsageError('--min-age-hours: expected a non-negative number');
  const maxBytes = stringFlag(values, 'max-bytes');
  if (maxBytes !== undefined && !(Number(maxBytes) > 0))
    throw new UsageError('--max-bytes: expected a positive number');
  if (!fs.existsSync(path.join(storeRoot, 'dirs')))
    throw new UsageError(`--store: ${storeRoot} is not an artifact store`);
  if (!fs.existsSync(runsDir))
    throw new UsageError(
      `--runs: ${runsDir} does not exist; point it at the coordinator's run records (PRUNE_RUNS_DIR), ` +
        'or every stored artifact would count as unreferenced',
    );
  const dryRun = booleanFlag(values, 'dry-run');
  const runs = new RunManager(runsDir, () => {
    throw new Error('prune gc starts no run');
  }).list();
  const report = collectGarbage(new ArtifactStore(storeRoot), {
    referenced: referencedIn(runsDir),
    activeRuns: runs.filter((run) => !isTerminal(run.state)).map((run) => run.id),
    minAgeMs: hours * 3600 * 1000,
    dryRun,
  });
  for (const { entry, bytes } of report.removed)
    console.log(`${dryRun ? 'would remove' : 'removed'} ${entry} (${megabytes(bytes)})`);
  console.log(
    `${dryRun ? 'would free' : 'freed'} ${megabytes(report.bytesRemoved)} in ${report.removed.length} entries; ` +
      `${megabytes(report.bytesKept)} kept for ${runs.length} runs and work younger than ${hours} h (${storeRoot})`,
  );
  if (maxBytes !== undefined && report.bytesKept > Number(maxBytes)) {
    console.error(
      `the store is over its quota (${megabytes(report.bytesKept)} > ${megabytes(Number(maxBytes))}) with what runs still need: ` +
        'remove finished runs you no longer need from the runs directory, or raise the quota',
    );
    process.exitCode = 1;
  }
}
