// npm's postinstall of the workspace root: the native TensorFlow backend where it can be had, else
// one line saying why and what to do. It never fails the install: the wasm backend still works.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SetupError } from './libtensorflow.js';
import { TFJS_NODE_PACKAGES, type TfjsNodePackage, ensureNativeTensorflow } from './native-binding.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const log = (line: string) => process.stderr.write(`${line}\n`);

function packageFromEnv(value: string | undefined): TfjsNodePackage {
  if (!value) return '@tensorflow/tfjs-node';
  if ((TFJS_NODE_PACKAGES as readonly string[]).includes(value)) return value as TfjsNodePackage;
  throw new SetupError(
    `PRUNE_TFJS_NODE_PACKAGE="${value}" is not one of ${TFJS_NODE_PACKAGES.join(', ')}`,
    'unset it or name one of those',
  );
}

if (process.env['PRUNE_BACKEND'] === 'wasm' || process.env['PRUNE_SKIP_NATIVE'] === '1') {
  log('[prune setup] native TensorFlow skipped (PRUNE_BACKEND=wasm or PRUNE_SKIP_NATIVE=1): the wasm backend computes');
} else {
  const started = Date.now();
  try {
    const result = ensureNativeTensorflow({
      root,
      packageName: packageFromEnv(process.env['PRUNE_TFJS_NODE_PACKAGE']),
      log,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (result.ok) {
      log(
        `[prune setup] native TensorFlow ready: ${result.packageName} on ${result.libtensorflow}` +
          `${result.reused ? ' (cached binding)' : ''}, ${seconds} s`,
      );
    } else {
      log(
        `[prune setup] native TensorFlow unavailable, the wasm backend will compute: ${result.reason}. To fix: ${result.remedy}, then npm ci.`,
      );
    }
  } catch (error) {
    const remedy = error instanceof SetupError ? ` To fix: ${error.remedy}, then npm ci.` : '';
    log(
      `[prune setup] native TensorFlow unavailable, the wasm backend will compute: ${(error as Error).message}.${remedy}`,
    );
  }
}
