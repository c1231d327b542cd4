/** A mistake in how the CLI was called: printed as one line, never with a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Ends a command with this exit code, its output already written (a run stopped by a signal, say). */
export class CliExit extends Error {
  override name = 'CliExit';
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
