export {
  crossReferenceProblems,
  DEPLOY_DIR,
  kustomizeBuild,
  overlayDir,
  OVERLAYS,
  renderKustomization,
  renderOverlay,
  schemaProblems,
} from './manifests.js';
export type { K8sObject } from './manifests.js';
export { dockerfileProblems, parseDockerfile } from './dockerfile.js';
