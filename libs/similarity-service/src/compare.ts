// What a similarity service does for Compare: read two stored representations, check them, and
// apply a named metric.
import { parameterRangeMessages } from '@prune/contracts';
import { quoted } from '@prune/errors';
import { decodeMatrix, type ArtifactRef, type ArtifactStore } from '@prune/store';
import { matrix, resolveParameters, SimilarityInputError, type SimilarityMetric } from '@prune/similarity-metrics';

export function compareStoredRepresentations(
  store: ArtifactStore,
  metrics: SimilarityMetric[],
  request: {
    metric: string;
    x?: ArtifactRef;
    y?: ArtifactRef;
    parameters: Record<string, number>;
    samplesPerExample?: number;
  },
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
  const samples = request.samplesPerExample ?? 0;
  if (metric.stochastic && samples < 2)
    throw new SimilarityInputError(
      `samples_per_example: ${metric.name} compares stochastic responses, several rows per example; extract ` +
        `them with ExtractRepresentations' stochastic field set to what Describe gives (${metric.stochastic.samplesPerExample} samples per example)`,
    );
  if (!metric.stochastic && samples > 1)
    throw new SimilarityInputError(
      `samples_per_example: ${metric.name} compares one row per example; got ${samples} samples per example (leave it 0)`,
    );
  const x = read(request.x, 'x');
  const y = read(request.y, 'y');
  const similarity = metric.compute(x, y, resolveParameters(metric, request.parameters), Math.max(1, samples));
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
      stochastic: m.stochastic,
      parameterRanges: parameterRangeMessages(m.bounds),
    })),
  };
}
