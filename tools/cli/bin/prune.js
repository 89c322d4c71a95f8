#!/usr/bin/env node
// `npx prune ...`: runs the built CLI when present (images), else the TypeScript sources via tsx.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// From a clone, the contracts' TypeScript is generated (git-ignored): generate it once if missing.
const generated = fileURLToPath(new URL('../../../libs/contracts/src/gen', import.meta.url));
if (existsSync(source) && !existsSync(generated)) {
  const nx = spawnSync('npx', ['nx', 'run', 'contracts:generate', '--outputStyle=static'], {
    cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (nx.status !== 0) process.exit(nx.status ?? 1);
}
const args = existsSync(source)
  ? ['--import', import.meta.resolve('tsx'), '--conditions=@prune/source', source]
  : [built];
const result = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
