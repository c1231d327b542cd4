/** A mistake in how the CLI was called: printed as one line, never with a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}
