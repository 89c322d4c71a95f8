// Garbage collection of the store: what no run refers to goes, once it is old enough that no
// work in flight can be about to refer to it (storing an artifact again renews its age).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ArtifactStore } from './artifact-store.js';

export interface GarbageOptions {
  /** Every store:// URI something still needs (run records and journals refer to them). */
  referenced: Set<string>;
  /** Runs not yet finished: their trainer jobs' checkpoints are kept. */
  activeRuns: string[];
  /** Nothing younger than this is removed (default one day). */
  minAgeMs?: number;
  /** Report what would go, remove nothing. */
  dryRun?: boolean;
  now?: number;
}

export interface GarbageReport {
  removed: { entry: string; bytes: number }[];
  bytesRemoved: number;
  /** What is left in the store (artifacts, jobs and temporary files), in bytes. */
  bytesKept: number;
}

const ARTIFACT_URI = /store:\/\/(?:files|dirs)\/[0-9a-f]{64}/g;

/**
 * Every store:// URI written in any file under `dir` (run records and journals, read as text).
 * Asynchronous: a service answering it keeps answering health meanwhile.
 */
export async function artifactUrisIn(dir: string, found = new Set<string>()): Promise<Set<string>> {
  // A file listed can be gone when read (an atomic rewrite's temporary file): skipped.
  const gone = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    return undefined;
  };
  const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(gone);
  for (const entry of entries ?? []) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await artifactUrisIn(full, found);
    else
      for (const match of ((await fs.promises.readFile(full, 'utf8').catch(gone)) ?? '').matchAll(ARTIFACT_URI))
        found.add(match[0]);
  }
  return found;
}

function bytesOf(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(entry).reduce((sum, name) => sum + bytesOf(path.join(entry, name)), 0);
}

/** The newest modification time in `entry` (a job's checkpoints change as it trains). */
function lastModified(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs
    .readdirSync(entry)
    .reduce((latest, name) => Math.max(latest, lastModified(path.join(entry, name))), stat.mtimeMs);
}

export function collectGarbage(store: ArtifactStore, options: GarbageOptions): GarbageReport {
  const now = options.now ?? Date.now();
  const minAge = options.minAgeMs ?? 24 * 3600 * 1000;
  const report: GarbageReport = { removed: [], bytesRemoved: 0, bytesKept: 0 };
  const consider = (entry: string, needed: boolean) => {
    const bytes = bytesOf(entry);
    if (needed || now - lastModified(entry) < minAge) {
      report.bytesKept += bytes;
      return;
    }
    if (!options.dryRun) {
      // Out of its place first (one rename), so a store call that renews the name meanwhile finds
      // it gone and writes it anew, never a half-deleted folder.
      const doomed = path.join(store.root, 'tmp', `gc-${path.basename(entry)}-${process.pid}-${Date.now()}`);
      fs.renameSync(entry, doomed);
      fs.rmSync(doomed, { recursive: true, force: true });
    }
    report.removed.push({ entry: path.relative(store.root, entry), bytes });
    report.bytesRemoved += bytes;
  };
  const children = (dir: string) => {
    const full = path.join(store.root, dir);
    return fs.existsSync(full) ? fs.readdirSync(full).map((name) => [name, path.join(full, name)] as const) : [];
  };
  for (const kind of ['files', 'dirs'])
    for (const [name, entry] of children(kind)) consider(entry, options.referenced.has(`store://${kind}/${name}`));
  for (const [jobId, entry] of children('jobs'))
    consider(
      entry,
      options.activeRuns.some((run) => jobId.startsWith(`${run}-`)),
    );
  for (const [, entry] of children('tmp')) consider(entry, false);
  return report;
}
