// Architectural boundaries, checked on Nx's own project graph (not on import strings):
// libraries never depend on services or tools, and services never depend on one another
// (the coordinator reaches other services only through their gRPC contracts).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ProjectGraph {
  nodes: Record<string, { name: string; type: string; data: { root: string; tags?: string[] } }>;
  dependencies: Record<string, { source: string; target: string; type: string }[]>;
}

const WORKSPACE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs `nx graph --file` and returns the project graph. */
export function loadProjectGraph(): ProjectGraph {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nx-graph-')), 'graph.json');
  execFileSync(path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx'), ['graph', `--file=${file}`], {
    cwd: WORKSPACE_ROOT,
    stdio: 'pipe',
    env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
  });
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { graph: ProjectGraph }).graph;
}

function kindOf(graph: ProjectGraph, project: string): string | undefined {
  return graph.nodes[project]?.data.tags?.find((t) => t.startsWith('type:'))?.slice(5);
}

/** Every dependency edge that breaks a boundary, as "source -> target: rule". */
export function boundaryViolations(graph: ProjectGraph): string[] {
  const violations: string[] = [];
  for (const [source, edges] of Object.entries(graph.dependencies)) {
    const from = kindOf(graph, source);
    for (const { target } of edges) {
      const to = kindOf(graph, target);
      if (to === undefined) continue; // npm packages
      if (from === 'lib' && to !== 'lib')
        violations.push(`${source} -> ${target}: a library may depend only on libraries`);
      if (from === 'service' && to === 'service')
        violations.push(`${source} -> ${target}: services talk through gRPC contracts, not imports`);
    }
  }
  for (const [name] of Object.entries(graph.nodes)) {
    if (!kindOf(graph, name)) violations.push(`${name}: project has no type:lib|service|tool tag`);
  }
  return violations;
}
