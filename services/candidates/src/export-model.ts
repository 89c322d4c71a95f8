// ExportModel's work: a stored model's files, verified against the model's digest before the
// first byte leaves, in chunks of at most 1 MiB (FileChunk's contract): as stored (TF.js layers),
// or converted to one Keras or ONNX file from the verified model.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FileChunk } from '@prune/contracts';
import { loadModelArtifact, saveModelAs, type ModelFileFormat } from '@prune/models';
import type { ArtifactRef, ArtifactStore } from '@prune/store';

const CHUNK_BYTES = 1 << 20;

export async function* modelFileChunks(
  store: ArtifactStore,
  model: ArtifactRef,
  format: ModelFileFormat,
): AsyncGenerator<FileChunk> {
  if (format === 'tfjs') return yield* folderChunks(store.verifiedDirectory(model, 'model'));
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-export-'));
  try {
    const { model: loaded, metadata } = await loadModelArtifact(store, model, 'model');
    try {
      await saveModelAs(path.join(temp, `model.${format}`), loaded, metadata, format);
    } finally {
      loaded.dispose();
    }
    yield* folderChunks(temp);
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

function* folderChunks(dir: string): Generator<FileChunk> {
  for (const name of fs.readdirSync(dir).sort()) {
    const data = fs.readFileSync(path.join(dir, name));
    for (let offset = 0; offset === 0 || offset < data.length; offset += CHUNK_BYTES)
      // A copy, not a view: a view would carry the whole file to the service's thread per chunk.
      yield { path: name, data: Buffer.from(data.subarray(offset, offset + CHUNK_BYTES)) };
  }
}
