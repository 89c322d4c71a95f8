// One vitest configuration for every project; each project's `test` target runs it with
// `--root <project>`. Workspace packages resolve to their TypeScript sources (`@prune/source`).
import { defineConfig } from 'vitest/config';

const conditions = ['@prune/source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  // Vitest hands the SSR conditions to the test processes as `node --conditions`, which also apply
  // to require(): with 'import' there, CommonJS packages (tfjs-node -> tfjs-core -> long) get ESM
  // entries and the native TensorFlow binding fails to load, so tests silently ran on wasm.
  ssr: { resolve: { conditions: ['@prune/source', 'node'], externalConditions: ['@prune/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: [new URL('./vitest.temp-dir.ts', import.meta.url).pathname],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // TF.js tests are CPU-bound: run files one after another on this 2-core machine.
    fileParallelism: false,
    reporters: ['default'],
  },
});
