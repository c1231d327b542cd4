import { type BackendChoice, type BackendRequest, useBackend } from '@mini-llama/backends';
import type { CliIo } from './io.js';

/** Starts the requested tfjs backend and says on stderr which one runs and why. */
export async function startBackend(
  request: BackendRequest,
  io: CliIo,
  options: { threads?: number } = {},
): Promise<BackendChoice> {
  const choice = await useBackend(request, { wasmThreads: options.threads });
  const threads =
    choice.threads === undefined ? '' : ` on ${choice.threads} thread${choice.threads === 1 ? '' : 's'}`;
  io.stderr.write(`backend: ${choice.name}${threads} (${choice.reason})\n`);
  return choice;
}
