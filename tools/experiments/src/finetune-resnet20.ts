// Fine-tunes the pretrained ResNet-20 on the JPEG CIFAR-10 training split (45,000 images; the
// validation split is held out) and prints test accuracy before and after.
// `npm run finetune -- --epochs 1 --lr 0.01`
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@prune/compute';
import { openDataset, sharedDir } from '@prune/data';
import { loadModel } from '@prune/models';
import { DEFAULT_TRAIN_CONFIG, evaluateModel, trainModel } from '@prune/training';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: String(DEFAULT_TRAIN_CONFIG.epochs) },
    lr: { type: 'string', default: String(DEFAULT_TRAIN_CONFIG.learningRate) },
    batch: { type: 'string', default: String(DEFAULT_TRAIN_CONFIG.batchSize) },
    out: { type: 'string' },
  },
});
const backend = await initBackend();
const started = performance.now();
const { model, metadata } = await loadModel(
  path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'),
);
const [train, test] = await Promise.all([openDataset('cifar10-jpeg:train'), openDataset('cifar10-jpeg:test')]);
const before = await evaluateModel(model, metadata, test);
console.log(
  `before: test accuracy ${(100 * before.accuracy).toFixed(2)}%, loss ${before.loss.toFixed(4)} (${test.count} JPEG test images)`,
);
const { schedule, weightDecay, augment } = DEFAULT_TRAIN_CONFIG;
const config = {
  epochs: Number(values.epochs),
  batchSize: Number(values.batch),
  learningRate: Number(values.lr),
  schedule,
  weightDecay,
  augment,
  seed: 0,
};
const result = await trainModel({
  model,
  metadata,
  data: train,
  config,
  progressEverySteps: 50,
  onProgress: (p) =>
    console.error(
      `  epoch ${p.epoch} step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)} lr ${p.learningRate.toExponential(2)} ${p.imagesPerSecond.toFixed(1)} img/s`,
    ),
});
const after = await evaluateModel(model, metadata, test);
console.log(`after:  test accuracy ${(100 * after.accuracy).toFixed(2)}%, loss ${after.loss.toFixed(4)}`);
console.log(
  `fine-tune: ${JSON.stringify(config)} on ${train.count} training images, ${result.steps} steps in ${result.seconds.toFixed(0)} s; backend ${backend.name} (${backend.detail}), ${os.cpus().length} cores; total ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
