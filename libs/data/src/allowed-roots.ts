// Which files a service may open for a caller: those under its allowed folders (model roots,
// data roots), checked by name first (so whether a path outside exists is never revealed) and
// then by real path (a symbolic link inside a root that points outside it is outside).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, NotFoundError } from '@prune/errors';

function under(file: string, roots: string[]): boolean {
  return roots.some((root) => {
    const relative = path.relative(root, file);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  });
}

/**
 * The real path of `file` if it lies under one of `roots`; otherwise an invalid-argument error
 * "<subject>: <file> <outside>", or not-found when it is inside but missing.
 */
export function fileUnderRoots(file: string, roots: string[], subject: string, outside: string): string {
  const resolved = path.resolve(file);
  const refused = () => new InvalidArgumentError(`${subject}: ${resolved} ${outside}`);
  if (
    !under(
      resolved,
      roots.map((root) => path.resolve(root)),
    )
  )
    throw refused();
  if (!fs.existsSync(resolved)) throw new NotFoundError(`${subject}: ${resolved} not found`);
  const real = fs.realpathSync(resolved);
  const realRoots = roots.filter((root) => fs.existsSync(root)).map((root) => fs.realpathSync(root));
  if (!under(real, realRoots)) throw refused();
  return real;
}

/** Folders a service reads dataset archives from: PRUNE_DATA_ROOTS (":"-separated), else the shared data folder. */
export function dataRoots(env = process.env, shared: () => string): string[] {
  const given = env['PRUNE_DATA_ROOTS']?.split(':').filter(Boolean);
  if (given?.length) return given;
  try {
    return [shared()];
  } catch {
    return [];
  }
}
