import { type BackendChoice, type BackendRequest, useBackend } from '@mini-llama/backends';
import { registerFusedKernels } from '@mini-llama/model';
import type { CliIo } from './io.js';

/**
 * Starts the requested tfjs backend, with the fused inference kernels where they run (wasm, cpu), and says on
 * stderr which one runs and why.
 */
export async function startBackend(
  request: BackendRequest,
  io: CliIo,
  options: { threads?: number; workload?: 'any' | 'generate' } = {},
): Promise<BackendChoice> {
  const choice = await useBackend(request, { wasmThreads: options.threads, workload: options.workload });
  registerFusedKernels();
  const detail =
    choice.threads !== undefined
      ? ` on ${choice.threads} thread${choice.threads === 1 ? '' : 's'}`
      : choice.adapter
        ? ` on ${choice.adapter}`
        : choice.provider
          ? ` from ${choice.provider}`
          : '';
  const skipped = choice.skipped?.length
    ? `; not available: ${choice.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}`
    : '';
  io.stderr.write(`backend: ${choice.name}${detail} (${choice.reason}${skipped})\n`);
  return choice;
}
