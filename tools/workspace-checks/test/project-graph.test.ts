import { describe, expect, it } from 'vitest';
import { boundaryViolations, loadProjectGraph, type ProjectGraph } from '../src/project-graph.js';

describe('Nx project graph', () => {
  const graph = loadProjectGraph();

  it('lists the libraries and the five services', () => {
    const projects = Object.keys(graph.nodes);
    for (const name of [
      'contracts',
      'compute',
      'models',
      'data',
      'service-kit',
      'trainer',
      'criterion',
      'candidates',
      'similarity',
      'coordinator',
      'bench',
    ]) {
      expect(projects).toContain(name);
    }
  });

  it('has no boundary violations: libs never depend on services', () => {
    expect(boundaryViolations(graph)).toEqual([]);
    // and the graph does see real edges
    expect(graph.dependencies['trainer']!.map((d) => d.target)).toContain('contracts');
  });

  it('would report a library importing a service', () => {
    const bad: ProjectGraph = {
      nodes: {
        a: { name: 'a', type: 'lib', data: { root: 'libs/a', tags: ['type:lib'] } },
        s: { name: 's', type: 'app', data: { root: 'services/s', tags: ['type:service'] } },
        t: { name: 't', type: 'app', data: { root: 'services/t', tags: ['type:service'] } },
      },
      dependencies: {
        a: [{ source: 'a', target: 's', type: 'static' }],
        s: [{ source: 's', target: 't', type: 'static' }],
        t: [],
      },
    };
    expect(boundaryViolations(bad)).toEqual([
      'a -> s: a library may depend only on libraries',
      's -> t: services talk through gRPC contracts, not imports',
    ]);
  });
});
