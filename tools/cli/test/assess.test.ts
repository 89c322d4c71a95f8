// `prune assess` on any model file: a small assessment as JSON, and flags checked before any work.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { sharedDir } from '@prune/data';

const BIN = path.resolve(import.meta.dirname, '../bin/prune.js');
const RESNET20 = path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json');

function prune(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('npx prune assess', () => {
  it('prints clean, attacked and corrupted accuracy as JSON', async () => {
    const result = await prune(
      'assess',
      RESNET20,
      ...['--data', 'cifar10-jpeg', '--examples', '30', '--epsilons', '0,8', '--pgd-steps', '1'],
      ...['--corruptions', 'contrast', '--severities', '1,5', '--no-latency', '--json'],
    );
    expect(result.code, result.stderr).toBe(0);
    const assessment = JSON.parse(result.stdout);
    expect(assessment.examples).toBe(30);
    const fgsm = assessment.adversarial.filter((a: { attack: string }) => a.attack === 'fgsm');
    expect(fgsm[0].accuracy).toBe(assessment.clean); // epsilon 0 changes nothing
    expect(fgsm[1].accuracy).toBeLessThan(assessment.clean);
    expect(assessment.corruptions.map((c: { severity: number }) => c.severity)).toEqual([1, 5]);
    expect(assessment.latency).toEqual([]);
  });

  it('names a bad flag value before loading anything (exit 2)', async () => {
    const corruption = await prune('assess', RESNET20, '--data', 'cifar10-jpeg', '--corruptions', 'fog');
    expect(corruption.code).toBe(2);
    expect(corruption.stderr).toContain('--corruptions: "fog" is not one of gaussian_noise, shot_noise');
    const severity = await prune('assess', RESNET20, '--data', 'cifar10-jpeg', '--severities', '6');
    expect(severity.code).toBe(2);
    expect(severity.stderr).toContain('--severities: expected numbers 1..5, got "6"');
    expect((await prune('assess', RESNET20)).stderr).toContain('--data is required');
  });
});
