// Representations as dense row-major matrices (rows = examples), checked at the boundary so that
// degenerate input is a clear error, never a NaN similarity.
import { InvalidArgumentError } from '@prune/errors';

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

export class SimilarityInputError extends InvalidArgumentError {
  override name = 'SimilarityInputError';
}

export function matrix(rows: number, cols: number, data: Float32Array | Float64Array | number[][]): Matrix {
  if (Array.isArray(data)) {
    const flat = new Float64Array(rows * cols);
    data.forEach((row, r) => {
      if (row.length !== cols) throw new SimilarityInputError(`row ${r} has ${row.length} values, expected ${cols}`);
      flat.set(row, r * cols);
    });
    return { rows, cols, data: flat };
  }
  if (data.length !== rows * cols)
    throw new SimilarityInputError(`matrix data has ${data.length} values, expected ${rows}x${cols}`);
  return { rows, cols, data };
}

/** Checks one representation: enough rows, finite, not constant. `name` is used in messages. */
export function checkRepresentation(m: Matrix, name: string, minRows: number): void {
  if (m.rows < minRows)
    throw new SimilarityInputError(`${name}: needs at least ${minRows} rows (examples), got ${m.rows}`);
  if (m.cols < 1) throw new SimilarityInputError(`${name}: has no columns`);
  let constant = true;
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i]!;
    if (!Number.isFinite(v)) {
      throw new SimilarityInputError(
        `${name}: value at row ${Math.floor(i / m.cols)}, column ${i % m.cols} is ${v} (NaN or Inf)`,
      );
    }
    if (constant && v !== m.data[i % m.cols]) constant = false;
  }
  if (constant)
    throw new SimilarityInputError(`${name}: every row is the same (a constant representation has no similarity)`);
}

export function checkPair(x: Matrix, y: Matrix, minRows: number): void {
  if (x.rows !== y.rows)
    throw new SimilarityInputError(
      `x and y must have the same number of rows (examples): x has ${x.rows}, y has ${y.rows}`,
    );
  checkRepresentation(x, 'x', minRows);
  checkRepresentation(y, 'y', minRows);
}

/** Columns centered to zero mean, in float64. */
export function centerColumns(m: Matrix): Float64Array {
  const out = Float64Array.from(m.data);
  const mean = new Float64Array(m.cols);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) mean[c]! += out[r * m.cols + c]!;
  for (let c = 0; c < m.cols; c++) mean[c]! /= m.rows;
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) out[r * m.cols + c]! -= mean[c]!;
  return out;
}

/** A^T B for row-major A (n x p) and B (n x q), in float64: p x q. */
export function crossProduct(a: Float64Array, p: number, b: Float64Array, q: number, n: number): Float64Array {
  const out = new Float64Array(p * q);
  for (let r = 0; r < n; r++) {
    const ar = r * p;
    const br = r * q;
    for (let i = 0; i < p; i++) {
      const v = a[ar + i]!;
      if (v === 0) continue;
      const oi = i * q;
      for (let j = 0; j < q; j++) out[oi + j]! += v * b[br + j]!;
    }
  }
  return out;
}

/** Gram matrix A A^T (n x n) of a row-major n x p matrix, in float64. */
export function gram(a: Float64Array | Float32Array, n: number, p: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += a[i * p + k]! * a[j * p + k]!;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

export function frobeniusSquared(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
