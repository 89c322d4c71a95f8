import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where decoded datasets are cached: PRUNE_CACHE_DIR, else `.cache/` in the repository (git-ignored). */
export function cacheDir(env = process.env): string {
  return env['PRUNE_CACHE_DIR'] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../.cache');
}
