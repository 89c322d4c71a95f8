// Every test process (and the services tests start) writes its temporary files under one
// directory per test run, removed when the run ends, so the suite leaves nothing in the system's
// temp directory however a test ends.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-tests-'));
  process.env['TMPDIR'] = dir; // os.tmpdir() of the test workers, forked after this
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
