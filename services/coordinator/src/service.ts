// The coordinator service: StartRun validates the request, imports the model into the artifact
// store and hands the run to the RunManager (libs/pruning), which walks it over the other services'
// contracts (grpc-ports.ts) and persists it after every step. Handlers only translate messages.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { CoordinatorServiceService, RunConfig, SelectionPolicy, type ArtifactRef, type CoordinatorServiceServer } from '@prune/contracts';
import { loadModel, putModelArtifact } from '@prune/models';
import { RunManager, type WalkPorts } from '@prune/pruning';
import { invalidArgument, notFound, serverStream, SimilarityRegistry, unary, type RegistryEntry, type RetryOptions, type ServiceBinding } from '@prune/service-kit';
import type { ArtifactStore } from '@prune/store';
import { grpcWalkPorts } from './grpc-ports.js';
import { validateRunConfig } from './run-config.js';
import { runMessage, watchEventMessage, type CoordinatorRun } from './run-messages.js';

export interface CoordinatorOptions {
  store: ArtifactStore;
  /** Where run records and step journals live (a volume that survives restarts). */
  runsDir: string;
  trainers: string[];
  criterion: string[];
  candidates: string[];
  similarity: RegistryEntry[];
  /** Directories a StartRun model path may name (anything else is refused). */
  modelRoots: string[];
  deadlineMs?: number;
  retry?: RetryOptions;
  log?: (line: string) => void;
}

export class Coordinator {
  readonly runs: RunManager<ArtifactRef, unknown>;
  private registry?: Promise<SimilarityRegistry>;

  constructor(private readonly o: CoordinatorOptions) {
    this.runs = new RunManager<ArtifactRef, unknown>(o.runsDir, (run, context) => this.portsFor(run, context.signal, context.progress), o.log);
  }

  /** The similarity registry, discovered on first use and again when asked for a metric it lacks. */
  private metrics(refresh = false): Promise<SimilarityRegistry> {
    if (refresh || !this.registry) {
      const registry = SimilarityRegistry.discover(this.o.similarity, { retry: this.o.retry, deadlineMs: this.o.deadlineMs });
      registry.catch(() => {
        if (this.registry === registry) this.registry = undefined; // the next call tries again
      });
      this.registry = registry;
    }
    return this.registry;
  }

  private async offeredMetrics(wanted: string): Promise<string[]> {
    const names = async (refresh: boolean) => (await this.metrics(refresh)).metrics().map((m) => m.info.name);
    const offered = await names(false);
    return wanted && !offered.includes(wanted) ? names(true) : offered;
  }

  async startRun(given: RunConfig | undefined, runId: string): Promise<CoordinatorRun> {
    if (runId) {
      RunManager.assertRunId(runId);
      const existing = this.runs.find(runId);
      if (existing) return existing;
    }
    const needsMetric = !given?.policy || given.policy === SelectionPolicy.SELECTION_POLICY_SIMILARITY;
    const { config, walk } = validateRunConfig(given, needsMetric ? await this.offeredMetrics(given?.metric ?? '') : []);
    config.model = await this.importModel(config.model!.uri);
    const id = runId || `run-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    return this.runs.start(id, { config: RunConfig.toJSON(config), walk, initialModel: config.model });
  }

  /** A store reference as is (it must exist), or a model file under a model root imported into the store. */
  private async importModel(uri: string): Promise<ArtifactRef> {
    if (uri.startsWith('store://')) {
      const dir = this.o.store.resolve(uri, 'config.model.uri');
      if (!fs.existsSync(path.join(dir, 'model.json'))) throw invalidArgument('config.model.uri', `${uri} is not a stored model`);
      return { uri, sha256: uri.slice(-64) };
    }
    const file = path.resolve(uri.replace(/^file:\/\//, ''));
    const inside = this.o.modelRoots.some((root) => {
      const relative = path.relative(path.resolve(root), file);
      return relative && !relative.startsWith('..') && !path.isAbsolute(relative);
    });
    if (!inside) throw invalidArgument('config.model.uri', `${file} is outside the model roots (${this.o.modelRoots.join(', ')}); set PRUNE_MODEL_ROOTS or pass a store:// URI`);
    if (!fs.existsSync(file)) throw notFound(`config.model.uri: ${file} not found`);
    const { model, metadata } = await loadModel(file);
    try {
      return await putModelArtifact(this.o.store, model, metadata);
    } finally {
      model.dispose();
    }
  }

  private portsFor(run: CoordinatorRun, signal: AbortSignal, progress: (fraction: number, detail: string) => void): WalkPorts<ArtifactRef> & { close(): void } {
    const config = RunConfig.fromJSON(run.config);
    return grpcWalkPorts({
      store: this.o.store,
      trainers: this.o.trainers,
      criterion: this.o.criterion,
      candidates: this.o.candidates,
      // Resolved per call, so a run resumed at start-up does not need the similarity services up yet.
      similarity: { compare: async (metric, x, y) => (await this.metrics()).compare(metric, x, y) },
      dataset: config.dataset,
      criterionName: config.criterion,
      metric: config.metric,
      calibrationExamples: config.calibrationExamples,
      validationExamples: config.validationExamples,
      testExamples: config.testExamples,
      candidateFineTune: config.candidateFinetune ?? {},
      selectedFineTune: config.selectedFinetune ?? {},
      seed: config.seed,
      retry: this.o.retry,
      deadlineMs: this.o.deadlineMs,
      signal,
      onProgress: (jobId, fraction, detail) => progress(fraction, `${jobId}: ${detail}`),
    });
  }

  async close(): Promise<void> {
    await this.runs.shutdown();
    (await this.registry?.catch(() => undefined))?.close();
  }
}

export function createCoordinatorService(coordinator: Coordinator): CoordinatorServiceServer {
  const runs = coordinator.runs;
  return {
    startRun: unary(async (request) => ({ run: runMessage(await coordinator.startRun(request.config, request.runId)) })),
    getRun: unary(async (request) => ({ run: runMessage(runs.get(request.runId)) })),
    watchRun: serverStream(async (request, write, call) => {
      runs.get(request.runId); // NOT_FOUND before the stream starts
      const stop = new AbortController();
      call.on('cancelled', () => stop.abort());
      for await (const event of runs.watch(request.runId, stop.signal)) write(watchEventMessage(event));
    }),
    listRuns: unary(async () => ({ runs: runs.list().map(runMessage) })),
    cancelRun: unary(async (request) => ({ run: runMessage(await runs.cancel(request.runId)) })),
  };
}

export function coordinatorBinding(coordinator: Coordinator): ServiceBinding {
  return { name: 'prune.v1.CoordinatorService', definition: CoordinatorServiceService, implementation: createCoordinatorService(coordinator) };
}
