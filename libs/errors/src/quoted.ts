// How an error message shows a value the caller sent: quoted, and cut to a short prefix, so a
// huge or hostile input (a 60 MB metric name) never comes back in the answer.
const MAX_QUOTED = 80;

/** `"value"`, or `"first 80 characters…" (N characters)` for a longer one. */
export function quoted(value: unknown): string {
  const text = String(value);
  if (text.length <= MAX_QUOTED) return `"${text}"`;
  return `"${text.slice(0, MAX_QUOTED)}…" (${text.length} characters)`;
}
