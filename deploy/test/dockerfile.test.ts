import { describe, expect, it } from 'vitest';
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dockerfileProblems, parseDockerfile } from '../src/dockerfile.js';
import { DEPLOY_DIR } from '../src/manifests.js';

const dockerfile = fs.readFileSync(path.join(DEPLOY_DIR, 'docker/Dockerfile'), 'utf8');

describe('the image Dockerfile', () => {
  it('pins its bases, ends both targets as a non-root user with a health check', () => {
    expect(dockerfileProblems(dockerfile, ['cpu', 'gpu', 'coordinator'])).toEqual([]);
  });

  it('builds every project the Deployments run, on native TensorFlow: tfjs-node for cpu, tfjs-node-gpu for gpu', () => {
    const instructions = parseDockerfile(dockerfile);
    const runs = instructions.filter((i) => i.keyword === 'RUN');
    for (const stage of ['build', 'build-gpu']) {
      expect(runs.find((i) => i.stage === stage)!.args).toMatch(/^npm ci .*nx run-many -t build/);
    }
    expect(runs.find((i) => i.stage === 'build')!.args).toContain(`require('@tensorflow/tfjs-node')`);
    const gpuEnv = instructions.find((i) => i.stage === 'build-gpu' && i.keyword === 'ENV')!.args;
    expect(gpuEnv).toBe('PRUNE_TFJS_NODE_PACKAGE=@tensorflow/tfjs-node-gpu');
    expect(runs.find((i) => i.stage === 'build-gpu')!.args).toContain(
      'node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node',
    );
    const cpuEnv = instructions.find((i) => i.stage === 'cpu' && i.keyword === 'ENV')!.args;
    expect(cpuEnv).toContain('PRUNE_BACKEND=tensorflow');
  });

  it("the coordinator's image installs its production dependencies alone: no TensorFlow, ONNX Runtime or HDF5", () => {
    // The stage's own npm command, run on the repository's package files (offline: npm ci filled the cache).
    const run = parseDockerfile(dockerfile).find((i) => i.stage === 'build-coordinator' && i.keyword === 'RUN')!;
    const install = run.args.split('&&').find((part) => part.trim().startsWith('npm ci'))!;
    expect(install).toContain('-w services/coordinator');
    const root = path.resolve(DEPLOY_DIR, '..');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coordinator-image-'));
    try {
      const workspaces = ['libs', 'services', 'tools'].flatMap((group) =>
        fs.readdirSync(path.join(root, group)).map((name) => path.join(group, name)),
      );
      for (const file of [
        'package.json',
        'package-lock.json',
        'deploy/package.json',
        ...workspaces.map((w) => `${w}/package.json`),
      ])
        if (fs.existsSync(path.join(root, file))) {
          fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
          fs.copyFileSync(path.join(root, file), path.join(dir, file));
        }
      execSync(`${install.trim()} --offline`, { cwd: dir, stdio: 'pipe', timeout: 120_000 });
      const installed = fs.readdirSync(path.join(dir, 'node_modules'));
      expect(installed).toContain('@grpc');
      for (const heavy of ['@tensorflow', 'onnxruntime-node', 'h5wasm']) expect(installed).not.toContain(heavy);
      const workspacesLinked = fs.readdirSync(path.join(dir, 'node_modules/@prune'));
      expect(workspacesLinked).toContain('pruning');
      for (const computing of ['models', 'compute', 'training', 'assessment', 'criteria'])
        expect(workspacesLinked).not.toContain(computing);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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
