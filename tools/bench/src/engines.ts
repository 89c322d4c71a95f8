// Training and inference throughput of every engine this machine has, side by side, in one run
// (`npm run bench`): TF.js on wasm (1 thread), TF.js on native TensorFlow at 1 and N threads with
// its steps and forward passes as TensorFlow graphs (the default) and op by op (PRUNE_GRAPHS=off),
// and as N data-parallel replicas of 1 thread each (TrainConfig.dataParallelReplicas for training,
// PRUNE_EVAL_REPLICAS for inference), and PyTorch at 1 and N threads
// when `python3 -c "import torch"` works. Each engine runs in its own
// process (one backend and thread pool per process), one after another, on the same models,
// batches and step counts; ratios are against PyTorch at the same thread count and against wasm.
// --ceiling adds, per thread count N > 1, N independent one-thread TF.js processes side by side, each
// training and evaluating its own shard of batch/N: what N replicas would reach with no exchange.
// Options: --depths 20,56  --batches 64,256  --steps 10  --warmup 10  --threads 1,<cores>  --engines wasm,tensorflow,pytorch  --ceiling
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Readable } from 'node:stream';
import { printTable } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cores = os.availableParallelism();
const { values } = parseArgs({
  options: {
    depths: { type: 'string', default: '20,56' },
    batches: { type: 'string', default: '64,256' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '10' },
    threads: { type: 'string', default: cores > 1 ? `1,${cores}` : '1' },
    engines: { type: 'string', default: 'wasm,tensorflow,pytorch' },
    ceiling: { type: 'boolean', default: false },
  },
});

interface Measurement {
  model: string;
  batch: number;
  infer: number;
  train: number;
  engine: string;
  threads: number;
}

const batches = values.batches.split(',');
const common = (batch: string | number, depths = values.depths): string[] => [
  ...['--depths', depths, '--batches', String(batch)],
  ...['--steps', values.steps, '--warmup', values.warmup],
];

/**
 * Why a child failed: its last short line naming an error (a crash may print a whole minified file
 * and end with Node's version), else its last line, cut to a screen line.
 */
function failureReason(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const named = lines.filter((line) => line.length < 500 && /error|abort/i.test(line) && !/^\s+at /.test(line)).at(-1);
  return (named ?? lines.at(-1) ?? '').trim().slice(0, 200);
}

/** One process per batch size, so that one that fails (wasm aborts at batch 256) loses only its own rows. */
function measure(
  label: string,
  command: string,
  args: (batch: string) => string[],
  env: NodeJS.ProcessEnv,
  threads: number,
): Measurement[] {
  return batches.flatMap((batch) => {
    console.error(`measuring ${label}, batch ${batch} ...`);
    const result = spawnSync(command, args(batch), {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) {
      const reason = result.error?.message ?? failureReason(result.stderr);
      console.error(`  ${label}, batch ${batch} failed (exit ${result.status}: ${reason}): left out`);
      return [];
    }
    return measurementsOf(result.stdout).map((m) => ({ ...m, threads }));
  });
}

/** The measurements a child printed, one JSON object per line. */
function measurementsOf(stdout: string): Measurement[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Measurement);
}

/** train-infer.ts in JSON mode on one batch size. */
const trainInferArgs = (batch: string | number, depths?: string) => [
  ...['--import', 'tsx', '--conditions=@prune/source', path.join(here, 'train-infer.ts'), '--json'],
  ...common(batch, depths),
];

const tfjs = (env: NodeJS.ProcessEnv, threads: number, label: string, extra: string[] = []) =>
  measure(label, process.execPath, (batch) => [...trainInferArgs(batch), ...extra], env, threads);

/**
 * `copies` one-thread TF.js processes at once, each on a shard of batch/copies, started together
 * for each model and batch size: their images per second summed, in rows of the whole batch. If one
 * fails, the others are stopped (they would slow the next measurement) and the row is left out.
 */
async function sideBySide(copies: number): Promise<Measurement[]> {
  const rows: Measurement[] = [];
  for (const depth of values.depths.split(','))
    for (const batch of batches.map(Number)) {
      const label = `ResNet-${depth}, ${copies} one-thread processes side by side, shards of ${batch / copies}`;
      if (batch % copies) {
        console.error(`${label}: batch ${batch} does not split into ${copies} equal shards, left out`);
        continue;
      }
      console.error(`measuring ${label} ...`);
      const children = Array.from({ length: copies }, () =>
        spawn(process.execPath, trainInferArgs(batch / copies, depth), {
          env: { ...process.env, PRUNE_BACKEND: 'tensorflow', PRUNE_THREADS: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      try {
        const shards = (await Promise.all(children.map(outputOf))).flatMap(measurementsOf);
        const sum = (key: 'train' | 'infer') => shards.reduce((total, m) => total + m[key], 0);
        const engine = `tfjs tensorflow ${copies} processes`;
        rows.push({
          model: `ResNet-${depth}`,
          batch,
          train: sum('train'),
          infer: sum('infer'),
          engine,
          threads: copies,
        });
      } catch (error) {
        for (const child of children) child.kill();
        console.error(`  ${label} failed (${(error as Error).message}): left out`);
      }
    }
  return rows;
}

/** A child's stdout once it exits, or an error with the reason it failed. */
function outputOf(child: ChildProcessByStdio<null, Readable, Readable>): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${failureReason(stderr)}`)),
    );
  });
}

const engines = new Set(values.engines.split(','));
const threadCounts = values.threads.split(',').map(Number);
const results: Measurement[] = [];
if (engines.has('wasm')) results.push(...tfjs({ PRUNE_BACKEND: 'wasm' }, 1, 'tfjs wasm'));
for (const threads of threadCounts) {
  if (engines.has('tensorflow')) {
    for (const graphs of ['on', 'off'])
      results.push(
        ...tfjs(
          { PRUNE_BACKEND: 'tensorflow', PRUNE_THREADS: String(threads), PRUNE_GRAPHS: graphs },
          threads,
          `tfjs tensorflow, ${threads} threads${graphs === 'off' ? ', op by op' : ''}`,
        ),
      );
    if (threads > 1)
      results.push(
        ...tfjs(
          { PRUNE_BACKEND: 'tensorflow', PRUNE_THREADS: '1' },
          threads,
          `tfjs tensorflow, ${threads} replicas of 1 thread`,
          ['--replicas', String(threads)],
        ),
      );
    if (threads > 1 && values.ceiling) results.push(...(await sideBySide(threads)));
  }
}
/**
 * PRUNE_PYTHON, else the first python3 on PATH that imports torch: Nx puts node's own folder
 * (often /usr/bin, the system Python) ahead of the user's PATH, so the first python3 may lack it.
 */
function pythonWithTorch(): string | undefined {
  const candidates = process.env['PRUNE_PYTHON']
    ? [process.env['PRUNE_PYTHON']]
    : [...new Set((process.env['PATH'] ?? '').split(':').map((dir) => path.join(dir, 'python3')))].filter((p) =>
        fs.existsSync(p),
      );
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

const python = engines.has('pytorch') ? pythonWithTorch() : undefined;
if (engines.has('pytorch') && !python)
  console.error('PyTorch: no python3 on PATH imports torch, left out (pip install torch to compare)');
for (const threads of threadCounts) {
  if (!python) break;
  results.push(
    ...measure(
      `PyTorch, ${threads} threads`,
      python,
      (batch) => [path.join(here, 'torch_resnet.py'), ...common(batch), '--threads', String(threads)],
      {},
      threads,
    ),
  );
}

const ratio = (a: number, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
const find = (m: Measurement, engine: (e: string) => boolean, threads?: number) =>
  results.find(
    (r) =>
      r.model === m.model &&
      r.batch === m.batch &&
      engine(r.engine) &&
      (threads === undefined || r.threads === threads),
  );
const rows = results.map((m) => {
  const torch = find(m, (e) => e.startsWith('PyTorch'), m.threads);
  const wasm = find(m, (e) => e === 'tfjs wasm');
  return [
    m.model,
    String(m.batch),
    m.engine,
    String(m.threads),
    m.train.toFixed(1),
    m.infer.toFixed(1),
    ratio(m.train, torch?.train),
    ratio(m.infer, torch?.infer),
    ratio(m.train, wasm?.train),
    ratio(m.infer, wasm?.infer),
  ];
});
rows.sort((a, b) => a[0]!.localeCompare(b[0]!, undefined, { numeric: true }) || Number(a[1]) - Number(b[1]));
console.log(
  `${cores} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}); median of ${values.steps} timed steps after ${values.warmup} warm-up (replicas' inference: one evaluation of ${values.steps} batches per replica after one of ${values.warmup}); random images, Nesterov SGD with weight decay`,
);
printTable(
  [
    'model',
    'batch',
    'engine',
    'threads',
    'train img/s',
    'infer img/s',
    'train vs PyTorch',
    'infer vs PyTorch',
    'train vs wasm',
    'infer vs wasm',
  ],
  rows,
);
