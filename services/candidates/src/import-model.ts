// ImportModel's work: a store:// reference is checked to hold a saved model; a path must lie under
// one of the model roots (so a client cannot make the service read any file it can), and is
// loaded (layer classes are allow-listed, no code from the file runs) and saved into the store.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, putModelArtifact } from '@prune/models';
import { invalidArgument, notFound } from '@prune/service-kit';
import type { ArtifactRef, ArtifactStore } from '@prune/store';

export async function importModel(store: ArtifactStore, modelRoots: string[], uri: string): Promise<ArtifactRef> {
  if (!uri) throw invalidArgument('uri', 'a model is required (a store:// URI or the path of a model file)');
  if (uri.startsWith('store://')) {
    const dir = store.resolve(uri, 'uri');
    if (!fs.existsSync(path.join(dir, 'model.json'))) throw invalidArgument('uri', `${uri} is not a stored model`);
    return { uri, sha256: uri.slice(-64) };
  }
  const file = path.resolve(uri.replace(/^file:\/\//, ''));
  const inside = modelRoots.some((root) => {
    const relative = path.relative(path.resolve(root), file);
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative);
  });
  if (!inside)
    throw invalidArgument(
      'uri',
      `${file} is outside the model roots (${modelRoots.join(', ')}); set PRUNE_MODEL_ROOTS of the candidates service or pass a store:// URI`,
    );
  if (!fs.existsSync(file)) throw notFound(`uri: ${file} not found`);
  const { model, metadata } = await loadModel(file);
  try {
    return await putModelArtifact(store, model, metadata);
  } finally {
    model.dispose();
  }
}
