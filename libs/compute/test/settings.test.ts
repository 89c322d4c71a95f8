import { describe, expect, it } from 'vitest';
import { graphsSetting, initBackend, SettingError, threadsSetting, wholeNumberSetting } from '@prune/compute';
import { withEnv } from './fixtures.js';

describe('whole-number settings from the environment', () => {
  it('reads PRUNE_THREADS, unset or blank as undefined (one per core)', () => {
    expect(threadsSetting({ PRUNE_THREADS: '3' })).toBe(3);
    expect(threadsSetting({ PRUNE_THREADS: ' 2 ' })).toBe(2);
    expect(threadsSetting({})).toBeUndefined();
    expect(threadsSetting({ PRUNE_THREADS: '' })).toBeUndefined();
  });

  it('refuses anything but a whole number in range, naming the setting, the range and its meaning', () => {
    for (const bad of ['0', '-1', '1.5', 'two', 'Infinity'])
      expect(() => threadsSetting({ PRUNE_THREADS: bad })).toThrow(
        new SettingError(
          `PRUNE_THREADS="${bad}": must be a positive whole number (threads per process; unset for one per core)`,
        ),
      );
    const replicas = { name: 'PRUNE_EVAL_REPLICAS', max: 16, meaning: 'replicas' };
    expect(wholeNumberSetting('16', replicas)).toBe(16);
    expect(() => wholeNumberSetting('17', replicas)).toThrow(
      'PRUNE_EVAL_REPLICAS="17": must be a whole number from 1 to 16 (replicas)',
    );
  });

  it('a bad PRUNE_THREADS stops every backend at start, not only native TensorFlow', async () => {
    await withEnv('PRUNE_THREADS', '0', () => expect(initBackend('cpu', () => {})).rejects.toThrow(SettingError));
    await expect(initBackend('cpu', () => {})).resolves.toMatchObject({ name: 'cpu' });
  });

  it('reads PRUNE_GRAPHS: on unless it says off, and refuses anything else, at start', async () => {
    expect(graphsSetting({})).toBe(true);
    expect(graphsSetting({ PRUNE_GRAPHS: ' on' })).toBe(true);
    expect(graphsSetting({ PRUNE_GRAPHS: 'off' })).toBe(false);
    // wasm: not started before in this file (a started backend is not started again)
    await withEnv('PRUNE_GRAPHS', 'no', () => expect(initBackend('wasm', () => {})).rejects.toThrow(SettingError));
    expect(() => graphsSetting({ PRUNE_GRAPHS: 'no' })).toThrow(
      new SettingError(
        'PRUNE_GRAPHS="no": must be on or off (training steps and forward passes as TensorFlow graphs; unset for on)',
      ),
    );
  });
});
