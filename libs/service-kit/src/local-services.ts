// The whole system as processes on loopback: N trainers, the criterion, candidates and both
// similarity services (CKA family, Procrustes family), and a coordinator configured with their
// addresses. Used by `npm run demo` and the experiments; `servicesDir` is the repository's
// services/ (entries run from source through tsx).
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnServiceProcess, type ServiceProcess } from './process.js';

export interface LocalServices {
  coordinator: string;
  processes: { name: string; service: ServiceProcess }[];
  stop(): Promise<void>;
}

export interface LocalServicesOptions {
  env?: NodeJS.ProcessEnv;
  /** Trainer processes (default 2: the two candidate fine-tunes of an iteration run side by side). */
  trainers?: number;
  /** Cores to size compute threads to (default: this machine's). */
  cores?: number;
  log?: (line: string) => void;
  /** Where the coordinator listens (default: a free loopback port). */
  coordinatorAddress?: string;
}

/**
 * PRUNE_THREADS per process, unless the caller set it: trainers share the cores (their candidate
 * fine-tunes run at the same time); every other service computes alone and gets all of them.
 */
export function threadsPerService(cores: number, trainers: number): { trainer: number; other: number } {
  return { trainer: Math.max(1, Math.floor(cores / Math.max(1, trainers))), other: Math.max(1, cores) };
}

export async function startLocalServices(
  servicesDir: string,
  options: LocalServicesOptions = {},
): Promise<LocalServices> {
  const processes: LocalServices['processes'] = [];
  const trainerCount = options.trainers ?? 2;
  const threads = threadsPerService(options.cores ?? os.availableParallelism(), trainerCount);
  const threadsEnv = (n: number): NodeJS.ProcessEnv =>
    (options.env?.['PRUNE_THREADS'] ?? process.env['PRUNE_THREADS']) ? {} : { PRUNE_THREADS: String(n) };
  const stop = async () => {
    await Promise.all(processes.map(({ service }) => service.stop('SIGTERM')));
  };
  const start = async (name: string, extra: NodeJS.ProcessEnv = {}, address?: string) => {
    const env = { ...threadsEnv(name === 'trainer' ? threads.trainer : threads.other), ...options.env, ...extra };
    const entry = path.join(servicesDir, name, 'src/main.ts');
    const service = await spawnServiceProcess(entry, { env, address, timeoutMs: 120_000 });
    processes.push({ name, service });
    options.log?.(`  ${name.padEnd(12)} ${service.address} (${service.transport})`);
    return service.address;
  };
  try {
    const trainers = Array.from({ length: trainerCount }, () => 'trainer');
    const addresses = await Promise.all(
      [...trainers, 'criterion', 'candidates', 'similarity', 'similarity-procrustes'].map((name) => start(name)),
    );
    const procrustes = addresses.pop()!;
    const similarity = addresses.pop()!;
    const candidates = addresses.pop()!;
    const criterion = addresses.pop()!;
    const coordinator = await start(
      'coordinator',
      {
        PRUNE_TRAINER_ADDRESSES: addresses.join(','),
        PRUNE_CRITERION_ADDRESSES: criterion,
        PRUNE_CANDIDATES_ADDRESSES: candidates,
        PRUNE_SIMILARITY_SERVICES: `cka=${similarity};procrustes=${procrustes}`,
      },
      options.coordinatorAddress,
    );
    return { coordinator, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
