// The candidates service's configuration from its environment (a ConfigMap in a cluster):
//   PRUNE_STORE_DIR     the artifact store (default <repo>/artifacts)
//   PRUNE_MODEL_ROOTS   directories ImportModel may read model files from, ":"-separated
//                       (default: the shared data directory and the working directory)
import { sharedDir } from '@prune/data';
import { ArtifactStore, defaultStoreRoot } from '@prune/store';

export interface CandidatesOptions {
  store: ArtifactStore;
  /** Directories an ImportModel path may name (anything else is refused). */
  modelRoots: string[];
}

function defaultModelRoots(env: NodeJS.ProcessEnv): string[] {
  try {
    return [sharedDir(env), process.cwd()];
  } catch {
    return [process.cwd()];
  }
}

export function candidatesOptionsFromEnv(env = process.env): CandidatesOptions {
  return {
    store: new ArtifactStore(defaultStoreRoot(env)),
    modelRoots: env['PRUNE_MODEL_ROOTS']?.split(':').filter(Boolean) ?? defaultModelRoots(env),
  };
}
