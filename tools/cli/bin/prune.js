#!/usr/bin/env node
// `npx prune ...`: runs the built CLI when present (images), else the TypeScript sources via tsx.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const args = existsSync(source)
  ? ['--import', import.meta.resolve('tsx'), '--conditions=@prune/source', source]
  : [built];
const result = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
