// What a newcomer sees: help for the tool and every command, suggestions for misspelled flags and
// commands, and an error that says what to do when no coordinator answers.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Run, RunState } from '@prune/contracts';
import { sharedDir } from '@prune/data';
import { COMMAND_SPECS, RUN } from '../src/command-specs.js';
import { exitCodeOf, runConfigFromFlags } from '../src/run-commands.js';

const BIN = path.resolve(import.meta.dirname, '../bin/prune.js');
const RESNET20 = path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json');

/** Runs the CLI without blocking the test runner's event loop (each run loads TensorFlow). */
function prune(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('prune --help', () => {
  it('lists every command (exit 0); no command at all is a usage error (exit 2) with the same list', async () => {
    const help = await prune('--help');
    expect(help.code).toBe(0);
    for (const spec of COMMAND_SPECS) expect(help.stdout).toContain(`  ${spec.name.padEnd(10)}${spec.summary}`);
    const bare = await prune();
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe(help.stdout);
  });

  it.each(COMMAND_SPECS.map((spec) => [spec.name, spec] as const))(
    'prune %s --help shows every flag, its default and an example',
    async (name, spec) => {
      const help = await prune(name, '--help');
      expect(help.code).toBe(0);
      expect((await prune('help', name)).stdout).toBe(help.stdout);
      for (const [flag, info] of Object.entries(spec.flags)) {
        expect(help.stdout).toContain(`--${flag}`);
        if (info.default !== undefined) expect(help.stdout).toContain(`(default: ${info.default})`);
      }
      expect(help.stdout).toContain(`examples:\n  npx prune ${name}`);
    },
  );

  it('the defaults it shows are the ones a run gets', () => {
    expect(RUN.flags['criterion']!.default).toBe('kl');
    expect(RUN.flags['candidate-steps']!.default).toBe('50');
    expect(RUN.flags['selected-steps']!.default).toBe('200');
    expect(RUN.flags['calibration']!.default).toBe('256');
  });

  it('every flag run --help lists is accepted', () => {
    const argv = Object.entries(RUN.flags).flatMap(([flag, info]) =>
      info.type === 'boolean'
        ? [`--${flag}`]
        : [
            `--${flag}`,
            flag.endsWith('-param') ? 'x=1' : flag === 'policy' ? 'random' : flag === 'filter-match' ? 'macs' : '1',
          ],
    );
    expect(() => runConfigFromFlags(argv)).not.toThrow();
  });
});

describe('mistakes get a message that says what to do', () => {
  it('a misspelled flag or command suggests the right one (exit 2)', async () => {
    const flag = await prune('run', '--model', 'm.json', '--data', 'cifar10-jpeg', '--iteration', '3');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('unknown flag --iteration; did you mean --iterations? (see prune run --help)');
    const command = await prune('inspct', RESNET20);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "inspct"; did you mean inspect?');
  });

  it('a coordinator that does not answer: is it running, and how to start one (exit 1)', async () => {
    const result = await prune('list', '--coordinator', '127.0.0.1:1');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach the coordinator at 127.0.0.1:1: is it running?');
    expect(result.stderr).toContain('npx prune serve');
  });

  it('inspect --out alone converts the model to the TF.js layers format', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-convert-'));
    const result = await prune('inspect', RESNET20, '--out', out);
    expect(result.code).toBe(0);
    const converted = JSON.parse(result.stdout);
    expect(converted.saved).toBe(path.join(out, 'model.json'));
    expect(JSON.parse((await prune('inspect', converted.saved)).stdout).macs).toBe(converted.macs);
  });
});

describe('exit codes of a followed run', () => {
  it('succeeded 0, failed 1, cancelled 3', () => {
    const run = (state: RunState) => Run.fromPartial({ id: 'r', state });
    expect(exitCodeOf(run(RunState.RUN_STATE_SUCCEEDED))).toBe(0);
    expect(exitCodeOf(run(RunState.RUN_STATE_FAILED))).toBe(1);
    expect(exitCodeOf(run(RunState.RUN_STATE_CANCELLED))).toBe(3);
  });
});
