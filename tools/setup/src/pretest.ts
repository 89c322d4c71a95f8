// npm's pretest: the system packages the suite needs, installed when root, else the exact command.
import { ensureSystemPackages } from './system-packages.js';

const problem = ensureSystemPackages((line) => process.stderr.write(`${line}\n`));
if (problem) {
  process.stderr.write(`[prune setup] ${problem}\n`);
  process.exit(1);
}
