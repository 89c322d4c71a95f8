// Measured latency, so users see the speed-up MACs promise: the model on the active TF.js backend
// and, exported to ONNX, in ONNX Runtime (onnxruntime-node, CPU), warm, median of N runs.
import { activeEngine, predictInOnePass, tf, type tfl } from '@prune/compute';
import { InvalidArgumentError } from '@prune/errors';
import { exportOnnx } from './onnx/onnx-export.js';

export interface LatencyMeasurement {
  engine: string;
  batch: number;
  /** Median milliseconds per batch. */
  medianMs: number;
  imagesPerSecond: number;
  runs: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function timeRuns(runs: number, once: () => Promise<void>): Promise<number> {
  await once(); // warm-up: kernels compiled, memory allocated
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    times.push(performance.now() - start);
  }
  return median(times);
}

/**
 * Latency of `model` at each batch size on TF.js (backend `tf.getBackend()`) and, unless it has no
 * ONNX export (`onnxSkipped` says why), in ONNX Runtime.
 */
export async function measureLatency(
  model: tfl.LayersModel,
  options: { batches?: number[]; runs?: number } = {},
): Promise<{ measurements: LatencyMeasurement[]; onnxSkipped?: string }> {
  const runs = options.runs ?? 20;
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  // Loaded here, not with the library: services that never measure latency never load its addon.
  const ort = await import('onnxruntime-node');
  let onnx: Uint8Array | undefined;
  let onnxSkipped: string | undefined;
  try {
    onnx = exportOnnx(model);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    onnxSkipped = error.message;
  }
  const session = onnx ? await ort.InferenceSession.create(onnx, { graphOptimizationLevel: 'all' }) : undefined;
  const results: LatencyMeasurement[] = [];
  try {
    for (const batch of options.batches ?? [1, 64]) {
      const x = tf.randomNormal([batch, ...shape], 0, 1, 'float32', 1);
      const row = (engine: string, medianMs: number) => ({
        engine,
        batch,
        medianMs,
        imagesPerSecond: (batch * 1000) / medianMs,
        runs,
      });
      results.push(
        row(
          activeEngine(),
          await timeRuns(runs, async () => {
            const y = predictInOnePass(model, x);
            await y.data();
            y.dispose();
          }),
        ),
      );
      if (session) {
        const nchw = shape.length === 3 ? tf.transpose(x, [0, 3, 1, 2]) : x.clone();
        const feeds = {
          [session.inputNames[0]!]: new ort.Tensor('float32', nchw.dataSync() as Float32Array, nchw.shape),
        };
        nchw.dispose();
        results.push(row('onnxruntime-cpu', await timeRuns(runs, async () => void (await session.run(feeds)))));
      }
      x.dispose();
    }
  } finally {
    await session?.release();
  }
  return { measurements: results, ...(onnxSkipped ? { onnxSkipped } : {}) };
}
