// The coordinator's configuration from its environment (a ConfigMap in a cluster):
//   PRUNE_TRAINER_ADDRESSES     host:port[,host:port...] or dns:///name:port (default 127.0.0.1:50051)
//   PRUNE_CRITERION_ADDRESSES   host:port[,...]            (default 127.0.0.1:50052)
//   PRUNE_CANDIDATES_ADDRESSES  host:port[,...]            (default 127.0.0.1:50053)
//   PRUNE_SIMILARITY_SERVICES / PRUNE_SIMILARITY_REGISTRY  (see similarity-registry.ts)
//   PRUNE_RUNS_DIR              run records and journals   (default <store>/runs, the store being
//                               PRUNE_STORE_DIR or <repo>/artifacts)
//   PRUNE_CALL_DEADLINE_MS      deadline of each outbound call (default 3,600,000)
// Model files a run names are read by the candidates service (its PRUNE_MODEL_ROOTS), not here.
import * as path from 'node:path';
import { parseAddressList } from '@prune/service-kit';
import { similarityRegistryFromEnv } from './similarity-registry.js';
import { defaultStoreRoot } from '@prune/store';
import type { CoordinatorOptions } from './service.js';

const addresses = (env: NodeJS.ProcessEnv, name: string, fallback: string) =>
  parseAddressList(env[name] ?? fallback, name);

export function coordinatorOptionsFromEnv(env = process.env): CoordinatorOptions {
  const log = (line: string) => process.stderr.write(`[prune] coordinator: ${line}\n`);
  const deadline = Number(env['PRUNE_CALL_DEADLINE_MS'] ?? 3_600_000);
  if (!(deadline > 0))
    throw new Error(
      `PRUNE_CALL_DEADLINE_MS: expected a positive number of milliseconds, got "${env['PRUNE_CALL_DEADLINE_MS']}"`,
    );
  return {
    runsDir: env['PRUNE_RUNS_DIR'] ?? path.join(defaultStoreRoot(env), 'runs'),
    trainers: addresses(env, 'PRUNE_TRAINER_ADDRESSES', '127.0.0.1:50051'),
    criterion: addresses(env, 'PRUNE_CRITERION_ADDRESSES', '127.0.0.1:50052'),
    candidates: addresses(env, 'PRUNE_CANDIDATES_ADDRESSES', '127.0.0.1:50053'),
    similarity: similarityRegistryFromEnv(env),
    deadlineMs: deadline,
    retry: {
      onRetry: (attempt, error) =>
        log(`call failed (${(error as Error).message}); retry ${attempt}, on another replica if there is one`),
    },
    log,
  };
}
