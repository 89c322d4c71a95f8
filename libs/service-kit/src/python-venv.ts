// Python virtual environments for tests that check against real Python tools (the Python client,
// Keras), made once per machine in the project's cache. pip installs from the indexes it is
// configured with (`pip config list`); those replace PyPI, so a machine without internet never
// waits on it.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Index options from pip's configuration: its extra (file://) indexes become the only ones. */
async function configuredIndexes(): Promise<string[]> {
  const { stdout } = await run('python3', ['-m', 'pip', 'config', 'list']).catch(() => ({ stdout: '' }));
  const values = (key: string) =>
    stdout
      .split('\n')
      .filter((line) => line.split('=')[0]!.endsWith(`.${key}`))
      .flatMap((line) =>
        line
          .slice(line.indexOf('=') + 1)
          .replace(/^'|'$/g, '')
          .split(/\s+/),
      )
      .filter(Boolean);
  const indexes = [...values('index-url'), ...values('extra-index-url')];
  return [
    ...(indexes.length
      ? ['--index-url', indexes[0]!, ...indexes.slice(1).flatMap((i) => ['--extra-index-url', i])]
      : []),
    ...[...new Set(values('find-links'))].flatMap((link) => ['--find-links', link]),
  ];
}

/**
 * The python of venv `name` with `packages` importable as `modules` (made or completed if needed).
 * Rejects when pip cannot install them (callers that can do without say they skipped).
 */
export async function pythonEnvironment(name: string, packages: string[], modules: string[]): Promise<string> {
  const cache = process.env['PRUNE_CACHE_DIR'] ?? path.join(os.homedir(), '.cache', 'prune-everything');
  const venv = path.join(cache, `python-${name}`);
  const python = path.join(venv, 'bin', 'python');
  const ready = () =>
    run(python, ['-c', `import ${modules.join(', ')}`]).then(
      () => true,
      () => false,
    );
  if (fs.existsSync(python) && (await ready())) return python;
  // --clear: a venv left broken (made by another Python, half installed) is made again, not reused.
  await run('python3', ['-m', 'venv', '--clear', venv]);
  await run(python, ['-m', 'pip', 'install', '--quiet', ...(await configuredIndexes()), ...packages], {
    timeout: 600_000,
  });
  return python;
}
