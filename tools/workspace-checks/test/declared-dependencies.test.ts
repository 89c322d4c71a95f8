import { expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { undeclaredWorkspaceImports } from '../src/declared-dependencies.js';

it('every project declares the workspace packages it imports', () => {
  expect(undeclaredWorkspaceImports()).toEqual([]);
});

it('reports an undeclared import', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'));
  fs.mkdirSync(path.join(root, 'libs/a/src'), { recursive: true });
  fs.mkdirSync(path.join(root, 'services'));
  fs.mkdirSync(path.join(root, 'tools'));
  fs.writeFileSync(path.join(root, 'libs/a/package.json'), JSON.stringify({ name: '@prune/a', dependencies: {} }));
  fs.writeFileSync(path.join(root, 'libs/a/src/index.ts'), "import {\n  x,\n} from '@prune/b';\n"); // a multi-line import
  expect(undeclaredWorkspaceImports(root)).toEqual([
    '@prune/a: @prune/b imported by src/index.ts but not declared in package.json',
  ]);
});
