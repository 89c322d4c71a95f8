// Where the similarity metrics live. The registry is configuration (service name -> addresses,
// from PRUNE_SIMILARITY_SERVICES or a JSON file); the metrics each service offers are learned
// from its Describe. Adding a similarity service is a new process and one registry entry.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { quoted } from '@prune/errors';
import {
  CompareRequest,
  SimilarityServiceClient,
  type ArtifactRef,
  type CompareResponse,
  type MetricInfo,
  type StochasticSampling,
} from '@prune/contracts';
import { callUnary, isServiceAddress, StatusError, withRetry, type RetryOptions } from '@prune/service-kit';
import { replicasOf, type Replicas } from './replicas.js';

export interface RegistryEntry {
  name: string;
  addresses: string[];
}

/**
 * Parses "cka=host:50054,host2:50054;procrustes=host:50055" (the environment form) or the JSON
 * form {"services": [{"name": "cka", "addresses": ["host:50054"]}]}.
 */
export function parseSimilarityRegistry(text: string, source = 'similarity registry'): RegistryEntry[] {
  const trimmed = text.trim();
  const entries: RegistryEntry[] = trimmed.startsWith('{')
    ? ((JSON.parse(trimmed) as { services?: RegistryEntry[] }).services ?? [])
    : trimmed
        .split(';')
        .filter(Boolean)
        .map((part) => {
          const [name, list] = part.split('=');
          return {
            name: (name ?? '').trim(),
            addresses: (list ?? '')
              .split(',')
              .map((a) => a.trim())
              .filter(Boolean),
          };
        });
  if (entries.length === 0) throw new Error(`${source}: no similarity services configured`);
  for (const entry of entries) {
    if (!entry.name || !Array.isArray(entry.addresses) || entry.addresses.length === 0) {
      throw new Error(`${source}: entry "${entry.name ?? ''}" needs a name and at least one host:port address`);
    }
    for (const address of entry.addresses) {
      if (!isServiceAddress(address))
        throw new Error(`${source}: service ${entry.name}: "${address}" is not host:port or dns:///host:port`);
    }
  }
  return entries;
}

/** The registry from PRUNE_SIMILARITY_REGISTRY (a JSON file) or PRUNE_SIMILARITY_SERVICES. */
export function similarityRegistryFromEnv(env = process.env): RegistryEntry[] {
  const file = env['PRUNE_SIMILARITY_REGISTRY'];
  if (file) return parseSimilarityRegistry(fs.readFileSync(file, 'utf8'), file);
  return parseSimilarityRegistry(
    env['PRUNE_SIMILARITY_SERVICES'] ?? 'cka=127.0.0.1:50054',
    'PRUNE_SIMILARITY_SERVICES',
  );
}

interface Route {
  service: string;
  info: MetricInfo;
  replicas: Replicas<SimilarityServiceClient>;
}

export class SimilarityRegistry {
  private readonly routes = new Map<string, Route>();
  private readonly services: Replicas<SimilarityServiceClient>[] = [];

  private constructor(
    private readonly retry: RetryOptions,
    private readonly deadlineMs: number,
  ) {}

  /** Asks every configured service what it offers. A metric offered twice is an error. */
  static async discover(
    entries: RegistryEntry[],
    options: { retry?: RetryOptions; deadlineMs?: number } = {},
  ): Promise<SimilarityRegistry> {
    const registry = new SimilarityRegistry(options.retry ?? {}, options.deadlineMs ?? 600_000);
    for (const entry of entries) {
      const replicas = replicasOf(SimilarityServiceClient, entry.addresses, entry.name);
      registry.services.push(replicas);
      const described = await withRetry(
        () => replicas.next((c) => callUnary(c, c.describe, {}, 10_000)),
        registry.retry,
      );
      for (const info of described.metrics) {
        const taken = registry.routes.get(info.name);
        if (taken)
          throw new Error(`similarity metric "${info.name}" is offered by both ${taken.service} and ${entry.name}`);
        registry.routes.set(info.name, { service: entry.name, info, replicas });
      }
    }
    return registry;
  }

  metrics(): { service: string; info: MetricInfo }[] {
    return [...this.routes.values()].map(({ service, info }) => ({ service, info }));
  }

  /** How `metric` wants examples answered (its MetricInfo.stochastic); undefined: one row each. */
  sampling(metric: string): StochasticSampling | undefined {
    return this.route(metric).info.stochastic;
  }

  /** Compares two stored representations with `metric`, on the service that offers it. */
  compare(
    metric: string,
    x: ArtifactRef,
    y: ArtifactRef,
    parameters: Record<string, number> = {},
  ): Promise<CompareResponse> {
    const route = this.route(metric);
    const samplesPerExample = route.info.stochastic?.samplesPerExample ?? 0;
    const request = CompareRequest.fromPartial({ metric, x, y, parameters, samplesPerExample });
    return withRetry(() => route.replicas.next((c) => callUnary(c, c.compare, request, this.deadlineMs)), this.retry);
  }

  private route(metric: string): Route {
    const route = this.routes.get(metric);
    if (!route)
      throw new StatusError(
        grpc.status.INVALID_ARGUMENT,
        `metric: ${quoted(metric)} is not offered by any configured similarity service; available: ${[...this.routes.keys()].join(', ')}`,
      );
    return route;
  }

  close(): void {
    for (const replicas of this.services) replicas.close();
  }
}
