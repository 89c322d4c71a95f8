// A content-addressed artifact store on a local directory (in a cluster: a shared volume).
// Files are named by the sha256 of their content, directories (a saved model) by the sha256 of
// their file list; everything is written to a temp name and renamed into place, so a reader
// never sees half an artifact, and the same content is stored once. URIs look like
// store://files/<sha256> and store://dirs/<sha256>; anything else, or a path that would leave the
// root, is refused.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { DataLossError, InvalidArgumentError, NotFoundError } from '@prune/errors';

export interface ArtifactRef {
  uri: string;
  sha256: string;
}

/** A malformed artifact reference or matrix. */
export class ArtifactError extends InvalidArgumentError {
  override name = 'ArtifactError';
}

const URI = /^store:\/\/(files|dirs)\/([0-9a-f]{64})$/;
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/** A directory's digest: every file's name and content (the name a stored directory gets). */
export function directoryDigest(dir: string): string {
  return sha256(
    fs
      .readdirSync(dir)
      .sort()
      .map((name) => `${name}\0${sha256(fs.readFileSync(path.join(dir, name)))}\n`)
      .join(''),
  );
}

/** Renews `file`'s age for garbage collection; false if it is gone (collected meanwhile). */
const renewed = (file: string): boolean => {
  const now = new Date();
  try {
    fs.utimesSync(file, now, now);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
};

export class ArtifactStore {
  constructor(readonly root: string) {
    fs.mkdirSync(path.join(root, 'files'), { recursive: true });
    fs.mkdirSync(path.join(root, 'dirs'), { recursive: true });
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  }

  /** Stores bytes; returns their reference. */
  putFile(data: Uint8Array): ArtifactRef {
    const digest = sha256(data);
    const file = path.join(this.root, 'files', digest);
    // Stored again now: renewed, so garbage collection leaves it alone (or written anew if it just went).
    if (!renewed(file)) writeFileAtomic(file, data);
    return { uri: `store://files/${digest}`, sha256: digest };
  }

  /**
   * Stores a directory that `write(tempDir)` fills (e.g. a saved model); returns its reference.
   * The digest covers every file's name and content.
   */
  async putDirectory(write: (dir: string) => Promise<void> | void): Promise<ArtifactRef> {
    const temp = fs.mkdtempSync(path.join(this.root, 'tmp', 'dir-'));
    try {
      await write(temp);
      const digest = directoryDigest(temp);
      const target = path.join(this.root, 'dirs', digest);
      if (!renewed(target)) fs.renameSync(temp, target);
      return { uri: `store://dirs/${digest}`, sha256: digest };
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
  }

  /**
   * Where a trainer job keeps its checkpoints: per job id and `key` (e.g. its starting model), so
   * a reused id with other inputs starts fresh. Garbage collection removes those of old jobs.
   */
  jobDir(jobId: string, key: string): string {
    return path.join(this.root, 'jobs', jobId, key);
  }

  /** The local path of an artifact; checks the digest when `ref.sha256` is given. */
  resolve(ref: ArtifactRef | string, field = 'uri'): string {
    const { uri, sha256: expected } = typeof ref === 'string' ? { uri: ref, sha256: '' } : ref;
    const match = URI.exec(uri);
    if (!match)
      throw new ArtifactError(
        `${field}: "${uri}" is not an artifact URI (store://files/<sha256> or store://dirs/<sha256>)`,
      );
    const [, kind, digest] = match;
    if (expected && expected !== digest)
      throw new ArtifactError(`${field}: sha256 ${expected} does not match the URI's ${digest}`);
    const target = path.join(this.root, kind!, digest!);
    if (!fs.existsSync(target)) throw new NotFoundError(`${field}: artifact ${uri} not found in the store`);
    return target;
  }

  /**
   * The local path of a stored directory, after verifying its files against its name: a changed,
   * added or removed file is a data-loss error, never a silently different model.
   */
  verifiedDirectory(ref: ArtifactRef | string, field = 'uri'): string {
    const dir = this.resolve(ref, field);
    if (!dir.startsWith(path.join(this.root, 'dirs')))
      throw new ArtifactError(`${field}: expected a stored directory (store://dirs/<sha256>)`);
    if (directoryDigest(dir) !== path.basename(dir))
      throw new DataLossError(`${field}: stored artifact ${dir} does not match its digest (altered or corrupt)`);
    return dir;
  }

  /** Reads a stored file, verifying its content against its name. */
  readFile(ref: ArtifactRef | string, field = 'uri'): Buffer {
    const file = this.resolve(ref, field);
    const data = fs.readFileSync(file);
    if (sha256(data) !== path.basename(file)) throw new DataLossError(`${field}: stored artifact ${file} is corrupt`);
    return data;
  }
}

/** A float32 row-major matrix as bytes: rows and columns as little-endian uint32, then the values. */
export function encodeMatrix(rows: number, columns: number, data: Float32Array): Uint8Array {
  const out = new Uint8Array(8 + data.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, rows, true);
  view.setUint32(4, columns, true);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 8);
  return out;
}

export function decodeMatrix(
  bytes: Uint8Array,
  field = 'matrix',
): { rows: number; columns: number; data: Float32Array } {
  if (bytes.length < 8) throw new ArtifactError(`${field}: not a matrix artifact (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows = view.getUint32(0, true);
  const columns = view.getUint32(4, true);
  if (bytes.length !== 8 + rows * columns * 4)
    throw new ArtifactError(`${field}: header says ${rows}x${columns} but holds ${bytes.length - 8} bytes of values`);
  const data = new Float32Array(rows * columns);
  new Uint8Array(data.buffer).set(bytes.subarray(8));
  return { rows, columns, data };
}
