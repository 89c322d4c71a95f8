import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArtifactStore, decodeMatrix, encodeMatrix } from '@prune/store';

const store = () => new ArtifactStore(fs.mkdtempSync(path.join(os.tmpdir(), 'store-')));

describe('ArtifactStore', () => {
  it('names files by content, stores the same content once, and verifies digests', () => {
    const s = store();
    const a = s.putFile(new Uint8Array([1, 2, 3]));
    expect(a.uri).toBe(`store://files/${a.sha256}`);
    expect(s.putFile(new Uint8Array([1, 2, 3]))).toEqual(a);
    expect([...s.readFile(a)]).toEqual([1, 2, 3]);
    expect(() => s.resolve({ uri: a.uri, sha256: '0'.repeat(64) }, 'model')).toThrow(/model: sha256 0+ does not match/);
    fs.writeFileSync(s.resolve(a), 'tampered');
    expect(() => s.readFile(a)).toThrow(expect.objectContaining({ kind: 'data-loss' }));
  });

  it('stores directories atomically under the digest of their files', async () => {
    const s = store();
    const ref = await s.putDirectory((dir) => {
      fs.writeFileSync(path.join(dir, 'model.json'), '{}');
      fs.writeFileSync(path.join(dir, 'weights.bin'), 'w');
    });
    expect(fs.readdirSync(s.resolve(ref)).sort()).toEqual(['model.json', 'weights.bin']);
    const again = await s.putDirectory((dir) => {
      fs.writeFileSync(path.join(dir, 'weights.bin'), 'w');
      fs.writeFileSync(path.join(dir, 'model.json'), '{}');
    });
    expect(again).toEqual(ref);
    expect(fs.readdirSync(path.join(s.root, 'tmp'))).toEqual([]);
    expect(s.verifiedDirectory(ref)).toBe(s.resolve(ref));
  });

  it('a stored directory whose files were altered, added or removed is DATA_LOSS when read', async () => {
    const s = store();
    const write = (dir: string) => {
      fs.writeFileSync(path.join(dir, 'model.json'), '{}');
      fs.writeFileSync(path.join(dir, 'weights.bin'), 'weights');
    };
    const tamper: ((dir: string) => void)[] = [
      (dir) => fs.writeFileSync(path.join(dir, 'weights.bin'), 'weighs'), // one byte changed
      (dir) => fs.writeFileSync(path.join(dir, 'extra.bin'), ''),
      (dir) => fs.rmSync(path.join(dir, 'weights.bin')),
    ];
    for (const change of tamper) {
      const ref = await s.putDirectory(write);
      change(s.resolve(ref));
      expect(() => s.verifiedDirectory(ref, 'model')).toThrow(
        expect.objectContaining({ kind: 'data-loss', message: expect.stringContaining('model: stored artifact') }),
      );
      fs.rmSync(s.resolve(ref), { recursive: true });
    }
    const file = s.putFile(new Uint8Array([1]));
    expect(() => s.verifiedDirectory(file, 'model')).toThrow(/model: expected a stored directory/);
  });

  it('refuses URIs that are not artifacts or would escape the root, and unknown ones are NOT_FOUND', () => {
    const s = store();
    for (const uri of ['store://files/../../etc/passwd', 'file:///etc/passwd', 'store://dirs/abc', '../x']) {
      expect(() => s.resolve(uri, 'parent')).toThrow(
        expect.objectContaining({ kind: 'invalid-argument', message: expect.stringContaining('parent:') }),
      );
    }
    expect(() => s.resolve(`store://files/${'a'.repeat(64)}`)).toThrow(expect.objectContaining({ kind: 'not-found' }));
  });

  it('round-trips float32 matrices and rejects inconsistent ones', () => {
    const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(decodeMatrix(encodeMatrix(2, 3, data))).toEqual({ rows: 2, columns: 3, data });
    expect(() => decodeMatrix(encodeMatrix(2, 3, data).subarray(0, 20), 'x')).toThrow(
      'x: header says 2x3 but holds 12 bytes of values',
    );
  });
});
