// What the coordinator learns from other services instead of compiling in: the metrics the
// similarity services' Describe lists, the criteria the criterion service's ListCriteria lists.
// Asked on first use and again on demand; a failed ask is forgotten, so the next use asks again.
import { parameterBoundsOf, type ParameterRange } from '@prune/contracts';
import type { ParameterBounds } from '@prune/errors';

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
   * The plug-ins on offer, name -> names of their parameters. When `wanted` is not among them,
   * asks again first: the services may have been upgraded or added since the last answer.
   */
  async offered(entries: (answer: T) => Offering, wanted: string): Promise<Offering> {
    const known = entries(await this.get());
    return wanted && !(wanted in known) ? entries(await this.get(true)) : known;
  }
}

/** What a plug-in accepts: the names of its numeric parameters, and the bounds of bounded ones. */
export interface PluginParameters {
  names: string[];
  bounds: Record<string, ParameterBounds>;
}

/** Plug-ins a service offers: name -> the parameters each accepts. */
export type Offering = Record<string, PluginParameters>;

export function offering(
  plugins: { name: string; parameters: string[]; parameterRanges: ParameterRange[] }[],
): Offering {
  return Object.fromEntries(
    plugins.map((p) => [p.name, { names: p.parameters, bounds: parameterBoundsOf(p.parameterRanges) }]),
  );
}
