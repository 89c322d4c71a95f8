import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dockerfileProblems, parseDockerfile } from '../src/dockerfile.js';
import { DEPLOY_DIR } from '../src/manifests.js';

const dockerfile = fs.readFileSync(path.join(DEPLOY_DIR, 'docker/Dockerfile'), 'utf8');

describe('the image Dockerfile', () => {
  it('pins its bases, ends both targets as a non-root user with a health check', () => {
    expect(dockerfileProblems(dockerfile, ['cpu', 'gpu'])).toEqual([]);
  });

  it('builds every project the Deployments run, and the GPU image installs tfjs-node-gpu', () => {
    const runs = parseDockerfile(dockerfile).filter((i) => i.keyword === 'RUN');
    expect(runs.find((i) => i.stage === 'build')!.args).toContain('nx run-many -t build');
    expect(runs.find((i) => i.stage === 'build-gpu')!.args).toMatch(/@tensorflow\/tfjs-node-gpu@\d+\.\d+\.\d+/);
  });

  it('the rules catch an unpinned base, a root user and a missing health check', () => {
    const bad = 'FROM node:latest AS cpu\nRUN echo \\\n  hi\nUSER root\n';
    expect(dockerfileProblems(bad, ['cpu', 'gpu'])).toEqual([
      'line 1: base image node:latest is not pinned to a version',
      'stage cpu: must end as a non-root USER',
      'stage cpu: needs a HEALTHCHECK',
      'stage gpu: not defined',
    ]);
    expect(parseDockerfile(bad)[1]).toMatchObject({ line: 2, keyword: 'RUN', args: 'echo hi' });
  });

  it('.dockerignore keeps dependencies, caches and artifacts out of the build context', () => {
    const ignored = fs.readFileSync(path.join(DEPLOY_DIR, '../.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git', '.cache', 'artifacts']) expect(ignored).toContain(entry);
  });
});
