import { describe, expect, it } from 'vitest';
import {
  epochOrder,
  gatherBatch,
  loadCifar10Lossless4000,
  loadFashionMnist,
  openDataset,
  splitValidation,
  takeFirst,
  type LabeledImages,
} from '@prune/data';

describe('dataset URIs and the validation split', () => {
  it('carves a class-balanced validation split from train, disjoint and deterministic', async () => {
    const validation = await openDataset('cifar10-jpeg:validation');
    const train = await openDataset('cifar10-jpeg:train');
    expect(validation.count).toBe(5000);
    expect(train.count).toBe(45_000);
    const perClass = new Array(10).fill(0);
    validation.labels.forEach((l) => perClass[l]++);
    expect(perClass).toEqual(new Array(10).fill(500));
    const again = await openDataset('cifar10-jpeg:validation');
    expect(Buffer.compare(Buffer.from(again.pixels), Buffer.from(validation.pixels))).toBe(0);
  });

  it('split halves are disjoint and cover the full set', () => {
    // 1x1x2 "images" whose two bytes encode the example's index
    const labels = loadCifar10Lossless4000().labels;
    const full: LabeledImages = {
      ...takeFirst(loadCifar10Lossless4000(), 4000),
      height: 1,
      width: 1,
      channels: 2,
      labels,
      pixels: Uint8Array.from({ length: 8000 }, (_, i) => (Math.floor(i / 2) >> ((i % 2) * 8)) & 0xff),
    };
    const ids = (d: LabeledImages) =>
      Array.from({ length: d.count }, (_, i) => d.pixels[2 * i]! | (d.pixels[2 * i + 1]! << 8));
    const { train, validation } = splitValidation(full, 400, 1);
    const all = [...ids(train), ...ids(validation)].sort((a, b) => a - b);
    expect(all).toEqual([...Array(4000).keys()]);
    expect(ids(validation).map((i) => labels[i])).toEqual(Array.from(validation.labels));
  });

  it('unknown names are errors listing the valid ones', async () => {
    await expect(openDataset('cifar100:train')).rejects.toThrow(
      /dataset "cifar100:train" is unknown; valid: cifar10-jpeg:train, /,
    );
    await expect(openDataset('cifar10-jpeg:dev')).rejects.toMatchObject({ kind: 'invalid-argument' });
  });

  it('Fashion-MNIST comes from the Debian package: 60,000 + 10,000 28x28 grey images', () => {
    const train = loadFashionMnist('train');
    const test = loadFashionMnist('test');
    expect([train.count, train.height, train.width, train.channels]).toEqual([60_000, 28, 28, 1]);
    expect(test.count).toBe(10_000);
    expect(Math.max(...test.labels)).toBe(9);
    expect(() => loadFashionMnist('test', '/nonexistent')).toThrow(/install the Debian package dataset-fashion-mnist/);
  });
});

describe('augmentation and order', () => {
  const data = takeFirst(loadCifar10Lossless4000(), 64);

  it('epoch order is a seeded permutation', () => {
    const a = epochOrder(64, 7, 0);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(64).keys()]);
    expect(epochOrder(64, 7, 0)).toEqual(a);
    expect(epochOrder(64, 7, 1)).not.toEqual(a);
  });

  it('pad-4 random crop and flip is seeded, keeps labels, and only moves pixels', () => {
    const random = () => {
      let s = 1;
      return () => (s = (s * 48271) % 2147483647) / 2147483647;
    };
    const a = gatherBatch(data, [0, 1, 2, 3], random());
    const b = gatherBatch(data, [0, 1, 2, 3], random());
    expect(a).toEqual(b);
    expect(Array.from(a.labels)).toEqual(Array.from(data.labels.subarray(0, 4)));
    const plain = gatherBatch(data, [0, 1, 2, 3]);
    expect(plain.pixels).toEqual(data.pixels.subarray(0, 4 * 3072));
    expect(a.pixels).not.toEqual(plain.pixels);
    // A flip with zero offset is an exact mirror.
    const mirror = gatherBatch(
      data,
      [5],
      (() => {
        const v = [0.5, 0.5, 0.0];
        let i = 0;
        return () => v[i++ % 3]!;
      })(),
    );
    expect(mirror.pixels[0]).toBe(data.pixels[5 * 3072 + 31 * 3]);
  });
});

describe('a dataset named by a path', () => {
  it('opens a .tar.gz in the CIFAR-10 JPEG layout by path and split', async () => {
    const sharp = (await import('sharp')).default;
    const tar = await import('tar');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { CIFAR10_CLASSES, loadCifar10Lossless4000: load } = await import('@prune/data');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-'));
    const source = load();
    let next = 0;
    for (const [split, perClass] of [
      ['train', 2],
      ['test', 1],
    ] as const) {
      for (const name of CIFAR10_CLASSES) {
        fs.mkdirSync(path.join(root, split, name), { recursive: true });
        for (let i = 0; i < perClass; i++, next++) {
          const raw = Buffer.from(source.pixels.subarray(next * 3072, (next + 1) * 3072));
          await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } })
            .jpeg({ quality: 95 })
            .toFile(path.join(root, split, name, `${String(i).padStart(4, '0')}.jpg`));
        }
      }
    }
    const archive = path.join(root, 'mine.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: root }, ['train', 'test']);
    // Archives are read only under the data roots: elsewhere, or through a link out of them, they are refused.
    await expect(openDataset(`${archive}:test`)).rejects.toMatchObject({
      kind: 'invalid-argument',
      message: expect.stringContaining('is outside the data roots'),
    });
    const allowed = path.join(root, 'allowed');
    fs.mkdirSync(allowed);
    fs.symlinkSync(archive, path.join(allowed, 'link.tar.gz'));
    process.env['PRUNE_DATA_ROOTS'] = allowed;
    await expect(openDataset(`${allowed}/link.tar.gz:test`)).rejects.toMatchObject({ kind: 'invalid-argument' });
    process.env['PRUNE_DATA_ROOTS'] = root;
    const test = await openDataset(`${archive}:test`);
    expect([test.count, test.height, test.channels]).toEqual([10, 32, 3]);
    expect(Array.from(test.labels)).toEqual([...Array(10).keys()]);
    expect((await openDataset(`${archive}:validation`)).count).toBe(10);
    expect((await openDataset(`${archive}:train`)).count).toBe(10);
    await expect(openDataset(`${root}/missing.tar.gz:test`)).rejects.toMatchObject({ kind: 'not-found' });
    delete process.env['PRUNE_DATA_ROOTS'];
  });
});
