/** A mistake in how the command was called: exit code 2, with a message naming the flag. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--help` was asked for: its text is printed and the command exits 0. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
}
