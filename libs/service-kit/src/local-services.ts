// The whole system as processes on loopback: N trainers, the criterion, candidates and similarity
// services, and a coordinator configured with their addresses. Used by `npm run demo` and the
// experiments; `servicesDir` is the repository's services/ (entries run from source through tsx).
import * as path from 'node:path';
import { spawnServiceProcess, type ServiceProcess } from './process.js';

export interface LocalServices {
  coordinator: string;
  processes: { name: string; service: ServiceProcess }[];
  stop(): Promise<void>;
}

export async function startLocalServices(servicesDir: string, options: { env?: NodeJS.ProcessEnv; trainers?: number; log?: (line: string) => void } = {}): Promise<LocalServices> {
  const processes: LocalServices['processes'] = [];
  const stop = async () => {
    await Promise.all(processes.map(({ service }) => service.stop('SIGTERM')));
  };
  const start = async (name: string, extra: NodeJS.ProcessEnv = {}) => {
    const service = await spawnServiceProcess(path.join(servicesDir, name, 'src/main.ts'), { env: { ...options.env, ...extra }, timeoutMs: 120_000 });
    processes.push({ name, service });
    options.log?.(`  ${name.padEnd(12)} ${service.address}`);
    return service.address;
  };
  try {
    const trainers = Array.from({ length: options.trainers ?? 2 }, () => 'trainer');
    const addresses = await Promise.all([...trainers, 'criterion', 'candidates', 'similarity'].map((name) => start(name)));
    const similarity = addresses.pop()!;
    const candidates = addresses.pop()!;
    const criterion = addresses.pop()!;
    const coordinator = await start('coordinator', {
      PRUNE_TRAINER_ADDRESSES: addresses.join(','),
      PRUNE_CRITERION_ADDRESSES: criterion,
      PRUNE_CANDIDATES_ADDRESSES: candidates,
      PRUNE_SIMILARITY_SERVICES: `cka=${similarity}`,
    });
    return { coordinator, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
