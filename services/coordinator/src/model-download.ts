// DownloadModel: a run's model files (in the format asked for), relayed chunk by chunk from the candidates service (which
// owns the store and verifies the model against its digest): clients take a result home without
// access to the store. Only models of the run can be asked for.
import type {
  ArtifactRef,
  CandidatesServiceClient,
  ExportModelResponse,
  FileChunk,
  ModelFormat,
} from '@prune/contracts';
import { failedPrecondition, invalidArgument } from '@prune/service-kit';
import type { Replicas } from './replicas.js';
import type { CoordinatorRun } from './run-messages.js';

/** The run's model named `uri` (its result when empty), or the error that says which it has. */
export function modelOfRun(run: CoordinatorRun, uri: string): ArtifactRef {
  if (!uri) {
    if (!run.result)
      throw failedPrecondition(
        `run ${run.id} has no result yet (${run.state}); name one of its models with model.uri, e.g. its parent ${run.initialModel.uri}`,
      );
    return run.result;
  }
  const models = [run.initialModel, ...run.iterations.map((i) => i.model), run.result];
  const found = models.find((m) => m?.uri === uri);
  if (!found) throw invalidArgument('model.uri', `${uri.slice(0, 100)} is not a model of run ${run.id}`);
  return found;
}

/** Streams `model`'s files in `format` to `write`; stops when `signal` aborts. */
export async function relayModelFiles(
  candidates: Replicas<CandidatesServiceClient>,
  model: ArtifactRef,
  format: ModelFormat,
  write: (chunk: FileChunk) => void,
  signal: AbortSignal,
): Promise<void> {
  await candidates.next(async (client) => {
    const stream = client.exportModel({ model, format });
    const cancel = () => stream.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      for await (const response of stream as AsyncIterable<ExportModelResponse>) write(response.chunk!);
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  });
}
