// Debian packages the test suite needs beyond npm: Fashion-MNIST (the second real dataset, never
// downloaded at run time) and Chromium (renders the HTML report in its test).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface SystemPackage {
  /** Debian package name. */
  name: string;
  /** Why the project needs it. */
  purpose: string;
  /** True when it is usable on this machine. */
  present: () => boolean;
}

const onPath = (command: string) =>
  (process.env['PATH'] ?? '').split(':').some((dir) => dir && fs.existsSync(`${dir}/${command}`));

export const SYSTEM_PACKAGES: SystemPackage[] = [
  {
    name: 'dataset-fashion-mnist',
    purpose: 'the Fashion-MNIST dataset (fashion-mnist:*)',
    present: () => fs.existsSync('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz'),
  },
  { name: 'chromium', purpose: 'renders the HTML report in its test', present: () => onPath('chromium') },
];

export function missingSystemPackages(packages = SYSTEM_PACKAGES): SystemPackage[] {
  return packages.filter((p) => !p.present());
}

export function installCommand(packages: SystemPackage[]): string {
  const names = packages.map((p) => p.name).join(' ');
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${names}`;
}

/**
 * Installs what is missing when this process may (root with apt-get); otherwise returns the
 * problem with the exact command to run. Undefined when everything is present.
 */
export function ensureSystemPackages(log: (line: string) => void, packages = SYSTEM_PACKAGES): string | undefined {
  const missing = missingSystemPackages(packages);
  if (missing.length === 0) return undefined;
  const list = missing.map((p) => `${p.name} (${p.purpose})`).join(', ');
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    return `missing system packages: ${list}. Run: ${installCommand(missing)}`;
  }
  log(`[prune setup] installing ${list} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((p) => p.name)],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (result.status !== 0)
      return `apt-get ${args[0]} failed (exit ${result.status}); run: ${installCommand(missing)}`;
  }
  const still = missingSystemPackages(packages);
  return still.length
    ? `apt-get installed but these are still missing: ${still.map((p) => p.name).join(', ')}`
    : undefined;
}
