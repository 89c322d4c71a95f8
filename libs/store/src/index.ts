export { writeFileAtomic } from './atomic-write.js';
export { ArtifactError, ArtifactStore, decodeMatrix, directoryDigest, encodeMatrix } from './artifact-store.js';
export type { ArtifactRef } from './artifact-store.js';
export { defaultStoreRoot } from './default-root.js';
export { artifactUrisIn, collectGarbage } from './garbage.js';
export type { GarbageOptions, GarbageReport } from './garbage.js';
