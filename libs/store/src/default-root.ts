import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The artifact store root: PRUNE_STORE_DIR, else `artifacts/` in the repository (git-ignored). */
export function defaultStoreRoot(env = process.env): string {
  return env['PRUNE_STORE_DIR'] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../artifacts');
}
