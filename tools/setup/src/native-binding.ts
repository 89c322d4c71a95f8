// Leaves a working @tensorflow/tfjs-node(-gpu) in node_modules, or says in one line why not.
//
// Why not tfjs-node's own install script: it downloads libtensorflow 2.9 and a prebuilt binding
// from a CDN, which fails on machines without internet (npm then drops the package silently). The
// root package.json denies that script (allowScripts) and npm's postinstall runs this instead:
// libtensorflow from the user's folder, the cache, or a TensorFlow wheel via pip; the binding
// compiled against it once per (tfjs-node version, N-API version, libtensorflow) and cached; only
// where neither works, tfjs-node's own downloader. Every step is idempotent: a second run
// (another clone, `npm ci` again) links and copies cached files in a few seconds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import {
  DEFAULT_TENSORFLOW_WHEEL,
  type Libtensorflow,
  SetupError,
  cacheDir,
  lastLine,
  libtensorflowFromDir,
  libtensorflowFromWheel,
} from './libtensorflow.js';

export const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] as const;
export type TfjsNodePackage = (typeof TFJS_NODE_PACKAGES)[number];

export interface NativeSetupOptions {
  /** Workspace root: the folder whose node_modules holds the package. */
  root: string;
  /** Which package to build (PRUNE_TFJS_NODE_PACKAGE; the GPU image builds tfjs-node-gpu). */
  packageName?: TfjsNodePackage;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export type NativeSetupResult =
  | { ok: true; packageName: string; libtensorflow: string; binding: string; reused: boolean }
  | { ok: false; packageName: string; reason: string; remedy: string };

interface PackageInfo {
  dir: string;
  version: string;
  /** lib/napi-v<N>: N is the highest N-API version of the package's list that this Node supports. */
  bindingPath: string;
  nodePreGyp: string;
}

function packageInfo(root: string, packageName: string): PackageInfo | undefined {
  const require = createRequire(path.join(root, 'package.json'));
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${packageName}/package.json`);
  } catch {
    return undefined;
  }
  const dir = path.dirname(manifestPath);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
    version: string;
    binary: { module_name: string; module_path: string; napi_versions: number[] };
  };
  const napi = Math.max(...manifest.binary.napi_versions.filter((v) => v <= Number(process.versions.napi)));
  const modulePath = manifest.binary.module_path.replace('{napi_build_version}', String(napi));
  const pkgRequire = createRequire(manifestPath);
  return {
    dir,
    version: manifest.version,
    bindingPath: path.join(dir, modulePath, `${manifest.binary.module_name}.node`),
    nodePreGyp: path.join(path.dirname(pkgRequire.resolve('@mapbox/node-pre-gyp/package.json')), 'bin/node-pre-gyp'),
  };
}

/** Loads the package in a fresh process and runs one op; the error line when it cannot. */
export function verifyBinding(
  root: string,
  packageName: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const script = `const tf = require(${JSON.stringify(packageName)});
if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
const sum = tf.add(tf.tensor1d([1, 2]), 1).dataSync();
if (sum[0] !== 2 || sum[1] !== 3) throw new Error('1+1 gave ' + sum[0]);`;
  const result = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  if (result.status === 0) return undefined;
  const lines = `${result.stderr ?? ''}${result.error ?? ''}`.split('\n').filter((l) => /Error|error:/.test(l));
  return lines[0]?.trim() || `exit code ${result.status}`;
}

/** The Node.js headers node-gyp compiles against: npm's nodedir, else the ones installed with this node. */
function nodedir(env: NodeJS.ProcessEnv): string | undefined {
  if (env['npm_config_nodedir']) return env['npm_config_nodedir'];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include/node/node_api.h')) ? prefix : undefined;
}

function linkDeps(pkg: PackageInfo, lib: Libtensorflow): void {
  const deps = path.join(pkg.dir, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.mkdirSync(deps);
  fs.symlinkSync(path.join(lib.dir, 'lib'), path.join(deps, 'lib'));
  fs.symlinkSync(path.join(lib.dir, 'include'), path.join(deps, 'include'));
}

function compileBinding(pkg: PackageInfo, env: NodeJS.ProcessEnv): void {
  const headers = nodedir(env);
  const args = [pkg.nodePreGyp, 'install', '--build-from-source', ...(headers ? [`--nodedir=${headers}`] : [])];
  const result = spawnSync(process.execPath, args, {
    cwd: pkg.dir,
    encoding: 'utf8',
    env,
    maxBuffer: 64 << 20,
    timeout: 15 * 60_000,
  });
  if (result.status !== 0) {
    const output = `${result.stdout}${result.stderr}`;
    const cause = output.split('\n').find((l) => /error:|Error:/.test(l) && !/node-pre-gyp ERR!|gyp ERR!/.test(l));
    throw new SetupError(
      `compiling the tfjs-node binding failed: ${(cause ?? lastLine(output)).trim()}`,
      'install a C++ toolchain (g++, make) and python3; without internet node-gyp also needs Node.js headers (npm config set nodedir <prefix>)',
    );
  }
}

/** libtensorflow: the user's folder (PRUNE_LIBTENSORFLOW_DIR) or a wheel via pip (PRUNE_TENSORFLOW_WHEEL). */
function resolveLibtensorflow(env: NodeJS.ProcessEnv, cache: string): Libtensorflow {
  const userDir = env['PRUNE_LIBTENSORFLOW_DIR'];
  if (userDir) return libtensorflowFromDir(userDir, cache);
  return libtensorflowFromWheel(
    env['PRUNE_TENSORFLOW_WHEEL'] || DEFAULT_TENSORFLOW_WHEEL,
    cache,
    env['PRUNE_PYTHON'] || 'python3',
  );
}

/** Runs the package's own installer (downloads libtensorflow and a prebuilt binding): machines with internet. */
function runPackageInstaller(pkg: PackageInfo, packageName: string, env: NodeJS.ProcessEnv): void {
  const args = [path.join(pkg.dir, 'scripts/install.js'), ...(packageName.endsWith('-gpu') ? ['gpu', 'download'] : [])];
  const result = spawnSync(process.execPath, args, { cwd: pkg.dir, encoding: 'utf8', env, timeout: 10 * 60_000 });
  if (result.status !== 0)
    throw new Error(lastLine(`${result.stdout}${result.stderr}`) || `exit code ${result.status}`);
}

export function ensureNativeTensorflow(options: NativeSetupOptions): NativeSetupResult {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const packageName = options.packageName ?? '@tensorflow/tfjs-node';
  const fail = (reason: string, remedy: string): NativeSetupResult => ({ ok: false, packageName, reason, remedy });
  const pkg = packageInfo(options.root, packageName);
  if (!pkg) {
    return fail(`${packageName} is not in node_modules`, 'run npm ci (it is an optional dependency of @prune/compute)');
  }
  if (fs.existsSync(pkg.bindingPath) && !verifyBinding(options.root, packageName, env)) {
    return {
      ok: true,
      packageName,
      libtensorflow: fs.realpathSync(path.join(pkg.dir, 'deps/lib')),
      binding: pkg.bindingPath,
      reused: true,
    };
  }
  const cache = cacheDir(env);
  let lib: Libtensorflow;
  try {
    lib = resolveLibtensorflow(env, cache);
  } catch (error) {
    if (!(error instanceof SetupError) || env['PRUNE_LIBTENSORFLOW_DIR']) throw error;
    // No wheel: where there is internet, the package's own downloader still works.
    log(`[prune setup] ${error.message}; trying ${packageName}'s own downloader`);
    try {
      runPackageInstaller(pkg, packageName, env);
    } catch (installError) {
      return fail(
        `${error.message}; ${packageName}'s downloader failed too: ${(installError as Error).message}`,
        error.remedy,
      );
    }
    const problem = verifyBinding(options.root, packageName, env);
    if (problem)
      return fail(`${packageName}'s own install did not produce a working binding: ${problem}`, error.remedy);
    return { ok: true, packageName, libtensorflow: 'downloaded by tfjs-node', binding: pkg.bindingPath, reused: false };
  }
  linkDeps(pkg, lib);
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        packageName,
        pkg.version,
        path.relative(pkg.dir, pkg.bindingPath),
        process.platform,
        process.arch,
        lib.dir,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  const cached = path.join(cache, 'bindings', key, path.basename(pkg.bindingPath));
  const reused = fs.existsSync(cached);
  fs.mkdirSync(path.dirname(pkg.bindingPath), { recursive: true });
  if (reused) {
    fs.copyFileSync(cached, pkg.bindingPath);
  } else {
    log(`[prune setup] compiling the ${packageName} binding against ${lib.description}`);
    compileBinding(pkg, env);
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.copyFileSync(pkg.bindingPath, `${cached}.tmp-${process.pid}`);
    fs.renameSync(`${cached}.tmp-${process.pid}`, cached);
  }
  const problem = verifyBinding(options.root, packageName, env);
  if (problem) {
    fs.rmSync(pkg.bindingPath, { force: true }); // a binding that does not load must not be picked at run time
    if (reused) fs.rmSync(cached, { force: true });
    return fail(
      `the ${packageName} binding built against ${lib.description} does not load: ${problem}`,
      'rerun npm ci; if it persists, set PRUNE_LIBTENSORFLOW_DIR to another libtensorflow',
    );
  }
  return { ok: true, packageName, libtensorflow: lib.description, binding: pkg.bindingPath, reused };
}
