import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheDir, cifar10JpegArchive, loadCifar10Jpeg } from '@prune/data';

describe('CIFAR-10 (JPEG archive)', () => {
  it('decodes 50,000 train and 10,000 test images, 1,000 test images per class in label order', async () => {
    const test = await loadCifar10Jpeg('test');
    expect(test.count).toBe(10_000);
    const perClass = new Array(10).fill(0);
    test.labels.forEach((l) => perClass[l]++);
    expect(perClass).toEqual(new Array(10).fill(1000));
    expect(test.labels[0]).toBe(0);
    expect(test.labels[9999]).toBe(9);
    const train = await loadCifar10Jpeg('train');
    expect(train.count).toBe(50_000);
    expect(train.pixels.length).toBe(50_000 * 3072);
  });

  it('rebuilds a corrupted cache instead of trusting it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cifar-cache-'));
    fs.cpSync(path.join(cacheDir(), 'cifar10-jpeg'), dir, { recursive: true });
    const good = await loadCifar10Jpeg('test', cifar10JpegArchive(), dir);
    const file = path.join(dir, 'test.bin');
    const bytes = fs.readFileSync(file);
    bytes[123_456] ^= 0xff; // one flipped pixel
    fs.writeFileSync(file, bytes);
    const rebuilt = await loadCifar10Jpeg('test', cifar10JpegArchive(), dir);
    expect(Buffer.compare(Buffer.from(rebuilt.pixels), Buffer.from(good.pixels))).toBe(0);
    expect(fs.readFileSync(file)[123_456]).not.toBe(bytes[123_456]);
  }, 600_000);

  it('a missing archive is NOT_FOUND, a corrupt one fails clearly', async () => {
    await expect(loadCifar10Jpeg('test', '/nonexistent.tar.gz')).rejects.toMatchObject({ kind: 'not-found' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cifar-bad-'));
    const bad = path.join(dir, 'bad.tar.gz');
    fs.writeFileSync(bad, fs.readFileSync(cifar10JpegArchive()).subarray(0, 100_000));
    await expect(loadCifar10Jpeg('test', bad, path.join(dir, 'cache'))).rejects.toThrow();
  });
});
