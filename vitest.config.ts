// One vitest configuration for every project; each project's `test` target runs it with
// `--root <project>`. Workspace packages resolve to their TypeScript sources (`@prune/source`).
import { defineConfig } from 'vitest/config';

const conditions = ['@prune/source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@prune/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // TF.js tests are CPU-bound: run files one after another on this 2-core machine.
    fileParallelism: false,
    reporters: ['default'],
  },
});
