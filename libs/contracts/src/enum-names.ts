// A contract enum's values under the names people type and read, which are also the domain's own
// names (the walk's policies and phases, a run's states, the learning-rate schedules).

export interface EnumNames<Name extends string, Value extends number> {
  /** Every name, in the enum's order. */
  readonly names: readonly Name[];
  value(name: Name): Value;
  /** The name of `value`; undefined for UNSPECIFIED and for values this build does not know. */
  name(value: Value): Name | undefined;
  /** The value a user's text names, or undefined when it names none. */
  parse(text: string): Value | undefined;
}

/** `byName` must name every domain value once (the type checks it) and each enum value once. */
export function enumNames<Name extends string, Value extends number>(
  byName: Record<Name, Value>,
): EnumNames<Name, Value> {
  const entries = Object.entries(byName) as [Name, Value][];
  const byValue = new Map(entries.map(([name, value]) => [value, name]));
  if (byValue.size !== entries.length)
    throw new Error(`enumNames: an enum value has two names in ${JSON.stringify(byName)}`);
  return {
    names: entries.map(([name]) => name),
    value: (name) => byName[name],
    name: (value) => byValue.get(value),
    parse: (text) => (Object.hasOwn(byName, text) ? byName[text as Name] : undefined),
  };
}
