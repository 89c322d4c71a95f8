import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { checkHealth, spawnServiceProcess } from '@prune/service-kit';

describe('coordinator process', () => {
  it('serves health on a real port and exits 0 on SIGTERM', async () => {
    const service = await spawnServiceProcess(path.resolve(import.meta.dirname, '../src/main.ts'));
    try {
      expect(await checkHealth(service.address, 'prune.v1.CoordinatorService')).toBe('SERVING');
    } finally {
      expect(await service.stop('SIGTERM')).toBe(0);
    }
    expect(service.stderr()).toContain('SIGTERM: shutting down prune.v1.CoordinatorService');
  });
});
