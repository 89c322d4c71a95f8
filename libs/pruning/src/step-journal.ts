// An append-only journal of the walk's finished steps, so a run killed mid-way resumes from its
// last completed step: the walk is replayed over journaled ports, which answer finished steps
// from the journal and only call the real ports for the rest. Each line is one step, written
// with a single append and fsync, and carries a checksum of its content: a line torn by a crash,
// corrupted or edited is not used (that step runs again) and is counted in `rejected`.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { FineTuned, WalkPorts } from './greedy-walk.js';
import { finiteReplacer, numberReviver } from './json-numbers.js';
import { CancelledError } from '@prune/errors';

const checksum = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 16);

export class StepJournal {
  private readonly steps = new Map<string, unknown>();
  /** Lines that were not used: torn by a crash, corrupted or edited. */
  readonly rejected: number = 0;

  constructor(readonly file: string) {
    if (!fs.existsSync(file)) return;
    let rejected = 0;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      // "<checksum> <json>": the checksum covers the JSON exactly as written. Lines of journals
      // written before checksums ("<json>") are read as they are.
      const legacy = line.startsWith('{');
      const body = legacy ? line : line.slice(17);
      try {
        if (!legacy && (line[16] !== ' ' || checksum(body) !== line.slice(0, 16))) throw new Error('checksum');
        const { key, value } = JSON.parse(body, numberReviver) as { key: string; value: unknown };
        this.steps.set(key, value);
      } catch {
        rejected++;
      }
    }
    this.rejected = rejected;
  }

  get size(): number {
    return this.steps.size;
  }

  has(key: string): boolean {
    return this.steps.has(key);
  }

  get(key: string): unknown {
    return this.steps.get(key);
  }

  append(key: string, value: unknown): void {
    const fd = fs.openSync(this.file, 'a');
    try {
      // A torn line left by a crash would otherwise swallow this one.
      const body = JSON.stringify({ key, value }, finiteReplacer);
      const line = `\n${checksum(body)} ${body}\n`;
      fs.writeSync(fd, line);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.steps.set(key, value);
  }
}

/** The step's identity: the operation and its arguments (models are references, so JSON). */
function stepKey(operation: string, args: unknown[]): string {
  return `${operation}:${createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 32)}`;
}

/**
 * Wraps ports so every answer is journaled and finished steps are answered from the journal.
 * Once `signal` aborts, no new step starts and steps in flight are abandoned with CancelledError.
 */
export function journaledPorts<M, A>(
  ports: WalkPorts<M, A>,
  journal: StepJournal,
  signal?: AbortSignal,
): WalkPorts<M, A> {
  const cancelled = () => new CancelledError('the run was cancelled');
  const wrap =
    <A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const key = stepKey(operation, args);
      if (journal.has(key)) return journal.get(key) as R;
      if (signal?.aborted) throw cancelled();
      const result = await new Promise<R>((resolve, reject) => {
        const abort = () => reject(cancelled());
        signal?.addEventListener('abort', abort, { once: true });
        call(...args)
          .then(resolve, reject)
          .finally(() => signal?.removeEventListener('abort', abort));
      });
      journal.append(key, result);
      return result;
    };
  return {
    cost: wrap('cost', ports.cost),
    widths: wrap('widths', ports.widths),
    removableBlocks: wrap('removableBlocks', ports.removableBlocks),
    removableFilters: wrap('removableFilters', ports.removableFilters),
    scoreBlocks: wrap('scoreBlocks', ports.scoreBlocks),
    scoreFilters: wrap('scoreFilters', ports.scoreFilters),
    layerCandidate: wrap('layerCandidate', ports.layerCandidate),
    filterCandidate: wrap('filterCandidate', ports.filterCandidate),
    fineTune: async (...args) => fineTuned(await wrap('fineTune', ports.fineTune)(...args)),
    similarity: wrap('similarity', ports.similarity),
    accuracy: wrap('accuracy', ports.accuracy),
    ...(ports.assess ? { assess: wrap('assess', ports.assess) } : {}),
  };
}

/** A fine-tune's journaled answer: journals written before fine-tunes reported seconds hold the bare model. */
function fineTuned<M>(value: FineTuned<M> | M): FineTuned<M> {
  const shaped = typeof value === 'object' && value !== null && 'model' in value && 'seconds' in value;
  return shaped ? (value as FineTuned<M>) : { model: value as M, seconds: NaN };
}
