// Where the project's real data lives: PRUNE_SHARED_DIR, else `../shared` beside the repository.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '@prune/errors';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function sharedDir(env = process.env): string {
  const dir = env['PRUNE_SHARED_DIR'] ?? path.resolve(REPO_ROOT, '../shared');
  if (!fs.existsSync(path.join(dir, 'README.md'))) {
    throw new NotFoundError(`shared data directory not found at ${dir} (set PRUNE_SHARED_DIR)`);
  }
  return dir;
}
