// Runs of the greedy walk with persisted state: each run is a directory holding its record
// (run.json, rewritten atomically after every event) and its step journal (steps.jsonl). Runs
// that were pending or running when the process died are resumed by `resumeUnfinished`.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '@prune/store';
import { costOf, type ModelCost } from './cost.js';
import { greedyWalk, type IterationRecord, type WalkConfig, type WalkPhase, type WalkPorts } from './greedy-walk.js';
import { finiteReplacer, numberReviver } from './json-numbers.js';
import type { LayerWidth } from './layer-width.js';
import { CancelledError, FailedPreconditionError, InvalidArgumentError, NotFoundError, quoted } from '@prune/errors';
import { journaledPorts, StepJournal } from './step-journal.js';

export type RunState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunRecord<M, C, A = unknown> {
  id: string;
  state: RunState;
  /** The request as the user gave it (validated), kept for display and resume. */
  config: C;
  walk: WalkConfig;
  initialModel: M;
  initial?: ModelCost & { testAccuracy: number; widths: LayerWidth[]; assessment?: A };
  iterations: IterationRecord<M, A>[];
  result?: M;
  stopReason: string;
  error: string;
  createdAt: string;
  updatedAt: string;
}

export type RunEvent<M, C, A = unknown> =
  | { type: 'phase'; iteration: number; name: WalkPhase; progress: number; detail: string }
  | { type: 'iteration'; record: IterationRecord<M, A> }
  | { type: 'run'; run: RunRecord<M, C, A> };

export interface RunContext {
  signal: AbortSignal;
  /** Progress of the step in flight (e.g. a fine-tune), 0..1. */
  progress(fraction: number, detail: string): void;
}

export type PortsFactory<M, C, A = unknown> = (
  run: RunRecord<M, C, A>,
  context: RunContext,
) => WalkPorts<M, A> & { close?(): void };

export class RunNotFoundError extends NotFoundError {
  override name = 'RunNotFoundError';
}

/** A run.json's record, or an error when it is not JSON or not shaped like a run. */
function parseRunRecord<M, C, A>(text: string): RunRecord<M, C, A> {
  const run = JSON.parse(text, numberReviver) as Partial<RunRecord<M, C, A>> | null;
  const shaped =
    run !== null &&
    typeof run === 'object' &&
    typeof run.id === 'string' &&
    typeof run.state === 'string' &&
    typeof run.createdAt === 'string' &&
    Array.isArray(run.iterations);
  if (!shaped) throw new Error('not a run record (id, state, createdAt, iterations)');
  return run as RunRecord<M, C, A>;
}

/** What a run whose run.json cannot be read is listed as. */
function quarantinedRecord<M, C, A>(id: string, file: string, error: Error): RunRecord<M, C, A> {
  const when = fs.statSync(file).mtime.toISOString();
  return {
    id,
    state: 'failed',
    config: {} as C,
    walk: {} as WalkConfig,
    initialModel: undefined as M,
    iterations: [],
    stopReason: '',
    error: `quarantined: ${file} is unreadable (${error.message.slice(0, 200)}); the run's files are kept as they are`,
    createdAt: when,
    updatedAt: when,
  };
}

const TERMINAL: RunState[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (state: RunState) => TERMINAL.includes(state);
const RUN_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class RunManager<M, C, A = unknown> {
  private readonly runs = new Map<string, RunRecord<M, C, A>>();
  private readonly active = new Map<string, { controller: AbortController; finished: Promise<void> }>();
  private readonly events = new EventEmitter();
  private readonly quarantined = new Set<string>();
  private stopping = false;

  constructor(
    private readonly dir: string,
    private readonly portsFor: PortsFactory<M, C, A>,
    private readonly log: (line: string) => void = () => {},
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.events.setMaxListeners(0);
    for (const id of fs.readdirSync(dir)) {
      const file = path.join(dir, id, 'run.json');
      if (!fs.existsSync(file)) continue;
      try {
        this.runs.set(id, parseRunRecord<M, C, A>(fs.readFileSync(file, 'utf8')));
      } catch (error) {
        // One unreadable run must not take the others down: it is listed as failed, never resumed,
        // and its files are left as they are for inspection (nothing rewrites them).
        this.quarantined.add(id);
        this.runs.set(id, quarantinedRecord<M, C, A>(id, file, error as Error));
        this.log(`run ${id} quarantined: ${file} is unreadable (${(error as Error).message})`);
      }
    }
  }

  /** Throws an invalid-argument error unless `id` can name a run (and its directory). */
  static assertRunId(id: string): void {
    if (!RUN_ID.test(id))
      throw new InvalidArgumentError(`${quoted(id)} must be 1-63 lowercase letters, digits or dashes to name a run`);
  }

  /** Starts a run; starting an id that exists returns that run unchanged. */
  start(id: string, init: { config: C; walk: WalkConfig; initialModel: M }): RunRecord<M, C, A> {
    RunManager.assertRunId(id);
    const existing = this.runs.get(id);
    if (existing) return existing;
    const now = new Date().toISOString();
    const run: RunRecord<M, C, A> = {
      id,
      state: 'pending',
      ...init,
      iterations: [],
      stopReason: '',
      error: '',
      createdAt: now,
      updatedAt: now,
    };
    this.save(run); // first: a run whose state cannot be written is not started at all
    this.runs.set(id, run);
    this.launch(run);
    return run;
  }

  /** Resumes the runs a previous process left pending or running. */
  resumeUnfinished(): string[] {
    const resumed = [...this.runs.values()].filter((r) => !isTerminal(r.state) && !this.active.has(r.id));
    for (const run of resumed) {
      this.log(`resuming run ${run.id} (${run.iterations.length} iterations recorded)`);
      this.launch(run);
    }
    return resumed.map((r) => r.id);
  }

  find(id: string): RunRecord<M, C, A> | undefined {
    return this.runs.get(id);
  }

  get(id: string): RunRecord<M, C, A> {
    const run = this.runs.get(id);
    if (!run) throw new RunNotFoundError(`no run ${quoted(id)}`);
    return run;
  }

  list(): RunRecord<M, C, A>[] {
    return [...this.runs.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Cancels a pending or running run and waits until it has stopped; a finished run is returned as is. */
  async cancel(id: string): Promise<RunRecord<M, C, A>> {
    const run = this.get(id);
    const active = this.active.get(id);
    if (active) {
      active.controller.abort();
      await active.finished;
    }
    return run;
  }

  /** Resolves when the run reaches a terminal state. */
  async finished(id: string): Promise<RunRecord<M, C, A>> {
    await this.active.get(id)?.finished;
    return this.get(id);
  }

  /** The run now, then its events, ending after the run reaches a terminal state. */
  async *watch(id: string, signal?: AbortSignal): AsyncGenerator<RunEvent<M, C, A>> {
    const queue: RunEvent<M, C, A>[] = [];
    let wake: (() => void) | undefined;
    const listener = (event: RunEvent<M, C, A>) => {
      queue.push(event);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.events.on(id, listener);
    signal?.addEventListener('abort', onAbort);
    try {
      const run = this.get(id);
      yield { type: 'run', run };
      if (isTerminal(run.state)) return;
      while (!signal?.aborted) {
        const event = queue.shift();
        if (!event) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        yield event;
        if (event.type === 'run' && isTerminal(event.run.state)) return;
      }
    } finally {
      this.events.off(id, listener);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stops every active run without recording it as cancelled (it resumes on the next start). */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const { controller } of this.active.values()) controller.abort();
    await Promise.all([...this.active.values()].map((a) => a.finished));
  }

  private launch(run: RunRecord<M, C, A>): void {
    const controller = new AbortController();
    const finished = this.execute(run, controller).finally(() => this.active.delete(run.id));
    this.active.set(run.id, { controller, finished });
  }

  private async execute(run: RunRecord<M, C, A>, controller: AbortController): Promise<void> {
    const runDir = path.join(this.dir, run.id);
    const journal = new StepJournal(path.join(runDir, 'steps.jsonl'));
    let phase: { iteration: number; name: WalkPhase } | undefined; // the phase that progress reports belong to
    const context: RunContext = {
      signal: controller.signal,
      progress: (progress, detail) => {
        if (phase) this.emit(run.id, { type: 'phase', ...phase, progress, detail });
      },
    };
    let ports: (WalkPorts<M, A> & { close?(): void }) | undefined;
    try {
      ports = this.portsFor(run, context);
      const replayed = journal.size;
      if (journal.rejected > 0) {
        this.log(
          `run ${run.id}: ${journal.rejected} journal lines were torn, corrupt or edited; those steps run again`,
        );
      }
      run.state = 'running';
      run.iterations = [];
      this.update(run);
      const walk = greedyWalk(run.initialModel, run.walk, journaledPorts(ports, journal, controller.signal), run.id);
      for await (const event of walk) {
        if (event.type === 'start') {
          run.initial = {
            ...costOf(event),
            testAccuracy: event.testAccuracy,
            widths: event.widths,
            ...(event.assessment === undefined ? {} : { assessment: event.assessment }),
          };
          this.update(run);
        } else if (event.type === 'phase') {
          phase = { iteration: event.iteration, name: event.name };
          this.emit(run.id, { type: 'phase', ...phase, progress: 0, detail: '' });
        } else if (event.type === 'iteration') {
          run.iterations.push(event.record);
          this.emit(run.id, { type: 'iteration', record: event.record });
          this.update(run);
        } else {
          run.result = event.result;
          run.stopReason = event.stopReason;
          run.state = 'succeeded';
        }
      }
      if (replayed > 0) this.log(`run ${run.id}: ${replayed} journaled steps replayed`);
    } catch (error) {
      if (error instanceof CancelledError || controller.signal.aborted) {
        if (this.stopping) return; // left running on disk: resumed by the next process
        run.state = 'cancelled';
        run.stopReason = 'cancelled';
      } else {
        run.state = 'failed';
        run.error = (error as Error).message;
        this.log(`run ${run.id} failed: ${(error as Error).stack ?? error}`);
      }
    } finally {
      ports?.close?.();
    }
    try {
      this.update(run);
    } catch (error) {
      // The state cannot be written (a full disk): the run is reported failed by this process; the
      // service stays up, and a restart resumes the run from its journal.
      run.state = 'failed';
      run.error = `${run.error ? `${run.error}; ` : ''}${(error as Error).message}`;
      this.emit(run.id, { type: 'run', run });
    }
  }

  private update(run: RunRecord<M, C, A>): void {
    run.updatedAt = new Date().toISOString();
    this.save(run);
    this.emit(run.id, { type: 'run', run });
  }

  private save(run: RunRecord<M, C, A>): void {
    if (this.quarantined.has(run.id)) return;
    try {
      fs.mkdirSync(path.join(this.dir, run.id), { recursive: true });
      writeFileAtomic(path.join(this.dir, run.id, 'run.json'), JSON.stringify(run, finiteReplacer, 2));
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).message;
      throw new FailedPreconditionError(`run ${run.id}: its state cannot be written in ${this.dir} (${code})`);
    }
  }

  private emit(id: string, event: RunEvent<M, C, A>): void {
    this.events.emit(id, event);
  }
}
