// `prune assess` on any model file: a small assessment as JSON, and flags checked before any work.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { sharedDir } from '@prune/data';
import { formatAssessmentTable } from '../src/assessment-table.js';

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

describe('prune assess --run: the models of a run side by side', () => {
  it('puts each model in a row, its CO2 against the parent, with the assumptions under the table', () => {
    const assessment = (clean: number, gramsCo2Per1000: number) => ({
      examples: 100,
      clean,
      adversarial: [{ attack: 'fgsm' as const, epsilon: 8 / 255, accuracy: clean / 4 }],
      corruptions: [],
      meanCorruptionAccuracy: clean - 0.2,
      latency: [{ engine: 'onnxruntime-cpu', batch: 64, medianMs: 20, imagesPerSecond: 3200, runs: 20 }],
      energy: [
        {
          engine: 'onnxruntime-cpu',
          kilowattHoursPer1000: gramsCo2Per1000 / 475,
          gramsCo2Per1000,
          assumptions: { device: '2 CPU core(s)', watts: 24, pue: 1.1, gramsCo2PerKwh: 475, grid: 'world' },
        },
      ],
      notes: ['CIFAR-10.2 is not available offline'],
    });
    const table = formatAssessmentTable([
      { model: 'parent', macs: 40_551_040, assessment: assessment(0.86, 0.002) },
      { model: 'iteration 1 (L)', macs: 20_000_000, assessment: assessment(0.8, 0.001) },
    ]).split('\n');
    expect(table[0]).toMatch(/^model +MACs +clean +fgsm 8 +corrupt +ms b64 +mg CO2\/1k +CO2 vs parent$/);
    expect(table[1]).toMatch(/^parent +40\.55M +86\.00% +21\.50% +66\.00% +20\.00 +2\.00 +0\.0%$/);
    expect(table[2]).toMatch(/^iteration 1 \(L\) +20\.00M +80\.00% +20\.00% +60\.00% +20\.00 +1\.00 +-50\.0%$/);
    expect(table.join('\n')).toContain('inference CO2 assumes 2 CPU core(s), PUE 1.1, 475 g/kWh (world)');
  });

  it("adds the fine-tunes' energy where the run measured their seconds, under the trainer's assumptions", () => {
    const training = { device: '1 CPU core(s)', watts: 12, pue: 1.5, gramsCo2PerKwh: 400, grid: 'here' };
    const assessment = {
      examples: 10,
      clean: 0.9,
      adversarial: [],
      corruptions: [],
      latency: [],
      energy: [],
      notes: [],
      training,
    };
    const table = formatAssessmentTable([
      { model: 'parent', macs: 2e6, assessment },
      // 100 s x 12 W x 1.5 = 1,800 J = 0.5 Wh; 0.0005 kWh x 400 g/kWh = 0.2 g
      { model: 'iteration 1 (F)', macs: 1e6, assessment, fineTuneSeconds: 100 },
    ]).split('\n');
    expect(table[0]).toMatch(/ +fine-tune Wh +fine-tune g CO2$/);
    expect(table[1]).toMatch(/ +- +-$/);
    expect(table[2]).toMatch(/ +0\.500 +0\.200$/);
    expect(table.join('\n')).toContain('at 1 CPU core(s), PUE 1.5, 400 g/kWh (here)');
  });
});
