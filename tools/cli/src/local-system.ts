// The whole system on this machine: what `prune run` starts when no coordinator is configured or
// running, and what `prune serve` keeps up. The services run as processes on loopback and share
// one store (PRUNE_STORE_DIR, else artifacts/ in the repository).
import * as path from 'node:path';
import { sharedDir } from '@prune/data';
import { startLocalServices, type LocalServices } from '@prune/service-kit';
import { defaultStoreRoot } from '@prune/store';

const SERVICES_DIR = path.resolve(import.meta.dirname, '../../../services');

export interface LocalSystem extends LocalServices {
  storeRoot: string;
}

/**
 * Starts every service; the candidates service may read model files from `modelFiles`' folders,
 * the working directory and the shared data directory (besides PRUNE_MODEL_ROOTS).
 */
export async function startLocalSystem(
  options: { coordinatorAddress?: string; modelFiles?: string[]; log?: (line: string) => void } = {},
): Promise<LocalSystem> {
  const storeRoot = defaultStoreRoot();
  const roots = new Set(process.env['PRUNE_MODEL_ROOTS']?.split(':').filter(Boolean));
  for (const file of options.modelFiles ?? []) roots.add(path.dirname(path.resolve(file)));
  roots.add(process.cwd());
  try {
    roots.add(sharedDir());
  } catch {
    // no shared data directory on this machine: the user's own files only
  }
  const services = await startLocalServices(SERVICES_DIR, {
    env: { PRUNE_STORE_DIR: storeRoot, PRUNE_MODEL_ROOTS: [...roots].join(':') },
    trainers: 2, // the two candidates of an iteration fine-tune side by side
    log: options.log,
    coordinatorAddress: options.coordinatorAddress,
  });
  return { ...services, storeRoot };
}
