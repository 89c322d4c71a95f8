import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  SetupError,
  cacheDir,
  ensureNativeTensorflow,
  ensureSystemPackages,
  installCommand,
  libtensorflowFromDir,
  libtensorflowFromWheel,
  missingSystemPackages,
} from '../src/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe('libtensorflow sources', () => {
  it('links a libtensorflow C release named by PRUNE_LIBTENSORFLOW_DIR under the names binding.gyp links', () => {
    const release = tmp('libtf-release-');
    fs.mkdirSync(path.join(release, 'lib'));
    fs.writeFileSync(path.join(release, 'lib/libtensorflow.so.2'), 'cc');
    fs.writeFileSync(path.join(release, 'lib/libtensorflow_framework.so.2'), 'fw');
    fs.mkdirSync(path.join(release, 'include/tensorflow/c'), { recursive: true });
    fs.writeFileSync(path.join(release, 'include/tensorflow/c/c_api.h'), '');
    const cache = tmp('libtf-cache-');
    const lib = libtensorflowFromDir(release, cache);
    expect(lib.description).toBe(release);
    for (const name of ['libtensorflow.so', 'libtensorflow.so.2', 'libtensorflow.so.2.9.1']) {
      expect(fs.readFileSync(path.join(lib.dir, 'lib', name), 'utf8')).toBe('cc');
    }
    expect(fs.readFileSync(path.join(lib.dir, 'lib/libtensorflow_framework.so'), 'utf8')).toBe('fw');
    expect(fs.existsSync(path.join(lib.dir, 'include/tensorflow/c/c_api.h'))).toBe(true);
    // idempotent: the same folder again gives the same entry, rebuilt in place
    expect(libtensorflowFromDir(release, cache).dir).toBe(lib.dir);
  });

  it('refuses a folder without libtensorflow, naming the variable and what it expected', () => {
    const empty = tmp('libtf-empty-');
    expect(() => libtensorflowFromDir(empty, tmp('libtf-cache-'))).toThrow(SetupError);
    expect(() => libtensorflowFromDir(empty, tmp('libtf-cache-'))).toThrow(
      `PRUNE_LIBTENSORFLOW_DIR=${empty} has no libtensorflow: expected libtensorflow.so.2 (or libtensorflow_cc.so.2)`,
    );
  });

  it('without python and pip, says so and what to do instead', () => {
    try {
      libtensorflowFromWheel('tensorflow-cpu==2.21.0', tmp('libtf-cache-'), '/nonexistent/python3');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SetupError);
      expect((error as Error).message).toBe('no /nonexistent/python3 with pip to fetch tensorflow-cpu==2.21.0');
      expect((error as SetupError).remedy).toMatch(/PRUNE_LIBTENSORFLOW_DIR/);
    }
  });

  it('caches under PRUNE_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(cacheDir({ PRUNE_CACHE_DIR: '/x/y' })).toBe('/x/y');
    expect(cacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/prune-everything');
    expect(cacheDir({})).toBe(path.join(os.homedir(), '.cache/prune-everything'));
  });
});

describe('the tfjs-node binding', () => {
  it('reports a missing package instead of failing the install', () => {
    const result = ensureNativeTensorflow({ root: tmp('no-node-modules-'), log: () => {} });
    expect(result).toEqual({
      ok: false,
      packageName: '@tensorflow/tfjs-node',
      reason: '@tensorflow/tfjs-node is not in node_modules',
      remedy: 'run npm ci (it is an optional dependency of @prune/compute)',
    });
  });

  it('after npm ci, is built, loads in a fresh process, and a second setup reuses it', () => {
    const built = fs.existsSync(path.join(root, 'node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'));
    if (!built && process.env['PRUNE_REQUIRE_NATIVE'] !== '1') return; // a machine where the postinstall said why not
    const lines: string[] = [];
    const result = ensureNativeTensorflow({ root, log: (l) => lines.push(l) });
    expect(result).toMatchObject({ ok: true, packageName: '@tensorflow/tfjs-node', reused: true });
    expect(lines).toEqual([]); // nothing compiled or downloaded the second time
    const probe = spawnSync(
      process.execPath,
      ['-e', "const tf = require('@tensorflow/tfjs-node'); console.log(tf.getBackend())"],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(probe.stdout.trim()).toBe('tensorflow');
  });
});

describe('system packages', () => {
  it('lists what is missing and the exact command to install it', () => {
    const packages = [
      { name: 'present-pkg', purpose: 'a', present: () => true },
      { name: 'absent-pkg', purpose: 'b', present: () => false },
    ];
    expect(missingSystemPackages(packages).map((p) => p.name)).toEqual(['absent-pkg']);
    expect(installCommand(missingSystemPackages(packages))).toBe(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends absent-pkg',
    );
    expect(ensureSystemPackages(() => {}, [packages[0]!])).toBeUndefined();
  });

  it('the packages the suite needs are installed (npm test installs them first)', () => {
    expect(missingSystemPackages().map((p) => p.name)).toEqual([]);
  });
});
