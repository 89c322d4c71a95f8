// `prune gc` against a store and run records on disk: what a run refers to stays, the rest of
// what is old goes, and a quota that what runs need exceeds is an error.
import { expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnServiceProcess } from '@prune/service-kit';
import { ArtifactStore } from '@prune/store';

const BIN = path.resolve(import.meta.dirname, '../bin/prune.js');

function prune(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

it('prune gc keeps what runs refer to and removes old unreferenced artifacts', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-gc-'));
  const store = new ArtifactStore(root);
  const model = await store.putDirectory((dir) => fs.writeFileSync(path.join(dir, 'model.json'), '{"m":1}'));
  const orphan = store.putFile(new Uint8Array(1000));
  const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
  for (const entry of [store.resolve(orphan), store.resolve(model), path.join(store.resolve(model), 'model.json')])
    fs.utimesSync(entry, twoDaysAgo, twoDaysAgo);
  fs.mkdirSync(path.join(root, 'runs', 'run-x'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'runs', 'run-x', 'run.json'),
    JSON.stringify({
      id: 'run-x',
      state: 'succeeded',
      createdAt: '2026-11-25T00:00:00Z',
      iterations: [],
      result: model,
    }),
  );

  const misdirected = await prune('gc', '--store', root, '--runs', path.join(root, 'no-such-runs'));
  expect(misdirected.code).toBe(2); // never "nothing is referenced, remove everything"
  expect(misdirected.stderr).toContain('no-such-runs does not exist');

  const preview = await prune('gc', '--store', root, '--dry-run');
  expect(preview.code, preview.stderr).toBe(0);
  expect(preview.stdout).toContain(`would remove files/${orphan.sha256} (0.0 MB)`);
  expect(preview.stdout).not.toContain(model.sha256);
  expect(fs.existsSync(store.resolve(orphan))).toBe(true);

  const collected = await prune('gc', '--store', root, '--max-bytes', '1');
  expect(collected.stdout).toMatch(/freed 0\.0 MB in 1 entries; 0\.0 MB kept for the runs of .*runs and work/);
  expect(() => store.resolve(orphan)).toThrow(/not found/);
  expect(fs.existsSync(store.resolve(model))).toBe(true);
  expect(collected.code).toBe(1); // what run-x needs is over a 1-byte quota
  expect(collected.stderr).toContain('the store is over its quota');
  fs.rmSync(root, { recursive: true, force: true });
});

it("prune gc --coordinator: where the run records are not mounted, keeps what the coordinator's runs need", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-gc-remote-'));
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-gc-runs-')); // the coordinator's own volume
  const store = new ArtifactStore(root);
  const kept = store.putFile(new Uint8Array(10));
  const journaled = store.putFile(new Uint8Array(20)); // only a step journal mentions it
  const orphan = store.putFile(new Uint8Array(30));
  const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
  for (const ref of [kept, journaled, orphan]) fs.utimesSync(store.resolve(ref), twoDaysAgo, twoDaysAgo);
  fs.mkdirSync(path.join(runsDir, 'done'));
  fs.writeFileSync(
    path.join(runsDir, 'done', 'run.json'),
    JSON.stringify({ id: 'done', state: 'succeeded', createdAt: '2026-11-25T00:00:00Z', iterations: [], result: kept }),
  );
  fs.writeFileSync(path.join(runsDir, 'done', 'steps.jsonl'), `{"key":"k","value":${JSON.stringify(journaled)}}\n`);
  const coordinatorMain = path.resolve(import.meta.dirname, '../../../services/coordinator/src/main.ts');
  const coordinator = await spawnServiceProcess(coordinatorMain, { env: { PRUNE_RUNS_DIR: runsDir } });
  const newRunsDir = fs.mkdtempSync(runsDir + '-new');
  const empty = await spawnServiceProcess(coordinatorMain, { env: { PRUNE_RUNS_DIR: newRunsDir } });
  try {
    // a coordinator on a new (or wrongly mounted) runs volume: nothing is removed
    const refused = await prune('gc', '--store', root, '--coordinator', empty.address);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('holds no runs') });
    expect(fs.existsSync(store.resolve(orphan))).toBe(true);
    const both = await prune('gc', '--store', root, '--runs', runsDir, '--coordinator', coordinator.address);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringContaining('--runs and --coordinator: give one') });
    const collected = await prune('gc', '--store', root, '--coordinator', coordinator.address);
    expect(collected.code, collected.stderr).toBe(0);
    expect(collected.stdout).toContain(`removed files/${orphan.sha256}`);
    expect(collected.stdout).toContain(`kept for the runs of the coordinator at ${coordinator.address}`);
    expect(fs.existsSync(store.resolve(kept))).toBe(true);
    expect(fs.existsSync(store.resolve(journaled))).toBe(true);
    expect(() => store.resolve(orphan)).toThrow(/not found/);
  } finally {
    await Promise.all([coordinator.stop(), empty.stop()]);
    fs.rmSync(root, { recursive: true, force: true });
    for (const dir of [runsDir, newRunsDir]) fs.rmSync(dir, { recursive: true, force: true });
  }
});
