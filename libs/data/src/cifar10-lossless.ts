// The first 4,000 CIFAR-10 training images, lossless (shared/data/cifar10-lossless-4000):
// four 1024x1000 RGB PNGs where row k is image k (32x32 row-major RGB), and one label byte each.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { CIFAR10_CLASSES, type LabeledImages } from './labeled-images.js';
import { sharedDir } from './shared-dir.js';

const IMAGES_PER_PNG = 1000;
const IMAGE_BYTES = 32 * 32 * 3;

export function loadCifar10Lossless4000(
  dir = path.join(sharedDir(), 'data/cifar10-lossless-4000'),
): LabeledImages<Uint8Array> {
  const labels = new Uint8Array(fs.readFileSync(path.join(dir, 'labels_uint8.bin')));
  const count = labels.length;
  const pixels = new Uint8Array(count * IMAGE_BYTES);
  for (let batch = 0; batch * IMAGES_PER_PNG < count; batch++) {
    const file = path.join(dir, `cifar10_batch_${batch}.png`);
    const png = PNG.sync.read(fs.readFileSync(file));
    if (png.width !== IMAGE_BYTES / 3 || png.height !== IMAGES_PER_PNG) {
      throw new Error(`${file}: expected a 1024x1000 image, got ${png.width}x${png.height}`);
    }
    const rows = Math.min(IMAGES_PER_PNG, count - batch * IMAGES_PER_PNG);
    for (let r = 0; r < rows; r++) {
      const out = (batch * IMAGES_PER_PNG + r) * IMAGE_BYTES;
      for (let p = 0; p < IMAGE_BYTES / 3; p++) {
        const src = (r * png.width + p) * 4; // RGBA
        pixels[out + p * 3] = png.data[src]!;
        pixels[out + p * 3 + 1] = png.data[src + 1]!;
        pixels[out + p * 3 + 2] = png.data[src + 2]!;
      }
    }
  }
  return { pixels, labels, count, height: 32, width: 32, channels: 3, classNames: CIFAR10_CLASSES };
}
