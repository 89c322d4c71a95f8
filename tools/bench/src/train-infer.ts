// Throughput of CIFAR ResNets on the active backend: images/second for inference (as evaluation
// runs it: batch norm and ReLU folded into the convolutions) and for a full training step
// (forward + backward + SGD update). A script, not a test: `npm run bench`.
// Options: --depths 20,56  --batches 64,128  --steps 10  --warmup 10  --replicas 1  --profile  --json (PRUNE_BACKEND
// picks the backend, PRUNE_THREADS its threads). --replicas N trains data-parallel: N model replicas
// in threads, a shard of each batch each (TrainConfig.dataParallelReplicas; raw pixels, preprocessed per shard);
// and evaluates data-parallel: N replicas in threads, whole batches each (PRUNE_EVAL_REPLICAS), timed
// as one evaluation of steps x N batches after one of warmup x N.
// --profile also prints where one inference and one training step spend their time, per kernel (a
// kernel that calls others counts their time too; op by op: a graph is one call, which TF.js does not
// itemise, so --profile sets PRUNE_GRAPHS=off); --json prints one
// JSON object per measurement (engines.ts compares engines with it).
import {
  compiledPredictor,
  graphsSetting,
  initBackend,
  makeTrainStep,
  medianMs,
  tf,
  type tfl,
  VariableRateMomentum,
} from '@prune/compute';
import { buildCifarResNet, CIFAR_RESNET_PREPROCESSING, decayedWeights, foldForInference } from '@prune/models';
import { DataParallelStep, evaluateModel } from '@prune/training';
import { parseArgs } from 'node:util';
import * as os from 'node:os';
import { printTable } from './table.js';

const { values } = parseArgs({
  options: {
    depths: { type: 'string', default: '20,56' },
    batches: { type: 'string', default: '64,128' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '10' },
    replicas: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const list = (s: string) => s.split(',').map(Number);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const replicas = Number(values.replicas);
if (replicas > 1) process.env['PRUNE_EVAL_REPLICAS'] = String(replicas);
if (values.profile) process.env['PRUNE_GRAPHS'] = 'off';

const backend = await initBackend();

/** Images per second of the median of the timed calls, after `warmup` untimed ones. */
const imagesPerSecond = (batch: number, run: () => void) => batch / (medianMs(run, steps, warmup) / 1000);

/** `count` images of raw pixels (not random: the same in every run) and their labels, 32x32 RGB. */
function rawImages(count: number) {
  const pixels = Uint8Array.from({ length: count * 32 * 32 * 3 }, (_, i) => (i * 7919) % 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { pixels, labels, count, height: 32, width: 32, channels: 3, classNames: [] };
}

/** Images per second of one data-parallel evaluation of steps x replicas batches, after a warm-up one. */
async function evaluationImagesPerSecond(model: tfl.LayersModel, batch: number): Promise<number> {
  const metadata = { preprocessing: CIFAR_RESNET_PREPROCESSING, source: 'bench' };
  await evaluateModel(model, metadata, rawImages(warmup * replicas * batch), batch);
  const timed = rawImages(steps * replicas * batch);
  const started = performance.now();
  await evaluateModel(model, metadata, timed, batch);
  return timed.count / ((performance.now() - started) / 1000);
}

async function printKernelProfile(title: string, run: () => void): Promise<void> {
  const info = await tf.profile(() => {
    run();
  });
  const byKernel = new Map<string, number>();
  // Only leaf kernels: op wrappers (names ending in __op) and scopes would count time twice.
  for (const k of info.kernels) {
    if (k.name.endsWith('__op') || k.name === 'unnamed scope') continue;
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  }
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  console.error(`  ${title}: ${total.toFixed(0)} ms in kernels`);
  for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    console.error(
      `    ${name.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)}%`,
    );
  }
}

const rows: string[][] = [];
for (const depth of list(values.depths)) {
  for (const batch of list(values.batches)) {
    const model = buildCifarResNet({ depth, seed: 0 });
    const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const y = tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 10),
      'int32',
    );
    let infer: number;
    if (replicas > 1) infer = await evaluationImagesPerSecond(model, batch);
    else {
      const inference = foldForInference(model);
      const predictor = compiledPredictor(inference);
      const predict = () => {
        const out = predictor.predict(x);
        out.dataSync();
        out.dispose();
      };
      infer = imagesPerSecond(batch, predict);
      if (values.profile) await printKernelProfile(`ResNet-${depth} batch ${batch} inference`, predict);
      predictor.dispose();
      if (inference !== model) inference.dispose();
    }
    const optimizer = new VariableRateMomentum(0.01, 0.9, true);
    let train: number;
    if (replicas > 1) {
      const parallel = await DataParallelStep.start(replicas, model, optimizer, {
        weightDecay: 1e-4,
        preprocessing: CIFAR_RESNET_PREPROCESSING,
      });
      const { pixels, labels } = rawImages(batch);
      const times: number[] = [];
      try {
        for (let i = 0; i < steps + warmup; i++) {
          const started = performance.now();
          await parallel.step(pixels, labels, [batch, 32, 32, 3], 0.01);
          if (i >= warmup) times.push(performance.now() - started);
        }
      } finally {
        await parallel.close();
      }
      train = batch / (times.sort((a, b) => a - b)[Math.floor(times.length / 2)]! / 1000);
    } else {
      const step = makeTrainStep(model, optimizer, { weightDecay: 1e-4, decayedWeights: decayedWeights(model) });
      train = imagesPerSecond(batch, () => step(x, y));
      if (values.profile) await printKernelProfile(`ResNet-${depth} batch ${batch} train step`, () => step(x, y));
      step.dispose();
    }
    rows.push([`ResNet-${depth}`, String(batch), infer.toFixed(1), train.toFixed(1)]);
    if (values.json) {
      const opByOp = backend.name === 'tensorflow' && !graphsSetting() ? ' op by op' : '';
      const engine = `tfjs ${backend.name}${opByOp}${replicas > 1 ? ` x${replicas} replicas` : ''}`;
      console.log(JSON.stringify({ model: `ResNet-${depth}`, batch, infer, train, engine, detail: backend.detail }));
    }
    console.error(`  measured ResNet-${depth} batch ${batch}`);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}

if (!values.json) {
  console.log(
    `backend: ${backend.name} (${backend.detail}) via ${backend.package}; ${os.cpus().length} cores, median of ${steps} timed steps after ${warmup} warm-up`,
  );
  printTable(['model', 'batch', 'inference img/s', 'train step img/s'], rows);
}
