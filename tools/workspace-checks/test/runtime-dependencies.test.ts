import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { computesWithTensorFlow, forbiddenDependencies } from '../src/runtime-dependencies.js';

describe('what the coordinator needs to build and run', () => {
  it('neither the models library, nor the compute backend, nor TensorFlow.js: it only coordinates', () => {
    expect(forbiddenDependencies('@prune/coordinator', computesWithTensorFlow)).toEqual([]);
  });

  it('is checked on real links: the candidates service, which does surgery, is found to need them', () => {
    const chains = forbiddenDependencies('@prune/candidates', computesWithTensorFlow);
    expect(chains).toEqual(
      expect.arrayContaining(['@prune/candidates -> @prune/compute', '@prune/candidates -> @prune/models']),
    );
  });
});

describe('forbiddenDependencies', () => {
  const write = (root: string, file: string, content: string | object) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), typeof content === 'string' ? content : JSON.stringify(content));
  };

  it('follows package.json dependencies, source imports (type-only too) and npm packages, but not tests or devDependencies', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-runtime-'));
    write(root, 'package.json', { name: 'root', workspaces: ['libs/*', 'services/*'] });
    write(root, 'services/s/package.json', {
      name: '@prune/s',
      dependencies: { '@prune/a': '0' },
      devDependencies: { '@prune/models': '0' },
    });
    write(root, 'services/s/test/s.test.ts', "import { loadModel } from '@prune/models';\n");
    write(root, 'libs/a/package.json', { name: '@prune/a' });
    write(root, 'libs/a/src/index.ts', "import type {\n  B,\n} from '@prune/b';\nexport const x = 1;\n");
    write(root, 'libs/b/package.json', { name: '@prune/b', dependencies: { 'npm-lib': '1' } });
    write(root, 'libs/models/package.json', { name: '@prune/models' });
    write(root, 'node_modules/npm-lib/package.json', {
      name: 'npm-lib',
      peerDependencies: { '@tensorflow/tfjs-core': '4' },
      optionalDependencies: { 'not-installed': '1' },
    });
    write(root, 'node_modules/@tensorflow/tfjs-core/package.json', { name: '@tensorflow/tfjs-core' });
    expect(forbiddenDependencies('@prune/s', computesWithTensorFlow, root)).toEqual([
      '@prune/s -> @prune/a -> @prune/b (src/index.ts) -> npm-lib -> @tensorflow/tfjs-core',
    ]);
    write(root, 'libs/a/src/models.ts', "const models = await import('@prune/models');\n");
    expect(forbiddenDependencies('@prune/s', computesWithTensorFlow, root)).toEqual([
      '@prune/s -> @prune/a -> @prune/models (src/models.ts)',
      '@prune/s -> @prune/a -> @prune/b (src/index.ts) -> npm-lib -> @tensorflow/tfjs-core',
    ]);
  });
});
