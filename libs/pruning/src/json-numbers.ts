// JSON has no NaN or Infinity (a similarity the policy did not need is NaN): they are written as
// strings and read back as numbers, so records survive the disk unchanged.
export const finiteReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;

export const numberReviver = (_key: string, value: unknown): unknown =>
  value === 'NaN' || value === 'Infinity' || value === '-Infinity' ? Number(value) : value;
