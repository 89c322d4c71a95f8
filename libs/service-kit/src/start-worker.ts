// Starting a worker thread from a module, built or source: services' compute workers and
// training's model replicas both run this way.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SHARE_ENV, Worker } from 'node:worker_threads';

/**
 * Starts `entry`, named as its built file (`new URL('./worker.js', import.meta.url)`); run from
 * source, the .ts beside it runs through tsx.
 */
export function startWorker(entry: URL): Worker {
  // The process's own environment, not a copy: native libraries the worker loads read settings
  // with getenv (libtensorflow's TF_NUM_INTRAOP_THREADS, which PRUNE_THREADS becomes).
  if (existsSync(fileURLToPath(entry))) return new Worker(entry, { env: SHARE_ENV });
  const source = new URL(entry.href.replace(/\.js$/, '.ts'));
  if (!existsSync(fileURLToPath(source))) throw new Error(`worker module not found: ${fileURLToPath(entry)}`);
  // tsx's ESM API (its CommonJS build registers with a wrong base inside workers) sits beside
  // the CommonJS one that require.resolve finds.
  const tsxCommonJs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsx = pathToFileURL(tsxCommonJs.replace(/\.cjs$/, '.mjs')).href;
  const boot = `
    const { workerData } = require('node:worker_threads');
    import(workerData.tsx).then((api) => api.register()).then(() => import(workerData.entry));`;
  return new Worker(boot, { eval: true, env: SHARE_ENV, workerData: { tsx, entry: source.href } });
}
