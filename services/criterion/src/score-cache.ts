// Scores of a content-addressed model (store://) on a named dataset are a pure function of the
// request, so identical requests share one computation, also while it is still running: several
// runs pruning one parent (a policy comparison, a sweep) score it once. KL on ResNet-56's 1,008
// filters takes minutes on a CPU; the scores themselves are a few kilobytes.
import { DATASET_URIS } from '@prune/data';
import type { ScoreRequest, StructureScore } from '@prune/contracts';

export class ScoreCache {
  private readonly entries = new Map<string, Promise<StructureScore[]>>();
  hits = 0;

  constructor(readonly capacity = 64) {}

  /** The cache key of a request, or undefined when its answer may change (a model or data file on disk). */
  static keyOf(request: ScoreRequest): string | undefined {
    if (!request.model?.uri.startsWith('store://')) return undefined;
    const calibration = request.calibration?.uri ? [request.calibration.uri, request.calibration.maxExamples || 256, request.calibration.seed] : [];
    if (calibration.length && !DATASET_URIS.includes(request.calibration!.uri)) return undefined;
    return JSON.stringify([request.model.uri, request.criterion, request.kind, request.seed, ...calibration]);
  }

  /** The cached (or in-flight) answer for `key`, else `compute()`'s, remembered unless it fails. */
  get(key: string | undefined, compute: () => Promise<StructureScore[]>): Promise<StructureScore[]> {
    if (key === undefined) return compute();
    const found = this.entries.get(key);
    if (found) {
      this.hits++;
      this.entries.delete(key); // most recently used last
      this.entries.set(key, found);
      return found;
    }
    const computed = compute();
    this.entries.set(key, computed);
    computed.catch(() => this.entries.delete(key));
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
    return computed;
  }
}
