// Time per call of linear CKA at the sizes the method meets: n = 10,000 validation examples,
// p = 64 (a CIFAR ResNet's penultimate layer) and p = 4,096. A script: `npm run bench:similarity`.
// The float64 path is the reference implementation; the tensor path is what linearCka uses above
// LINEAR_CKA_FLOAT64_LIMIT multiply-adds. Their ratio is printed for the size where both run.
import * as os from 'node:os';
import { initBackend } from '@prune/compute';
import { linearCkaFloat64, linearCkaTensor, matrix, minibatchLinearCka, type Matrix } from '@prune/similarity-metrics';
import { printTable } from './table.js';

const backend = await initBackend();

function representation(rows: number, cols: number, seed: number): Matrix {
  let s = seed;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return matrix(rows, cols, data);
}

function secondsPerCall(run: () => number, calls: number, warmUp = true): { seconds: number; value: number } {
  let value = warmUp ? run() : 0;
  const start = performance.now();
  for (let i = 0; i < calls; i++) value = run();
  return { seconds: (performance.now() - start) / 1000 / calls, value };
}

const rows: string[][] = [];
const n = 10_000;
for (const p of [64, 4096]) {
  const x = representation(n, p, 1);
  const y = representation(n, p, 2);
  const tensor = secondsPerCall(() => linearCkaTensor(x, y), p === 64 ? 5 : 1, p === 64);
  rows.push(['linear CKA', String(n), String(p), 'float32 matmul (TF.js)', tensor.seconds.toFixed(3), '']);
  if (p === 64) {
    const exact = secondsPerCall(() => linearCkaFloat64(x, y), 3);
    rows.push([
      'linear CKA',
      String(n),
      String(p),
      'float64 loops',
      exact.seconds.toFixed(3),
      `tensor path ${(exact.seconds / tensor.seconds).toFixed(1)}x faster; |diff| ${Math.abs(exact.value - tensor.value).toExponential(1)}`,
    ]);
  }
  const minibatch = secondsPerCall(() => minibatchLinearCka(x, y, { batchSize: 32 }), 1);
  rows.push(['minibatch CKA (batch 32)', String(n), String(p), 'float64 loops', minibatch.seconds.toFixed(3), '']);
  console.error(`  measured p = ${p}`);
}
console.log(`backend: ${backend.name} (${backend.detail}); ${os.cpus().length} cores`);
printTable(['metric', 'n', 'p', 'implementation', 's / call', 'note'], rows);
