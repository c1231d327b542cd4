// What `pretrain` and `finetune` share on the command line: a progress bar, one-line notes, and the signals
// that stop a run (Ctrl-C, and what `timeout`, docker and systemd send), each leaving it resumable.
import type { RunEvents, TrainingRunResult } from '@mini-llama/trainer/node';
import { startBackend } from './backend.js';
import { CliExit } from './errors.js';
import type { CliIo } from './io.js';
import { StepProgress } from './step-progress.js';

/** The exit code of a run a signal stopped (128 + the signal's number), as shells report it. */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/**
 * Runs a training core with progress on stderr and the stop signals handled: the first signal finishes the
 * step and writes a checkpoint; a second Ctrl-C aborts at once. A stopped run prints how to resume and exits
 * with 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP), so scripts can tell it from a finished one.
 */
/**
 * Runs `work` with the stop signals handled: the first one aborts the signal it is given (a training run then
 * finishes its step and writes a checkpoint); a second Ctrl-C exits at once. Returns the work's result and the
 * signal that stopped it, if one did.
 */
export async function withStopSignals<T>(
  io: CliIo,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<{ result: T; stoppedBy: StopSignal | null }> {
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
      io.stderr.write(
        `\ninterrupted: finishing this step and writing a checkpoint (${name}; Ctrl-C again to abort)\n`,
      );
      controller.abort();
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  try {
    return { result: await work(controller.signal), stoppedBy };
  } catch (error) {
    if (stoppedBy && error instanceof Error) Object.assign(error, { stoppedBy });
    throw error;
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}

/** The exit code of a run that `signal` stopped. */
export function exitCodeOf(signal: StopSignal | null): number {
  return STOP_SIGNALS[signal ?? 'SIGINT'];
}

/** Training events on the terminal: notes on stderr, a progress bar from the run's start. */
export function trainingProgress(io: CliIo, command: string): { events: RunEvents; stop: () => void } {
  let progress: StepProgress | null = null;
  let listen: NonNullable<RunEvents['onEvent']> = () => {};
  return {
    events: {
      onMessage: (message) => io.stderr.write(`${message}\n`),
      onStart: (start) => {
        io.stderr.write(`${command}: ${start.summary}\n`);
        progress?.stop();
        progress = new StepProgress(io, start.steps, start.fromStep);
        listen = progress.listener();
      },
      onEvent: (event) => listen(event),
    },
    stop: () => (progress as StepProgress | null)?.stop(),
  };
}

/**
 * Runs a training core with progress on stderr and the stop signals handled (withStopSignals). A stopped run
 * prints how to resume and exits with 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP), so scripts can tell it
 * from a finished one.
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
  const progress = trainingProgress(io, command);
  try {
    const { result, stoppedBy } = await withStopSignals(io, (signal) =>
      run({
        events: progress.events,
        signal,
        startBackend: async (request) => startBackend(request as Parameters<typeof startBackend>[0], io),
      }),
    );
    progress.stop();
    if (result.stopped) {
      io.stdout.write(
        `stopped at step ${result.step}\nresume with: mini-llama ${command} --resume ${result.directory}\n`,
      );
      throw new CliExit(exitCodeOf(stoppedBy));
    }
    return result;
  } finally {
    progress.stop();
  }
}
