// Scores of a content-addressed model (store://) on a named dataset are a pure function of the
// request, so identical requests share one computation (an AsyncCache), also while it is still
// running: several runs pruning one parent (a policy comparison, a sweep) score it once. KL on
// ResNet-56's 1,008 filters takes minutes on a CPU; the scores themselves are a few kilobytes.
import { DEFAULT_CALIBRATION_EXAMPLES } from '@prune/criteria';
import { DATASET_URIS } from '@prune/data';
import type { ScoreRequest } from '@prune/contracts';

/**
 * The cache key of a request with its resolved criterion `parameters`, or undefined when its
 * answer may change (a model or data file on disk).
 */
export function scoreCacheKey(request: ScoreRequest, parameters: Record<string, number>): string | undefined {
  if (!request.model?.uri.startsWith('store://')) return undefined;
  const calibration = request.calibration?.uri
    ? [
        request.calibration.uri,
        request.calibration.maxExamples || DEFAULT_CALIBRATION_EXAMPLES,
        request.calibration.seed,
      ]
    : [];
  if (calibration.length && !DATASET_URIS.includes(request.calibration!.uri)) return undefined;
  const sortedParameters = Object.entries(parameters).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([
    request.model.uri,
    request.criterion,
    request.kind,
    request.seed,
    sortedParameters,
    ...calibration,
  ]);
}
