// Garbage collection removes exactly what nothing needs and is old enough: referenced artifacts,
// young ones (work in flight, or stored again just now) and unfinished runs' checkpoints stay.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArtifactStore, collectGarbage } from '../src/index.js';

const DAY = 24 * 3600 * 1000;

/** Backdates `entry` and everything in it. */
function age(entry: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  if (fs.statSync(entry).isDirectory()) for (const name of fs.readdirSync(entry)) age(path.join(entry, name), ms);
  fs.utimesSync(entry, then, then);
}

describe('collectGarbage', () => {
  it('removes old unreferenced artifacts, finished jobs and temporary files; keeps the rest', async () => {
    const store = new ArtifactStore(fs.mkdtempSync(path.join(os.tmpdir(), 'gc-')));
    const kept = store.putFile(Uint8Array.from([1]));
    const old = store.putFile(Uint8Array.from([2]));
    const young = store.putFile(Uint8Array.from([3]));
    const model = await store.putDirectory((dir) => fs.writeFileSync(path.join(dir, 'model.json'), '{}'));
    const restored = store.putFile(Uint8Array.from([4]));
    const finishedJob = store.jobDir('run-a-it0-candidate-L', 'k');
    const activeJob = store.jobDir('run-b-it0-candidate-L', 'k');
    for (const job of [finishedJob, activeJob]) {
      fs.mkdirSync(job, { recursive: true });
      fs.writeFileSync(path.join(job, 'checkpoint.bin'), 'x');
    }
    for (const ref of [kept, old, model, restored]) age(store.resolve(ref), 2 * DAY);
    age(path.dirname(finishedJob), 2 * DAY);
    age(path.dirname(activeJob), 2 * DAY);
    store.putFile(Uint8Array.from([4])); // stored again just now: young again

    const options = { referenced: new Set([kept.uri]), activeRuns: ['run-b'], minAgeMs: DAY };
    const preview = collectGarbage(store, { ...options, dryRun: true });
    expect(preview.removed.map((r) => r.entry).sort()).toEqual(
      [`files/${old.sha256}`, `dirs/${model.sha256}`, 'jobs/run-a-it0-candidate-L'].sort(),
    );
    expect(fs.existsSync(store.resolve(old))).toBe(true); // a dry run removes nothing

    const report = collectGarbage(store, options);
    expect(report.removed).toEqual(preview.removed);
    expect(report.bytesRemoved).toBe(1 + 2 + 1);
    for (const ref of [kept, young, restored]) expect(fs.existsSync(store.resolve(ref))).toBe(true);
    expect(() => store.resolve(old)).toThrow(/not found/);
    expect(fs.existsSync(activeJob)).toBe(true);
    expect(fs.existsSync(finishedJob)).toBe(false);
    fs.rmSync(store.root, { recursive: true, force: true });
  });
});
