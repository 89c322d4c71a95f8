// `npm run deploy:render -- [cpu|gpu]`: prints an overlay's manifests after checking them.
import {
  crossReferenceProblems,
  kustomizeBuild,
  overlayDir,
  OVERLAYS,
  renderOverlay,
  schemaProblems,
} from './manifests.js';

const overlay = process.argv[2] ?? 'cpu';
if (!(OVERLAYS as readonly string[]).includes(overlay)) {
  console.error(`overlay: expected one of ${OVERLAYS.join(', ')}, got "${overlay}"`);
  process.exit(2);
}
const objects = renderOverlay(overlay);
const problems = [...schemaProblems(objects), ...crossReferenceProblems(objects)];
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
process.stdout.write(kustomizeBuild(overlayDir(overlay)));
