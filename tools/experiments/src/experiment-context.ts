// What every experiment script starts with: the repository, where results and artifacts go, the
// backend, and the command and hardware each results file names so anyone can rerun it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@prune/compute';
import { ArtifactStore } from '@prune/store';

export async function experimentContext(script: string, out: string) {
  const repo = path.resolve(import.meta.dirname, '../../..');
  const outDir = path.resolve(repo, out);
  fs.mkdirSync(outDir, { recursive: true });
  const storeDir = path.join(repo, 'artifacts/experiments');
  return {
    repo,
    outDir,
    storeDir,
    store: new ArtifactStore(storeDir),
    backend: await initBackend(),
    command: `npm run ${script} -- ${process.argv.slice(2).join(' ')}`.trim(),
    hardware: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
  };
}
