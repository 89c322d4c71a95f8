// StartRun's model goes into the artifact store through the candidates service's ImportModel: the
// service that owns models reads the file (under its model roots) or checks the store reference, so
// the coordinator never loads a model. Its refusals come back as StartRun's, naming the field the
// caller set.
import { ImportModelRequest, type ArtifactRef, type CandidatesServiceClient } from '@prune/contracts';
import { callUnary, StatusError, withRetry, type RetryOptions } from '@prune/service-kit';
import type { Replicas } from './replicas.js';

const FIELD = 'config.model.uri';

export async function importRunModel(
  candidates: Replicas<CandidatesServiceClient>,
  model: { uri: string; dataset: string; preprocessing: string },
  options: { retry?: RetryOptions; deadlineMs?: number } = {},
): Promise<ArtifactRef> {
  const request = ImportModelRequest.fromPartial(model);
  try {
    const imported = await withRetry(
      () => candidates.next((c) => callUnary(c, c.importModel, request, options.deadlineMs ?? 600_000)),
      options.retry,
    );
    return imported.model!;
  } catch (error) {
    const { code, details } = error as { code?: unknown; details?: unknown };
    if (typeof code !== 'number' || typeof details !== 'string') throw error;
    // ImportModelRequest.uri is this request's config.model.uri; its preprocessing, config.preprocessing.
    if (details.startsWith('preprocessing: ')) throw new StatusError(code, `config.${details}`);
    throw new StatusError(code, `${FIELD}: ${details.replace(/^uri: /, '')}`);
  }
}
