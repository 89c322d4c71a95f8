// The coordinator service: StartRun validates the request against what the services offer,
// has the candidates service import the model into the artifact store and hands the run to the
// RunManager (libs/pruning), which walks it over the other services' contracts (grpc-ports.ts) and
// persists it after every step. Handlers only translate messages. Nothing here loads a model.
import { randomUUID } from 'node:crypto';
import {
  CandidatesServiceClient,
  CoordinatorServiceService,
  CriterionServiceClient,
  RunConfig,
  SelectionPolicy,
  TrainerServiceClient,
  type ArtifactRef,
  type Assessment,
  type CoordinatorServiceServer,
  type CriterionInfo,
  type FileChunk,
  type ModelFormat,
} from '@prune/contracts';
import { DomainError } from '@prune/errors';
import { isTerminal, RunManager, type WalkPorts } from '@prune/pruning';
import { artifactUrisIn } from '@prune/store';
import {
  callUnary,
  serverStream,
  StatusError,
  unary,
  withRetry,
  type RetryOptions,
  type ServiceBinding,
} from '@prune/service-kit';
import { SimilarityRegistry, type RegistryEntry } from './similarity-registry.js';
import { Discovered, offering } from './discovered.js';
import { grpcWalkPorts } from './grpc-ports.js';
import { importRunModel } from './model-import.js';
import { modelOfRun, relayModelFiles } from './model-download.js';
import { replicasOf, type Replicas } from './replicas.js';
import { validateRunConfig } from './run-config.js';
import { runMessage, watchEventMessage, type CoordinatorRun } from './run-messages.js';

export interface CoordinatorOptions {
  /** Where run records and step journals live (a volume that survives restarts). */
  runsDir: string;
  trainers: string[];
  criterion: string[];
  candidates: string[];
  similarity: RegistryEntry[];
  deadlineMs?: number;
  retry?: RetryOptions;
  log?: (line: string) => void;
}

/** How long StartRun waits for a service to list what it offers. */
const DISCOVERY_DEADLINE_MS = 10_000;

export class Coordinator {
  readonly runs: RunManager<ArtifactRef, unknown, Assessment>;
  private readonly metrics: Discovered<SimilarityRegistry>;
  private readonly criteria: Discovered<CriterionInfo[]>;
  private readonly criterionClients: Replicas<CriterionServiceClient>;
  private readonly candidatesClients: Replicas<CandidatesServiceClient>;
  /** Every run's fine-tunes and evaluations: one set, so runs side by side spread over the trainers. */
  private readonly trainerClients: Replicas<TrainerServiceClient>;

  constructor(private readonly o: CoordinatorOptions) {
    this.runs = new RunManager<ArtifactRef, unknown, Assessment>(
      o.runsDir,
      (run, context) => this.portsFor(run, context.signal, context.progress),
      o.log,
    );
    this.criterionClients = replicasOf(CriterionServiceClient, o.criterion, 'criterion');
    this.candidatesClients = replicasOf(CandidatesServiceClient, o.candidates, 'candidates');
    this.trainerClients = replicasOf(TrainerServiceClient, o.trainers, 'trainer');
    this.metrics = new Discovered(() =>
      SimilarityRegistry.discover(o.similarity, { retry: o.retry, deadlineMs: o.deadlineMs }),
    );
    const criteria = this.criterionClients;
    this.criteria = new Discovered(
      async () =>
        (await withRetry(() => criteria.next((c) => callUnary(c, c.listCriteria, {}, DISCOVERY_DEADLINE_MS)), o.retry))
          .criteria,
    );
  }

  async startRun(given: RunConfig | undefined, runId: string): Promise<CoordinatorRun> {
    if (runId) {
      naming('run_id', () => RunManager.assertRunId(runId));
      const existing = this.runs.find(runId);
      if (existing) return existing;
    }
    const needsMetric = !given?.policy || given.policy === SelectionPolicy.SELECTION_POLICY_SIMILARITY;
    const [criteria, metrics] = await Promise.all([
      asked('the criterion service', this.criteria.offered(offering, given?.criterion ?? '')),
      needsMetric
        ? asked(
            'the similarity services',
            this.metrics.offered((registry) => offering(registry.metrics().map((m) => m.info)), given?.metric ?? ''),
          )
        : {},
    ]);
    const { config, walk } = validateRunConfig(given, { criteria, metrics });
    const model = { uri: config.model!.uri, dataset: config.dataset, preprocessing: config.preprocessing };
    const initialModel = await importRunModel(this.candidatesClients, model, {
      retry: this.o.retry,
      deadlineMs: this.o.deadlineMs,
    });
    const id = runId || `run-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    // The config keeps the model as the caller named it (the report's source); the walk starts from the stored copy.
    return this.runs.start(id, { config: RunConfig.toJSON(config), walk, initialModel });
  }

  private portsFor(
    run: CoordinatorRun,
    signal: AbortSignal,
    progress: (fraction: number, detail: string) => void,
  ): WalkPorts<ArtifactRef, Assessment> {
    const config = RunConfig.fromJSON(run.config);
    return grpcWalkPorts({
      services: { trainers: this.trainerClients, criteria: this.criterionClients, candidates: this.candidatesClients },
      // Resolved per call, so a run resumed at start-up does not need the similarity services up yet.
      similarity: {
        compare: async (metric, x, y, parameters) => (await this.metrics.get()).compare(metric, x, y, parameters),
        sampling: async (metric) => (await this.metrics.get()).sampling(metric),
      },
      dataset: config.dataset,
      criterionName: config.criterion,
      criterionParameters: config.criterionParameters,
      metric: config.metric,
      metricParameters: config.metricParameters,
      calibrationExamples: config.calibrationExamples,
      validationExamples: config.validationExamples,
      testExamples: config.testExamples,
      candidateFineTune: config.candidateFinetune ?? {},
      selectedFineTune: config.selectedFinetune ?? {},
      seed: config.seed,
      teacher: run.initialModel,
      assessment: config.assessment,
      retry: this.o.retry,
      deadlineMs: this.o.deadlineMs,
      signal,
      onProgress: (jobId, fraction, detail) => progress(fraction, `${jobId}: ${detail}`),
    });
  }

  /** The files of a model of run `runId` (its result when `uri` is empty), to `write`. */
  async downloadModel(
    runId: string,
    uri: string,
    format: ModelFormat,
    write: (chunk: FileChunk) => void,
    signal: AbortSignal,
  ) {
    const run = naming('run_id', () => this.runs.get(runId));
    await relayModelFiles(this.candidatesClients, modelOfRun(run, uri), format, write, signal);
  }

  /** What the runs need kept in the store: the URIs their records and journals mention, and the unfinished runs. */
  async references(): Promise<{ uris: string[]; unfinishedRunIds: string[]; runCount: number }> {
    const runs = this.runs.list();
    return {
      uris: [...(await artifactUrisIn(this.o.runsDir))].sort(),
      runCount: runs.length,
      unfinishedRunIds: runs.filter((run) => !isTerminal(run.state)).map((run) => run.id),
    };
  }

  async close(): Promise<void> {
    await this.runs.shutdown();
    (await this.metrics.current()?.catch(() => undefined))?.close();
    this.criterionClients.close();
    this.candidatesClients.close();
    this.trainerClients.close();
  }
}

export function createCoordinatorService(coordinator: Coordinator): CoordinatorServiceServer {
  const runs = coordinator.runs;
  return {
    startRun: unary(async (request) => ({
      run: runMessage(await coordinator.startRun(request.config, request.runId)),
    })),
    getRun: unary(async (request) => ({ run: runMessage(naming('run_id', () => runs.get(request.runId))) })),
    watchRun: serverStream(async (request, write, call) => {
      naming('run_id', () => runs.get(request.runId)); // NOT_FOUND before the stream starts
      const stop = new AbortController();
      call.on('cancelled', () => stop.abort());
      for await (const event of runs.watch(request.runId, stop.signal)) write(watchEventMessage(event));
    }),
    listRuns: unary(async () => ({ runs: runs.list().map(runMessage) })),
    cancelRun: unary(async (request) => {
      naming('run_id', () => runs.get(request.runId));
      return { run: runMessage(await runs.cancel(request.runId)) };
    }),
    listReferences: unary(async () => coordinator.references()),
    downloadModel: serverStream(async (request, write, call) => {
      const stop = new AbortController();
      call.on('cancelled', () => stop.abort());
      await coordinator.downloadModel(
        request.runId,
        request.model?.uri ?? '',
        request.format,
        (chunk) => write({ chunk }),
        stop.signal,
      );
    }),
  };
}

export function coordinatorBinding(coordinator: Coordinator): ServiceBinding {
  return {
    name: 'prune.v1.CoordinatorService',
    definition: CoordinatorServiceService,
    implementation: createCoordinatorService(coordinator),
  };
}

/**
 * A question to another service during StartRun: its failure keeps the other service's status
 * (UNAVAILABLE stays UNAVAILABLE, so clients can retry) and says which service did not answer.
 */
async function asked<T>(service: string, answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (error) {
    const { code, details } = error as { code?: unknown; details?: unknown };
    if (typeof code !== 'number' || error instanceof StatusError) throw error;
    throw new StatusError(code, `${service} did not answer (${typeof details === 'string' ? details : String(error)})`);
  }
}

/** `work`, whose domain error (a run not found, a malformed id) is told as one about the request's `field`. */
function naming<T>(field: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof DomainError) error.message = `${field}: ${error.message}`;
    throw error;
  }
}
