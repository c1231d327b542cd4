// What `pretrain` and `finetune` share on the command line: a progress bar, one-line notes, and the signals
// that stop a run (Ctrl-C, and what `timeout`, docker and systemd send), each leaving it resumable.
import type { RunEvents, TrainingRunResult } from '@mini-llama/trainer/node';
import { startBackend } from './backend.js';
import { CliExit } from './errors.js';
import type { CliIo } from './io.js';
import { StepProgress } from './step-progress.js';

/** The exit code of a run a signal stopped (128 + the signal's number), as shells report it. */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

/**
 * Runs a training core with progress on stderr and the stop signals handled: the first signal finishes the
 * step and writes a checkpoint; a second Ctrl-C aborts at once. A stopped run prints how to resume and exits
 * with 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP), so scripts can tell it from a finished one.
 */
export async function runTrainingCommand<R extends TrainingRunResult>(
  io: CliIo,
  command: 'pretrain' | 'finetune',
  run: (control: {
    events: RunEvents;
    signal: AbortSignal;
    startBackend: (request: string) => Promise<unknown>;
  }) => Promise<R>,
): Promise<R> {
  const controller = new AbortController();
  let stoppedBy: StopSignal | null = null;
  const handlers = new Map<StopSignal, () => void>();
  for (const name of Object.keys(STOP_SIGNALS) as StopSignal[]) {
    const handler = () => {
      if (stoppedBy) {
        if (name === 'SIGINT') process.exit(STOP_SIGNALS.SIGINT); // a second Ctrl-C: abort now
        return;
      }
      stoppedBy = name;
      io.stderr.write(`\n${name}: finishing this step and writing a checkpoint (Ctrl-C again to abort)\n`);
      controller.abort();
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  let progress: StepProgress | null = null;
  let listen: NonNullable<RunEvents['onEvent']> = () => {};
  const events: RunEvents = {
    onMessage: (message) => io.stderr.write(`${message}\n`),
    onStart: (start) => {
      io.stderr.write(`${command}: ${start.summary}\n`);
      progress = new StepProgress(io, start.steps, start.fromStep);
      listen = progress.listener();
    },
    onEvent: (event) => listen(event),
  };
  const stopProgress = () => (progress as StepProgress | null)?.stop();
  try {
    const result = await run({
      events,
      signal: controller.signal,
      startBackend: async (request) => startBackend(request as Parameters<typeof startBackend>[0], io),
    });
    stopProgress();
    if (result.stopped) {
      io.stdout.write(
        `stopped at step ${result.step}\nresume with: mini-llama ${command} --resume ${result.directory}\n`,
      );
      throw new CliExit(STOP_SIGNALS[stoppedBy ?? 'SIGINT']);
    }
    return result;
  } finally {
    stopProgress();
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}
