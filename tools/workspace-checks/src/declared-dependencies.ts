// Every workspace package a project imports must be declared in its package.json: Nx orders
// builds by those declarations, so an undeclared import builds against a missing dist in CI.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKSPACE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? (e.name === 'gen' ? [] : tsFiles(full)) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** "project: @prune/x imported by src/file.ts but not declared" for every violation. */
export function undeclaredWorkspaceImports(root = WORKSPACE_ROOT): string[] {
  const problems: string[] = [];
  for (const group of ['libs', 'services', 'tools']) {
    for (const name of fs.readdirSync(path.join(root, group))) {
      const dir = path.join(root, group, name);
      const manifest = path.join(dir, 'package.json');
      if (!fs.existsSync(manifest)) continue;
      const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as {
        name: string;
        dependencies?: object;
        devDependencies?: object;
      };
      const declared = new Set([
        ...Object.keys(pkg.dependencies ?? {}),
        ...Object.keys(pkg.devDependencies ?? {}),
        pkg.name,
      ]);
      for (const file of [...tsFiles(path.join(dir, 'src')), ...tsFiles(path.join(dir, 'test'))]) {
        for (const [, imported] of fs
          .readFileSync(file, 'utf8')
          .matchAll(/^(?:import |export |\} )[^\n]*from '(@prune\/[a-z-]+)'/gm)) {
          if (!declared.has(imported!))
            problems.push(
              `${pkg.name}: ${imported} imported by ${path.relative(dir, file)} but not declared in package.json`,
            );
        }
      }
    }
  }
  return [...new Set(problems)];
}
