// A script for train.test.ts: one data-parallel evaluation (PRUNE_EVAL_REPLICAS), its result
// printed, then nothing: the process must end on its own, its idle replicas notwithstanding.
import { initBackend } from '@prune/compute';
import { buildCifarResNet, CIFAR_RESNET_PREPROCESSING } from '@prune/models';
import { evaluateModel } from '@prune/training';

await initBackend(undefined, () => {});
const count = 40;
const data = {
  pixels: Uint8Array.from({ length: count * 32 * 32 * 3 }, (_, i) => (i * 7919) % 256),
  labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
  count,
  height: 32,
  width: 32,
  channels: 3,
  classNames: [],
};
const model = buildCifarResNet({ depth: 20, seed: 0 });
const metadata = { preprocessing: CIFAR_RESNET_PREPROCESSING, source: 'test' };
console.log(JSON.stringify(await evaluateModel(model, metadata, data, 10)));
