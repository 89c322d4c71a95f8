// What a similarity service does for Compare: read two stored representations, check them, and
// apply a named metric.
import { quoted } from '@prune/errors';
import { decodeMatrix, type ArtifactRef, type ArtifactStore } from '@prune/store';
import { matrix, resolveParameters, SimilarityInputError, type SimilarityMetric } from '@prune/similarity-metrics';

export function compareStoredRepresentations(
  store: ArtifactStore,
  metrics: SimilarityMetric[],
  request: { metric: string; x?: ArtifactRef; y?: ArtifactRef; parameters: Record<string, number> },
): { metric: string; similarity: number; rows: number } {
  const metric = metrics.find((m) => m.name === request.metric);
  if (!metric)
    throw new SimilarityInputError(
      `metric: ${quoted(request.metric)} is not offered here; available: ${metrics.map((m) => m.name).join(', ')}`,
    );
  const read = (ref: ArtifactRef | undefined, field: string) => {
    if (!ref?.uri) throw new SimilarityInputError(`${field}: a representation reference is required`);
    const m = decodeMatrix(store.readFile(ref, field), field);
    return matrix(m.rows, m.columns, m.data);
  };
  const x = read(request.x, 'x');
  const y = read(request.y, 'y');
  const similarity = metric.compute(x, y, resolveParameters(metric, request.parameters));
  return { metric: metric.name, similarity, rows: x.rows };
}

/** Describe's answer for a list of metrics. */
export function describeMetrics(metrics: SimilarityMetric[]) {
  return {
    metrics: metrics.map((m) => ({
      name: m.name,
      description: m.description,
      parameters: Object.keys(m.parameters),
      minRows: m.minRows,
    })),
  };
}
