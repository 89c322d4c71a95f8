// The one place that decides which TF.js backend computes. Everything else imports `tf` from
// this library so that all code shares one tfjs-core instance and one active backend.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerNativeTrainingGradients } from './native-kernels.js';
import { graphsSetting, threadsSetting } from './settings.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

export const BACKEND_NAMES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface ActiveBackend {
  /** The TF.js backend name as registered with tfjs-core: "tensorflow", "wasm" or "cpu". */
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** The npm package that provides it. */
  package: string;
  /** What was asked for (PRUNE_BACKEND or the argument). */
  requested: BackendName;
  /** Human-readable details: SIMD/threads for wasm, GPU or CPU build for tensorflow. */
  detail: string;
}

export class BackendError extends Error {
  override name = 'BackendError';
}

/** Parses a backend name; an unknown name is an error that lists the valid ones. */
export function parseBackendName(value: string | undefined): BackendName {
  const name = (value ?? '').trim().toLowerCase() || 'auto';
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new BackendError(`PRUNE_BACKEND="${value}" is not a backend; valid names are: ${BACKEND_NAMES.join(', ')}`);
}

const require = createRequire(import.meta.url);

// tfjs-node(-gpu) are optionalDependencies whose native binding our npm postinstall builds
// (tools/setup); where it could not, the package is there without a binding. Detect at run time.
const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Whether the package's binding (lib/napi-v<N>/tfjs_binding.node) was built. */
function hasBuiltBinding(pkg: string): boolean {
  let lib: string;
  try {
    lib = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'lib');
  } catch {
    return false;
  }
  return fs.existsSync(lib) && fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')));
}

function loadTensorflowBinding(threads: number | undefined): { pkg: string } | { errors: string[] } {
  // PRUNE_THREADS sizes both pools; it must be in the environment before libtensorflow creates its context.
  if (threads !== undefined) {
    process.env['TF_NUM_INTRAOP_THREADS'] = String(threads);
    process.env['TF_NUM_INTEROP_THREADS'] = String(threads);
  }
  // Hides TensorFlow's info and warning log lines (errors still show) unless the user chose a
  // level. Its two load lines (oneDNN notice) are printed whatever this says.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  const errors: string[] = [];
  for (const pkg of TENSORFLOW_PACKAGES) {
    if (!hasBuiltBinding(pkg)) {
      errors.push(`${pkg}: no built binding (npm ci builds it; see its [prune setup] line)`);
      continue;
    }
    try {
      require(pkg); // registers the "tensorflow" backend with the shared tfjs-core
      return { pkg };
    } catch (error) {
      errors.push(`${pkg}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { errors };
}

async function activateWasm(requested: BackendName): Promise<ActiveBackend> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(distDir + path.sep);
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new BackendError('the wasm backend failed to initialize');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return {
    name: 'wasm',
    package: '@tensorflow/tfjs-backend-wasm',
    requested,
    detail: `SIMD ${simd ? 'on' : 'off'}, ${threads ? 'multi-threaded' : '1 thread'}`,
  };
}

async function activate(requested: BackendName): Promise<ActiveBackend> {
  // Production mode: no debug checks, and no "install tfjs-node" banner from the cpu backend
  // (we already choose the fastest backend that loads, and log it).
  tf.enableProdMode();
  // Checked on every backend: a bad value fails at start, not when something else reads it (energy,
  // the first compiled step).
  const threads = threadsSetting();
  graphsSetting();
  if (requested === 'cpu') {
    await tf.setBackend('cpu');
    return { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', requested, detail: 'pure JavaScript' };
  }
  if (requested === 'tensorflow' || requested === 'auto') {
    const loaded = loadTensorflowBinding(threads);
    if ('pkg' in loaded) {
      if (!(await tf.setBackend('tensorflow'))) throw new BackendError(`${loaded.pkg} loaded but did not initialize`);
      await tf.ready();
      registerNativeTrainingGradients();
      const build = loaded.pkg.endsWith('-gpu') ? 'CUDA build' : 'CPU build';
      const pool = process.env['TF_NUM_INTRAOP_THREADS']
        ? `${process.env['TF_NUM_INTRAOP_THREADS']} threads`
        : `${os.availableParallelism()} threads (one per core)`;
      return { name: 'tensorflow', package: loaded.pkg, requested, detail: `libtensorflow ${build}, ${pool}` };
    }
    if (requested === 'tensorflow') {
      throw new BackendError(`PRUNE_BACKEND=tensorflow but no TensorFlow binding loads: ${loaded.errors.join('; ')}`);
    }
  }
  return activateWasm(requested);
}

const initialized = new Map<BackendName, Promise<ActiveBackend>>();
/** The package behind each backend activated so far (the tensorflow backend's tells a CUDA build). */
const packages = new Map<string, string>();

/**
 * The engine computing now, as latency and energy figures name it: "tfjs-<backend>", plus "-gpu"
 * for the tensorflow backend's CUDA build (tfjs-node-gpu), whose power is a GPU's.
 */
export function activeEngine(): string {
  const name = tf.getBackend();
  return `tfjs-${name}${packages.get(name)?.endsWith('-gpu') ? '-gpu' : ''}`;
}

/**
 * Chooses, initializes and activates a backend; `requested` defaults to PRUNE_BACKEND (auto when
 * unset). Logs the choice through `log` (stderr by default) the first time. Calling it again
 * with the same name reactivates that backend (tests switch to "cpu" for reference values).
 */
export async function initBackend(
  requested: string | undefined = process.env['PRUNE_BACKEND'],
  log: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Promise<ActiveBackend> {
  const name = parseBackendName(requested);
  let pending = initialized.get(name);
  if (!pending) {
    pending = activate(name).then((backend) => {
      packages.set(backend.name, backend.package);
      log(
        `[prune] TF.js backend: ${backend.name} (${backend.detail}) via ${backend.package}, requested ${backend.requested}`,
      );
      return backend;
    });
    pending.catch(() => initialized.delete(name));
    initialized.set(name, pending);
    return pending;
  }
  const backend = await pending;
  if (tf.getBackend() !== backend.name) await tf.setBackend(backend.name);
  return backend;
}

/**
 * Throws when the active backend can no longer compute (e.g. a wasm heap left corrupted by a
 * failed allocation): a small matrix product must come back exact. Compute workers run it after
 * an unexpected failure and are replaced when it throws.
 */
export function checkBackend(): void {
  const product = tf.tidy(() => tf.sum(tf.matMul(tf.ones([4, 4]), tf.ones([4, 4]))));
  try {
    const value = product.dataSync()[0];
    if (value !== 64)
      throw new BackendError(`${tf.getBackend()} backend self-check: 4x4 ones squared summed to ${value}, not 64`);
  } finally {
    product.dispose();
  }
}
