// Memoizes asynchronous answers by key: callers asking for a key whose answer is still being
// computed share that computation; answers are kept up to `capacity` (least recently used go
// first); a failure is not kept, so the next caller computes again.
export class AsyncCache<T> {
  private readonly entries = new Map<string, Promise<T>>();
  hits = 0;

  constructor(readonly capacity = Infinity) {}

  /** The cached (or in-flight) answer for `key`, else `compute()`'s; an undefined key is never cached. */
  get(key: string | undefined, compute: () => Promise<T>): Promise<T> {
    if (key === undefined) return compute();
    const found = this.entries.get(key);
    if (found) {
      this.hits++;
      this.entries.delete(key); // most recently used last
      this.entries.set(key, found);
      return found;
    }
    const computed = compute();
    this.entries.set(key, computed);
    computed.catch(() => this.entries.delete(key));
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
    return computed;
  }
}
