// Where the TensorFlow C library comes from, prepared once per machine in a cache shared by every
// clone and CI run (the library is ~850 MB). Each source yields the same layout:
//   <cache>/libtensorflow/<id>/lib      libtensorflow.so -> libtensorflow*.so.2, libtensorflow_framework.so.2
//   <cache>/libtensorflow/<id>/include  tensorflow/c/** and the few headers it includes
// which is what tfjs-node's binding.gyp links against (deps/lib, deps/include).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The pip requirement whose wheel carries the C API (tensorflow/libtensorflow_cc.so.2). */
export const DEFAULT_TENSORFLOW_WHEEL = 'tensorflow-cpu==2.21.0';

/** Header folders the binding's sources include (measured with `g++ -MM`), relative to include/. */
const HEADER_DIRS = ['tensorflow/c/', 'tensorflow/core/platform/', 'tsl/', 'xla/tsl/'];

export interface Libtensorflow {
  /** Folder holding lib/ and include/ in the layout above. */
  dir: string;
  /** What it is, for logs and cache keys: "tensorflow-cpu==2.21.0 (pip wheel)" or a path. */
  description: string;
}

export class SetupError extends Error {
  override name = 'SetupError';
  constructor(
    message: string,
    /** What the user can do about it, one sentence. */
    readonly remedy: string,
  ) {
    super(message);
  }
}

/** PRUNE_CACHE_DIR, else $XDG_CACHE_HOME/prune-everything, else ~/.cache/prune-everything. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['PRUNE_CACHE_DIR']) return path.resolve(env['PRUNE_CACHE_DIR']);
  const base = env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'prune-everything');
}

const COMPLETE = '.complete';

/**
 * Fills `final` by running `fill(tmp)` on a sibling temporary folder and renaming it into place, so
 * an interrupted setup never leaves a half-written entry and two concurrent ones do not mix files.
 */
function materialize(final: string, fill: (tmp: string) => void): void {
  fs.mkdirSync(path.dirname(final), { recursive: true });
  const tmp = fs.mkdtempSync(`${final}.tmp-`);
  try {
    fs.chmodSync(tmp, 0o755); // mkdtemp makes it private; the cache is shared
    fill(tmp);
    fs.writeFileSync(path.join(tmp, COMPLETE), new Date().toISOString() + '\n');
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(tmp, final);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** lib/ names binding.gyp and tfjs-node's install script look for, pointing at the real files. */
function linkLibraryNames(libDir: string, cc: string, framework: string): void {
  const links: Record<string, string> = {
    'libtensorflow.so': cc,
    'libtensorflow.so.2': cc,
    'libtensorflow.so.2.9.1': cc, // tfjs-node 4.22's scripts/install.js checks for this name
    'libtensorflow_framework.so': framework,
    'libtensorflow_framework.so.2': framework,
  };
  for (const [name, target] of Object.entries(links)) {
    if (target !== name) fs.symlinkSync(target, path.join(libDir, name)); // not the real file itself
  }
}

/**
 * A libtensorflow the user names: a libtensorflow C release (lib/, include/) or the `tensorflow/`
 * folder of an unpacked TensorFlow wheel (libtensorflow_cc.so.2, include/). Linked, not copied.
 */
export function libtensorflowFromDir(userDir: string, cache: string): Libtensorflow {
  const root = path.resolve(userDir);
  const find = (names: string[]): string | undefined =>
    [path.join(root, 'lib'), root].flatMap((d) => names.map((n) => path.join(d, n))).find((p) => fs.existsSync(p));
  const cc = find(['libtensorflow_cc.so.2', 'libtensorflow.so.2']);
  const framework = find(['libtensorflow_framework.so.2']);
  const include = path.join(root, 'include');
  if (!cc || !framework || !fs.existsSync(path.join(include, 'tensorflow/c/c_api.h'))) {
    throw new SetupError(
      `PRUNE_LIBTENSORFLOW_DIR=${userDir} has no libtensorflow: expected libtensorflow.so.2 (or ` +
        `libtensorflow_cc.so.2) and libtensorflow_framework.so.2 in it or in its lib/, and include/tensorflow/c/c_api.h`,
      'point PRUNE_LIBTENSORFLOW_DIR at an unpacked libtensorflow C release or the tensorflow/ folder of a TensorFlow wheel',
    );
  }
  const id = createHash('sha256').update(root).digest('hex').slice(0, 16);
  const dir = path.join(cache, 'libtensorflow', `dir-${id}`);
  materialize(dir, (tmp) => {
    fs.mkdirSync(path.join(tmp, 'lib'));
    linkLibraryNames(path.join(tmp, 'lib'), fs.realpathSync(cc), fs.realpathSync(framework));
    fs.symlinkSync(include, path.join(tmp, 'include'));
  });
  return { dir, description: root };
}

function run(command: string, args: string[], timeoutMs: number): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  return { ok: result.status === 0, output };
}

/** The last non-empty line of a tool's output, for one-line error messages. */
export function lastLine(output: string): string {
  return output.trim().split('\n').at(-1)?.trim() ?? '';
}

// Extracts the two libraries and the header folders from a wheel (a zip) with Python's zipfile,
// streaming: the wheel is ~270 MB and the libraries ~850 MB unpacked.
const EXTRACT_PY = `
import sys, zipfile, os, shutil
wheel, out, dirs = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
libs = {'tensorflow/libtensorflow_cc.so.2': 'lib', 'tensorflow/libtensorflow_framework.so.2': 'lib'}
found = set()
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if name in libs:
            target = os.path.join(out, 'lib', os.path.basename(name))
        elif name.startswith('tensorflow/include/') and any(name[19:].startswith(d) for d in dirs) and not name.endswith('/'):
            target = os.path.join(out, 'include', name[19:])
        else:
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, 'wb') as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        found.add(name if name in libs else 'include')
missing = [n for n in list(libs) + ['include'] if n not in found]
if missing:
    sys.exit('the wheel has no ' + ', '.join(missing))
`;

/**
 * libtensorflow from a TensorFlow wheel fetched with pip (configured indexes, or PyPI): the wheel's
 * libtensorflow_cc.so.2 exports the C and eager C APIs that tfjs-node calls.
 */
export function libtensorflowFromWheel(requirement: string, cache: string, python = 'python3'): Libtensorflow {
  const slug = requirement.replace(/[^A-Za-z0-9._-]+/g, '-');
  const dir = path.join(cache, 'libtensorflow', slug);
  const description = `${requirement} (pip wheel)`;
  if (fs.existsSync(path.join(dir, COMPLETE))) return { dir, description };
  if (!run(python, ['-c', 'import pip'], 30_000).ok) {
    throw new SetupError(
      `no ${python} with pip to fetch ${requirement}`,
      `install python3 and pip, or set PRUNE_LIBTENSORFLOW_DIR to an unpacked libtensorflow`,
    );
  }
  const download = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-wheel-'));
  try {
    const pip = run(
      python,
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
        '-q',
        '-d',
        download,
        requirement,
      ],
      15 * 60_000,
    );
    const wheel = fs.readdirSync(download).find((f) => f.endsWith('.whl'));
    if (!pip.ok || !wheel) {
      throw new SetupError(
        `pip could not download ${requirement}: ${lastLine(pip.output) || 'no wheel'}`,
        'make a TensorFlow wheel reachable to pip, or set PRUNE_LIBTENSORFLOW_DIR to an unpacked libtensorflow',
      );
    }
    materialize(dir, (tmp) => {
      const extract = run(
        python,
        ['-c', EXTRACT_PY, path.join(download, wheel), tmp, HEADER_DIRS.join(',')],
        10 * 60_000,
      );
      if (!extract.ok) {
        throw new SetupError(
          `${wheel}: ${lastLine(extract.output)}`,
          `use a TensorFlow 2.x wheel for ${process.platform}-${process.arch}`,
        );
      }
      const lib = path.join(tmp, 'lib');
      linkLibraryNames(lib, 'libtensorflow_cc.so.2', 'libtensorflow_framework.so.2');
    });
    return { dir, description };
  } finally {
    fs.rmSync(download, { recursive: true, force: true });
  }
}
