// Runs an experiment's items `concurrency` at a time (each worker takes the next item when it is
// done with one), as the experiments share the local trainers between runs.
export async function runQueue<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await work(next);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
