import { expect, it } from 'vitest';
import * as path from 'node:path';
import { probeServiceProcess } from '@prune/service-kit';

it('criterion: a real process serves health on its port and exits 0 on SIGTERM', async () => {
  const probe = await probeServiceProcess(
    path.resolve(import.meta.dirname, '../src/main.ts'),
    'prune.v1.CriterionService',
  );
  expect(probe).toMatchObject({ health: 'SERVING', exitCode: 0 });
  expect(probe.stderr).toContain('SIGTERM: shutting down prune.v1.CriterionService');
});
