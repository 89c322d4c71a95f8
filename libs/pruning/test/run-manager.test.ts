// Run state, resume and cancel, over deterministic in-memory ports (no models, no network): a
// model is a name "b<blocks>.f<filters>" so every answer is checkable.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunManager, StepJournal, type RunRecord, type WalkConfig, type WalkPorts } from '@prune/pruning';

const parse = (m: string) => {
  const [, b, f] = /^b(\d+)\.f(\d+)/.exec(m)!;
  return { blocks: Number(b), filters: Number(f) };
};

/** Ports whose fine-tunes wait for `gate` (when given) so a test can stop a run mid-step. */
function fakePorts(calls: string[], gate?: { fineTune?: (job: string) => Promise<void> }): WalkPorts<string> {
  const record = (name: string) => calls.push(name);
  return {
    cost: async (m) => ({
      macs: parse(m).blocks * 100 + parse(m).filters,
      flops: 2 * (parse(m).blocks * 100 + parse(m).filters),
      params: parse(m).blocks * 10 + parse(m).filters,
    }),
    widths: async (m) => [{ layer: 'conv', filters: parse(m).filters }],
    removableBlocks: async (m) => parse(m).blocks,
    removableFilters: async (m) => parse(m).filters - 1,
    scoreBlocks: async (m) => (
      record('scoreBlocks'),
      Array.from({ length: parse(m).blocks }, (_, i) => ({ id: `block${i}`, score: i + 1 }))
    ),
    scoreFilters: async (m) => (
      record('scoreFilters'),
      Array.from({ length: parse(m).filters }, (_, i) => ({ id: 'conv', channel: i, score: i / 10 }))
    ),
    layerCandidate: async (m, _s, n) => (
      record('layerCandidate'),
      { model: `b${parse(m).blocks - n}.f${parse(m).filters}`, removed: ['block0'], removedFilters: 4 }
    ),
    filterCandidate: async (m, _s, budget) => {
      record('filterCandidate');
      const k = 'filters' in budget ? budget.filters : 1;
      return {
        model: `b${parse(m).blocks}.f${parse(m).filters - k}`,
        removed: Array.from({ length: k }, (_, i) => `conv:${i}`),
      };
    },
    fineTune: async (m, phase, job) => {
      record(`fineTune ${job}`);
      await gate?.fineTune?.(job);
      return { model: `${m}~${phase[0]}`, seconds: 2 };
    },
    // a candidate with 4 (mod 8) filters is the more similar: from b9.f64 the path is F L L
    similarity: async (_p, child) => (
      record('similarity'),
      child.includes('.f') && parse(child).filters % 8 === 4 ? 0.9 : 0.8
    ),
    accuracy: async (m, split) => (record(`accuracy ${split}`), split === 'test' ? 0.9 - (0.01 * m.length) / 10 : 0.85),
  };
}

const walk: WalkConfig = {
  maxIterations: 3,
  targetMacsReduction: 0,
  accuracyFloor: 0,
  blocksPerIteration: 1,
  filterMatch: 'count',
  policy: 'similarity',
  layerEpsilon: 0,
  seed: 7,
  chanceAccuracy: 0,
};
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'runs-'));
const strip = (run: RunRecord<string, object>) => ({ ...run, createdAt: '', updatedAt: '' });

describe('RunManager', () => {
  it('runs the walk, persists the record after every iteration and reloads it', async () => {
    const dir = tempDir();
    const manager = new RunManager<string, object>(dir, () => fakePorts([]));
    manager.start('first', { config: { note: 'x' }, walk, initialModel: 'b9.f64' });
    const run = await manager.finished('first');
    expect(run.state).toBe('succeeded');
    expect(run.iterations.map((r) => r.choice)).toEqual(['F', 'L', 'L']);
    expect(run.iterations.map((r) => r.model)).toEqual(['b9.f60~c~s', 'b8.f60~c~s', 'b7.f60~c~s']);
    expect(run.result).toBe('b7.f60~c~s');
    expect(run.stopReason).toBe('reached 3 iterations');
    expect(run.initial).toEqual({
      macs: 964,
      flops: 1928,
      params: 154,
      testAccuracy: expect.any(Number),
      widths: [{ layer: 'conv', filters: 64 }],
    });
    expect(run.iterations[0]!.layer!.removedScores).toEqual([1]);
    expect(run.iterations[0]!.filter!.validationAccuracy).toBe(0.85);
    const reloaded = new RunManager<string, object>(dir, () => fakePorts([]));
    expect(strip(reloaded.get('first'))).toEqual(strip(run));
    expect(reloaded.resumeUnfinished()).toEqual([]);
    // starting an existing id returns that run, unchanged
    expect(manager.start('first', { config: {}, walk, initialModel: 'b1.f1' }).initialModel).toBe('b9.f64');
  });

  it('resumes a run stopped mid-step from its last completed step, with the same result', async () => {
    const reference = new RunManager<string, object>(tempDir(), () => fakePorts([]));
    reference.start('r', { config: {}, walk, initialModel: 'b9.f64' });
    const expected = await reference.finished('r');

    const dir = tempDir();
    let reached!: () => void;
    const atSecondSelectedFineTune = new Promise<void>((resolve) => (reached = resolve));
    const first = new RunManager<string, object>(dir, () =>
      fakePorts([], {
        fineTune: (job) =>
          job.startsWith('r-it1-candidate-') ? (reached(), new Promise<void>(() => {})) : Promise.resolve(),
      }),
    );
    first.start('r', { config: {}, walk, initialModel: 'b9.f64' });
    await atSecondSelectedFineTune;
    await first.shutdown(); // what a crash leaves: state "running", a journal of finished steps
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'r/run.json'), 'utf8')).state).toBe('running');
    fs.appendFileSync(path.join(dir, 'r/steps.jsonl'), '{"key":"fineTune:torn'); // a torn last line

    const calls: string[] = [];
    const second = new RunManager<string, object>(dir, () => fakePorts(calls));
    expect(second.resumeUnfinished()).toEqual(['r']);
    const resumed = await second.finished('r');
    expect(resumed.state).toBe('succeeded');
    expect(resumed.iterations.map((r) => r.choice)).toEqual(['F', 'L', 'L']);
    expect(resumed.iterations).toEqual(expected.iterations);
    expect(resumed.result).toBe(expected.result);
    // iteration 0 and the first steps of iteration 1 came from the journal
    expect(calls).not.toContain('fineTune r-it0-candidate-L');
    expect(calls.filter((c) => c === 'scoreBlocks')).toHaveLength(1); // iteration 2 only
    expect(calls[0]).toMatch(/^fineTune r-it1-candidate-/);
  });

  it('replays a journal written before fine-tunes reported their seconds (the bare model), seconds unknown', async () => {
    const dir = tempDir();
    const reference = new RunManager<string, object>(dir, () => fakePorts([]));
    reference.start('old', { config: {}, walk, initialModel: 'b9.f64' });
    const expected = await reference.finished('old');
    expect(expected.iterations[0]!.fineTuneSeconds).toBe(6);
    // The same journal as an older coordinator wrote it, and its run left running by a crash.
    const file = path.join(dir, 'old/steps.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    fs.rmSync(file);
    const legacy = new StepJournal(file);
    for (const line of lines) {
      const { key, value } = JSON.parse(line.slice(17)) as { key: string; value: { model?: string } };
      legacy.append(key, key.startsWith('fineTune:') ? value.model : value);
    }
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'old/run.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'old/run.json'), JSON.stringify({ ...record, state: 'running' }));
    const calls: string[] = [];
    const resumed = new RunManager<string, object>(dir, () => fakePorts(calls));
    resumed.resumeUnfinished();
    const run = await resumed.finished('old');
    expect(run.state).toBe('succeeded');
    expect(calls.filter((c) => c.startsWith('fineTune'))).toEqual([]); // every step from the journal
    expect(run.iterations.map((r) => r.model)).toEqual(expected.iterations.map((r) => r.model));
    expect(run.iterations.map((r) => r.fineTuneSeconds)).toEqual([NaN, NaN, NaN]);
  });

  it('cancels a run in flight, records it as cancelled and does not resume it', async () => {
    const dir = tempDir();
    let started!: () => void;
    const inFineTune = new Promise<void>((resolve) => (started = resolve));
    const manager = new RunManager<string, object>(dir, () =>
      fakePorts([], { fineTune: () => (started(), new Promise<void>(() => {})) }),
    );
    manager.start('c', { config: {}, walk, initialModel: 'b9.f64' });
    await inFineTune;
    const run = await manager.cancel('c');
    expect(run.state).toBe('cancelled');
    expect(new RunManager<string, object>(dir, () => fakePorts([])).resumeUnfinished()).toEqual([]);
  });

  it('streams the run, its phases and iterations to a watcher, ending at the terminal state', async () => {
    const manager = new RunManager<string, object>(tempDir(), () => fakePorts([]));
    manager.start('w', { config: {}, walk: { ...walk, maxIterations: 1 }, initialModel: 'b2.f8' });
    const seen: string[] = [];
    for await (const event of manager.watch('w'))
      seen.push(
        event.type === 'run'
          ? `run:${event.run.state}`
          : event.type === 'phase'
            ? `phase:${event.name}`
            : `iteration:${event.record.choice}`,
      );
    expect(seen[0]).toMatch(/^run:/);
    expect(seen).toContain('phase:fine-tune candidates');
    expect(seen).toContain('iteration:F'); // b2.f4, the filter candidate, is the more similar
    expect(seen.at(-1)).toBe('run:succeeded');
  });

  it('refuses unknown and malformed run ids, quoting them', () => {
    const manager = new RunManager<string, object>(tempDir(), () => fakePorts([]));
    expect(() => manager.get('nope')).toThrow(/^no run "nope"$/);
    expect(() => manager.start('Bad Id', { config: {}, walk, initialModel: 'b1.f1' })).toThrow(
      /^"Bad Id" must be 1-63 lowercase letters, digits or dashes to name a run$/,
    );
    expect(() => manager.get('x'.repeat(1_000_000))).toThrow(/^no run "x{80}…" \(1000000 characters\)$/);
  });

  it('a failing step fails the run with its message', async () => {
    const manager = new RunManager<string, object>(tempDir(), () => ({
      ...fakePorts([]),
      scoreFilters: async () => {
        throw new Error('criterion exploded');
      },
    }));
    manager.start('f', { config: {}, walk, initialModel: 'b2.f8' });
    const run = await manager.finished('f');
    expect(run).toMatchObject({ state: 'failed', error: 'criterion exploded' });
  });
});

describe('durable state', () => {
  it('a corrupt run.json is quarantined: listed as failed, never resumed, never rewritten; the others go on', async () => {
    const dir = tempDir();
    const first = new RunManager<string, object>(dir, () => fakePorts([]));
    first.start('good', { config: {}, walk, initialModel: 'b9.f64' });
    await first.finished('good');
    fs.mkdirSync(path.join(dir, 'bad'));
    fs.writeFileSync(path.join(dir, 'bad/run.json'), '{"id": "bad", "state": "runn');
    fs.mkdirSync(path.join(dir, 'odd'));
    fs.writeFileSync(path.join(dir, 'odd/run.json'), 'null'); // valid JSON, not a run
    const logs: string[] = [];
    const manager = new RunManager<string, object>(
      dir,
      () => fakePorts([]),
      (line) => logs.push(line),
    );
    expect(manager.get('good').state).toBe('succeeded');
    expect(manager.get('bad')).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/^quarantined: .*bad\/run\.json is unreadable/),
    });
    expect(manager.get('odd')).toMatchObject({ state: 'failed', error: expect.stringContaining('not a run record') });
    expect(
      manager
        .list()
        .map((r) => r.id)
        .sort(),
    ).toEqual(['bad', 'good', 'odd']);
    expect(manager.resumeUnfinished()).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'bad/run.json'), 'utf8')).toBe('{"id": "bad", "state": "runn');
    expect(logs[0]).toMatch(/^run bad quarantined/);
  });

  it('state that cannot be written fails the run with a clear error; the manager stays up', async () => {
    const dir = tempDir();
    const manager = new RunManager<string, object>(dir, () => fakePorts([]));
    manager.start('r', { config: {}, walk, initialModel: 'b9.f64' });
    // What a full disk does to the next write: run.json cannot be replaced.
    fs.rmSync(path.join(dir, 'r'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'r'), 'not a directory');
    const run = await manager.finished('r');
    expect(run).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('run r: its state cannot be written'),
    });
    expect(() => manager.start('other', { config: {}, walk, initialModel: 'b9.f64' })).not.toThrow();
    expect((await manager.finished('other')).state).toBe('succeeded');
    // A run whose first state cannot be written is refused, and not left behind as pending.
    fs.writeFileSync(path.join(dir, 'blocked'), 'a file where its directory would go');
    expect(() => manager.start('blocked', { config: {}, walk, initialModel: 'b9.f64' })).toThrow(
      expect.objectContaining({ kind: 'failed-precondition' }),
    );
    expect(manager.find('blocked')).toBeUndefined();
  });
});

describe('StepJournal', () => {
  it('does not use a line that was edited or corrupted, and counts it', () => {
    const file = path.join(tempDir(), 'steps.jsonl');
    const journal = new StepJournal(file);
    journal.append('similarity:a', 0.728);
    journal.append('similarity:b', 0.5);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('0.728', '0.999')); // valid JSON, edited
    const reread = new StepJournal(file);
    expect(reread.has('similarity:a')).toBe(false); // runs again instead of flipping a decision
    expect(reread.get('similarity:b')).toBe(0.5);
    expect(reread.rejected).toBe(1);
  });

  it('reads the lines of a journal written before checksums', () => {
    const file = path.join(tempDir(), 'steps.jsonl');
    fs.writeFileSync(file, '\n{"key":"similarity:a","value":0.728}\n');
    const journal = new StepJournal(file);
    expect(journal.get('similarity:a')).toBe(0.728);
    expect(journal.rejected).toBe(0);
  });

  it('keeps non-finite numbers and ignores a torn line', () => {
    const file = path.join(tempDir(), 'steps.jsonl');
    const journal = new StepJournal(file);
    journal.append('a', { similarity: NaN, list: [1, Infinity] });
    fs.appendFileSync(file, '{"key":"b","val');
    const reread = new StepJournal(file);
    expect(reread.size).toBe(1);
    expect(reread.get('a')).toEqual({ similarity: NaN, list: [1, Infinity] });
    reread.append('b', 2);
    expect(new StepJournal(file).get('b')).toBe(2);
  });
});
