// Batches for training: seeded shuffling and the standard CIFAR augmentation (4-pixel zero pad,
// random crop back to the original size, random horizontal flip), on uint8 pixels.
import { sameKind, seededRandom, type LabeledImages } from './labeled-images.js';

/** The order of examples in `epoch`: a seeded permutation (the same for the same seed and epoch). */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const random = seededRandom((seed * 1000003 + epoch) >>> 0);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Pixels of the examples `indices`, optionally augmented with `random` (pad 4 + crop + flip).
 * Returns n x h x w x c NHWC values of the data's kind (uint8 pixels, or float features).
 */
export function gatherBatch(
  data: LabeledImages,
  indices: ArrayLike<number>,
  random?: () => number,
  pad = 4,
): { pixels: Uint8Array | Float32Array; labels: Uint8Array } {
  const { height: h, width: w, channels: c } = data;
  const size = h * w * c;
  const pixels = sameKind(data.pixels, indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let b = 0; b < indices.length; b++) {
    const index = indices[b]!;
    labels[b] = data.labels[index]!;
    const src = data.pixels.subarray(index * size, (index + 1) * size);
    const dst = pixels.subarray(b * size, (b + 1) * size);
    if (!random) {
      dst.set(src);
      continue;
    }
    // Offsets of the crop within the padded image, and a coin for the flip.
    const dy = Math.floor(random() * (2 * pad + 1)) - pad;
    const dx = Math.floor(random() * (2 * pad + 1)) - pad;
    const flip = random() < 0.5;
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      if (sy < 0 || sy >= h) continue; // zero padding
      for (let x = 0; x < w; x++) {
        const sx = (flip ? w - 1 - x : x) + dx;
        if (sx < 0 || sx >= w) continue;
        for (let k = 0; k < c; k++) dst[(y * w + x) * c + k] = src[(sy * w + sx) * c + k]!;
      }
    }
  }
  return { pixels, labels };
}
