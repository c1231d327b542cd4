/** Where a command writes. The real CLI passes process streams; tests pass buffers. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  /** Directory relative paths and repo-root lookups start from. */
  cwd: string;
}

export interface OutputStream {
  write(text: string): unknown;
  /** True for a terminal: progress bars instead of periodic lines. */
  isTTY?: boolean;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** An io whose streams collect text, for tests and for embedding the CLI. */
export function bufferIo(
  env: Record<string, string | undefined> = {},
): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    env,
    cwd: process.cwd(),
    out: () => out.join(''),
    err: () => err.join(''),
  };
}
