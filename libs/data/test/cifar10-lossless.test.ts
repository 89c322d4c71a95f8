import { describe, expect, it } from 'vitest';
import { loadCifar10Lossless4000, takeFirst } from '@prune/data';

describe('CIFAR-10 lossless 4000', () => {
  it('decodes 4,000 32x32 RGB images with labels in 0..9', () => {
    const data = loadCifar10Lossless4000();
    expect(data.count).toBe(4000);
    expect(data.pixels.length).toBe(4000 * 32 * 32 * 3);
    expect(Math.max(...data.labels)).toBe(9);
    // data_batch_1 starts frog, truck, truck, deer, automobile (the standard order).
    expect(Array.from(data.labels.subarray(0, 5))).toEqual([6, 9, 9, 4, 1]);
    // Real images: pixels span the byte range and are not constant.
    const first = data.pixels.subarray(0, 3072);
    expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(100);
    expect(takeFirst(data, 10).pixels.length).toBe(10 * 3072);
  });
});
