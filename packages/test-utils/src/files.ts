import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new empty directory under the system's temporary directory, for one test's files. */
export function temporaryDirectory(prefix = 'mini-llama-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
