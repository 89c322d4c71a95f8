// What the coordinator learns from other services instead of compiling in: the metrics the
// similarity services' Describe lists, the criteria the criterion service's ListCriteria lists.
// Asked on first use and again on demand; a failed ask is forgotten, so the next use asks again.
export class Discovered<T> {
  private answer?: Promise<T>;

  constructor(private readonly ask: () => Promise<T>) {}

  get(refresh = false): Promise<T> {
    if (refresh || !this.answer) {
      const answer = this.ask();
      answer.catch(() => {
        if (this.answer === answer) this.answer = undefined;
      });
      this.answer = answer;
    }
    return this.answer;
  }

  /** The last answer, without asking (undefined when never asked or the ask failed). */
  current(): Promise<T> | undefined {
    return this.answer;
  }

  /**
   * The names on offer. When `wanted` is not among them, asks again first: the services may have
   * been upgraded or added since the last answer.
   */
  async offered(names: (answer: T) => string[], wanted: string): Promise<string[]> {
    const known = names(await this.get());
    return wanted && !known.includes(wanted) ? names(await this.get(true)) : known;
  }
}
