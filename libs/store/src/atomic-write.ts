import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes a file so that readers see either the old content or the whole new one, never a part. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true }); // a failed write (a full disk) leaves no partial temp file
    throw error;
  }
}
