// ExportModel's work: a stored model's files, verified against the model's digest before the
// first byte leaves, in chunks of at most 1 MiB (FileChunk's contract).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileChunk } from '@prune/contracts';
import type { ArtifactRef, ArtifactStore } from '@prune/store';

const CHUNK_BYTES = 1 << 20;

export function* modelFileChunks(store: ArtifactStore, model: ArtifactRef): Generator<FileChunk> {
  const dir = store.verifiedDirectory(model, 'model');
  for (const name of fs.readdirSync(dir).sort()) {
    const data = fs.readFileSync(path.join(dir, name));
    for (let offset = 0; offset === 0 || offset < data.length; offset += CHUNK_BYTES)
      // A copy, not a view: a view would carry the whole file to the service's thread per chunk.
      yield { path: name, data: Buffer.from(data.subarray(offset, offset + CHUNK_BYTES)) };
  }
}
