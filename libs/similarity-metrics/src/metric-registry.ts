// Which metrics each similarity family offers. Services read it per request, so a metric
// registered at start-up (one line next to its file) is described and computed like a built-in.
import { SimilarityInputError } from './matrix.js';
import { CKA_METRICS, PROCRUSTES_METRICS, type SimilarityMetric } from './metrics.js';

const families = new Map<string, SimilarityMetric[]>([
  ['cka', [...CKA_METRICS]],
  ['procrustes', [...PROCRUSTES_METRICS]],
]);

/** Adds `metric` to `family` (a new family starts a new list). Names are unique across families. */
export function registerSimilarityMetric(family: string, metric: SimilarityMetric): void {
  if (similarityMetrics().some((m) => m.name === metric.name))
    throw new Error(`a similarity metric named ${metric.name} is already registered`);
  families.set(family, [...(families.get(family) ?? []), metric]);
}

/** The metrics of `family`, or of every family. */
export function similarityMetrics(family?: string): SimilarityMetric[] {
  return family === undefined ? [...families.values()].flat() : [...(families.get(family) ?? [])];
}

export function similarityMetricByName(name: string): SimilarityMetric {
  const metric = similarityMetrics().find((m) => m.name === name);
  if (!metric)
    throw new SimilarityInputError(
      `metric: unknown "${name}"; available: ${similarityMetrics()
        .map((m) => m.name)
        .join(', ')}`,
    );
  return metric;
}
