// In-process stand-ins for the candidates, criterion and trainer services, on real loopback ports: they
// answer from tables and record what they were asked, so a test sees exactly which calls the
// coordinator makes.
import {
  CandidatesServiceService,
  CriterionServiceService,
  StructureKind,
  TrainerServiceService,
  TrainResponse,
  type CandidatesServiceServer,
  type CriterionServiceServer,
  type ExtractRepresentationsRequest,
  type InspectResponse,
  type ScoreRequest,
  type TrainerServiceServer,
  type TrainRequest,
} from '@prune/contracts';
import { invalidArgument, notFound, serve, serverStream, unary, type RunningServer } from '@prune/service-kit';

export const ref = (name: string) => ({ uri: `store://dirs/${name.padEnd(64, '0')}`, sha256: '' });

export interface FakeCandidates {
  server: RunningServer;
  /** URIs Inspect was asked about, in order. */
  inspected: string[];
  /** Facts Inspect answers, by model URI (anything else is NOT_FOUND). */
  facts: Map<string, InspectResponse>;
  /** Model files ImportModel accepts, by path. */
  files: Map<string, { uri: string; sha256: string }>;
}

export async function fakeCandidatesService(): Promise<FakeCandidates> {
  const inspected: string[] = [];
  const facts = new Map<string, InspectResponse>();
  const files = new Map<string, { uri: string; sha256: string }>();
  const implementation: CandidatesServiceServer = {
    // Every candidate removes 400 MACs from its parent, whatever its kind.
    makeCandidate: unary(async (request) => {
      const parent = facts.get(request.parent!.uri)!;
      const cost = { macs: parent.cost!.macs - 400, flops: parent.cost!.flops - 800, params: parent.cost!.params - 10 };
      const model = ref(request.kind === StructureKind.STRUCTURE_KIND_BLOCK ? 'layerchild' : 'filterchild');
      return { model, cost, parentCost: parent.cost, removed: ['x'], removedFilters: 8 };
    }),
    inspect: unary(async (request) => {
      inspected.push(request.model!.uri);
      const answer = facts.get(request.model!.uri);
      if (!answer) throw notFound(`model: artifact ${request.model!.uri} not found in the store`);
      return answer;
    }),
    importModel: unary(async (request) => {
      const stored = files.get(request.uri);
      if (stored) return { model: stored };
      if (request.uri.startsWith('/models/')) throw notFound(`uri: ${request.uri} not found`);
      throw invalidArgument(
        'uri',
        `${request.uri} is outside the model roots (/models); set PRUNE_MODEL_ROOTS of the candidates service or pass a store:// URI`,
      );
    }),
    // A model's "files": its URI as model.json (model.<format number> when converted), in two chunks.
    exportModel: serverStream(async (request, write) => {
      const bytes = Buffer.from(request.model!.uri);
      const name = request.format ? `model.${request.format}` : 'model.json';
      write({ chunk: { path: name, data: bytes.subarray(0, 8) } });
      write({ chunk: { path: name, data: bytes.subarray(8) } });
    }),
  };
  const server = await serve({
    address: '127.0.0.1:0',
    services: [{ name: 'prune.v1.CandidatesService', definition: CandidatesServiceService, implementation }],
    protoFiles: ['prune/v1/candidates.proto'],
    log: () => {},
  });
  return { server, inspected, facts, files };
}

export interface FakeCriterion {
  server: RunningServer;
  /** The criteria ListCriteria answers (a test may add one, as a redeployed service would). */
  names: string[];
  /** How many times ListCriteria was called. */
  listed: () => number;
  /** Score requests received, in order. */
  scored: ScoreRequest[];
}

export async function fakeCriterionService(names: string[]): Promise<FakeCriterion> {
  let listed = 0;
  const scored: ScoreRequest[] = [];
  const implementation: CriterionServiceServer = {
    listCriteria: unary(
      async () => (
        listed++,
        {
          criteria: names.map((name) => ({
            name,
            description: `${name} (test)`,
            needsData: false,
            parameters: [],
            parameterRanges: [],
          })),
        }
      ),
    ),
    score: unary(async (request) => (scored.push(request), { criterion: request.criterion, scores: [], seconds: 0 })),
  };
  const server = await serve({
    address: '127.0.0.1:0',
    services: [{ name: 'prune.v1.CriterionService', definition: CriterionServiceService, implementation }],
    protoFiles: ['prune/v1/criterion.proto'],
    log: () => {},
  });
  return { server, names, listed: () => listed, scored };
}

export interface FakeTrainer {
  server: RunningServer;
  /** ExtractRepresentations requests received, in order. */
  extracted: ExtractRepresentationsRequest[];
  /** Job ids of the Train calls received, in order (each answers after 200 ms). */
  trained: string[];
}

export async function fakeTrainerService(): Promise<FakeTrainer> {
  const extracted: ExtractRepresentationsRequest[] = [];
  const trained: string[] = [];
  // Other calls are left to grpc-js, which answers UNIMPLEMENTED.
  const implementation = {
    train: serverStream(async (request: TrainRequest, write) => {
      trained.push(request.jobId);
      await new Promise((resolve) => setTimeout(resolve, 200));
      write(
        TrainResponse.fromPartial({
          event: { $case: 'result', value: { model: ref(`tuned-${request.jobId}`), computeSeconds: 0.2 } },
        }),
      );
    }),
    extractRepresentations: unary(async (request: ExtractRepresentationsRequest) => {
      extracted.push(request);
      return { representation: ref(`rep-${request.model!.uri.slice(13, 20)}`), rows: 0, columns: 0, layer: 'x' };
    }),
  } as Partial<TrainerServiceServer> as TrainerServiceServer;
  const server = await serve({
    address: '127.0.0.1:0',
    services: [{ name: 'prune.v1.TrainerService', definition: TrainerServiceService, implementation }],
    protoFiles: ['prune/v1/trainer.proto'],
    log: () => {},
  });
  return { server, extracted, trained };
}
