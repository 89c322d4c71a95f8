// A new CKA-family metric with parameters, from one file: CKA over the polynomial kernel
// k(a, b) = (a.b / p + offset)^degree. Served after one line: registerSimilarityMetric('cka', polynomialCka).
import { kernelCka, type Matrix, type SimilarityMetric } from '@prune/similarity-metrics';

function polynomialGram(m: Matrix, degree: number, offset: number): Float64Array {
  const n = m.rows;
  const p = m.cols;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let c = 0; c < p; c++) dot += m.data[i * p + c]! * m.data[j * p + c]!;
      k[i * n + j] = (dot / p + offset) ** degree;
    }
  }
  return k;
}

export const polynomialCka: SimilarityMetric = {
  name: 'polynomial_cka',
  description: 'CKA over the polynomial kernel (a.b / p + offset)^degree',
  parameters: { degree: 2, offset: 1 },
  minRows: 2,
  compute: (x, y, { degree, offset }) =>
    kernelCka(polynomialGram(x, degree!, offset!), polynomialGram(y, degree!, offset!), x.rows),
};
