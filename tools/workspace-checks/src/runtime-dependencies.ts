// What a project needs to build and run, followed through every package it reaches: each package's
// package.json `dependencies` (and an npm package's optional and peer ones) and, for workspace
// packages, the packages their src/ files import, `import type` included (the build needs those).
// Tests and devDependencies are left out. Nx's project graph is not used here because it also
// counts test imports: a pure library's tests may well load real models.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKSPACE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface Manifest {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readManifest = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;

/** The workspace packages by name, from the root package.json's `workspaces` ("dir/*" or "dir"). */
function workspacePackages(root: string): Map<string, string> {
  const dirs = (readManifest(root).workspaces ?? []).flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [path.join(root, pattern)];
    const parent = path.join(root, pattern.slice(0, -2));
    return fs.existsSync(parent) ? fs.readdirSync(parent).map((name) => path.join(parent, name)) : [];
  });
  return new Map(
    dirs.filter((dir) => fs.existsSync(path.join(dir, 'package.json'))).map((dir) => [readManifest(dir).name, dir]),
  );
}

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** "@scope/name" or "name" of a bare import specifier; undefined for relative paths and node: builtins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Static, type-only, side-effect and dynamic imports of a source file, by package, with the file they came from. */
function importedPackages(packageDir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(path.join(packageDir, 'src'))) {
    for (const [, specifier] of fs
      .readFileSync(file, 'utf8')
      .matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)'([^']+)'/gm)) {
      const name = packageOf(specifier!);
      if (name && !found.has(name)) found.set(name, path.relative(packageDir, file));
    }
  }
  return found;
}

/** Node's lookup of an npm package: `node_modules/<name>` in `from` and each directory above it, up to `root`. */
function npmPackageDir(root: string, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Every package matching `forbidden` that `project` reaches, each as its shortest chain, e.g.
 * "@prune/s -> @prune/a (src/index.ts) -> @prune/models": a link that comes from a source import
 * names the file, one from package.json is bare. A forbidden package is not followed further.
 */
export function forbiddenDependencies(
  project: string,
  forbidden: (name: string) => boolean,
  root = WORKSPACE_ROOT,
): string[] {
  const workspace = workspacePackages(root);
  const start = workspace.get(project);
  if (!start) throw new Error(`${project}: not a workspace package of ${root}`);
  const seen = new Map<string, string>([[`${project}@${start}`, project]]); // key -> chain
  const queue: { name: string; dir: string; chain: string }[] = [{ name: project, dir: start, chain: project }];
  const found: string[] = [];
  while (queue.length > 0) {
    const { name, dir, chain } = queue.shift()!;
    if (forbidden(name)) {
      found.push(chain);
      continue;
    }
    const manifest = readManifest(dir);
    const isWorkspace = workspace.get(name) === dir;
    const links = new Map<string, string>();
    const declared = {
      ...manifest.dependencies,
      ...(isWorkspace ? {} : { ...manifest.optionalDependencies, ...manifest.peerDependencies }),
    };
    for (const dependency of Object.keys(declared)) links.set(dependency, '');
    if (isWorkspace)
      for (const [dependency, file] of importedPackages(dir))
        if (!links.has(dependency)) links.set(dependency, ` (${file})`);
    for (const [dependency, why] of links) {
      const target = workspace.get(dependency) ?? npmPackageDir(root, dir, dependency);
      if (!target) continue; // not installed (an optional dependency for another platform)
      const key = `${dependency}@${target}`;
      if (seen.has(key)) continue;
      const next = `${chain} -> ${dependency}${why}`;
      seen.set(key, next);
      queue.push({ name: dependency, dir: target, chain: next });
    }
  }
  return found;
}

/** The packages that compute: the models library, the backend, TensorFlow.js itself. */
export const computesWithTensorFlow = (name: string): boolean =>
  name === '@prune/models' || name === '@prune/compute' || name.startsWith('@tensorflow/');
