import { type BackendChoice, type BackendRequest, useBackend } from '@mini-llama/backends';
import type { CliIo } from './io.js';

/** Starts the requested tfjs backend and says on stderr which one runs and why. */
export async function startBackend(request: BackendRequest, io: CliIo): Promise<BackendChoice> {
  const choice = await useBackend(request);
  io.stderr.write(`backend: ${choice.name} (${choice.reason})\n`);
  return choice;
}
