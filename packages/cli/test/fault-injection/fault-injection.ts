// Faults injected into real training processes (the built CLI, as users run it), and the check that nothing was
// lost: every faulted run, driven to its end by `--resume` as a user would, must leave the same metrics and the
// same weights, bit for bit, as the same run left alone. Used by fault-injection.test.ts at a size CI affords,
// and at any size with MINI_LLAMA_FAULT_RUNS (see docs/training.md for the counts measured).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** A training command to fault: how it starts fresh, and the files whose bytes a finished run leaves. */
export interface Workload {
  name: string;
  /** The command line of a fresh run into `out`. */
  fresh: (out: string) => string[];
  /** `pretrain` or `finetune`: what `--resume` is given to. */
  command: 'pretrain' | 'finetune';
  /** The result files (relative to the run directory) that must equal the undisturbed run's. */
  results: string[];
}

/** What a process did. */
export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether the fault planned for this process was injected (a kill after it ended injects nothing). */
  injected: boolean;
}

export type Fault =
  | { kind: 'kill'; afterMs: number }
  | { kind: 'sigterm'; afterSteps: number }
  | { kind: 'full-disk'; fileBlocks: number }
  | { kind: 'none' };

/** Runs the CLI once with `fault` applied to it. */
export function runWithFault(args: string[], fault: Fault, cwd: string): Promise<Outcome> {
  const command =
    fault.kind === 'full-disk'
      ? // A file-size limit makes every write past it fail as a full disk does (EFBIG instead of ENOSPC),
        // without privileges: Node ignores SIGXFSZ, so the write reports the error.
        spawn(
          '/bin/sh',
          ['-c', `ulimit -f ${fault.fileBlocks}; exec "$0" "$@"`, process.execPath, BIN, ...args],
          {
            cwd,
          },
        )
      : spawn(process.execPath, [BIN, ...args], { cwd });
  let stdout = '';
  let stderr = '';
  command.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  command.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let injected = fault.kind === 'full-disk';
  let timer: NodeJS.Timeout | null = null;
  if (fault.kind === 'kill') {
    timer = setTimeout(() => {
      injected = isRunning(command);
      command.kill('SIGKILL');
    }, fault.afterMs);
  }
  if (fault.kind === 'sigterm') {
    const metrics = join(runDirectoryOf(args, cwd), 'metrics.jsonl');
    const start = existsSync(metrics) ? lineCount(metrics) : 0;
    timer = setInterval(() => {
      if (existsSync(metrics) && lineCount(metrics) >= start + fault.afterSteps && isRunning(command)) {
        injected = true;
        command.kill('SIGTERM');
        clearInterval(timer!);
      }
    }, 5);
  }
  return new Promise((resolve) => {
    command.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, injected });
    });
  });
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function runDirectoryOf(args: string[], cwd: string): string {
  const flag = args.includes('--resume') ? '--resume' : '--out';
  return join(cwd, args[args.indexOf(flag) + 1]!);
}

function lineCount(path: string): number {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).length;
}

/** The command line that continues the run in `out`: `--resume` once it has a configuration, else fresh. */
export function nextCommand(workload: Workload, out: string, cwd: string): string[] {
  return existsSync(join(cwd, out, 'run-config.json'))
    ? [workload.command, '--resume', out, '--backend', 'cpu']
    : workload.fresh(out);
}

/** The parts of a metrics line that a resumed run must reproduce (not its timings). */
export function comparableMetrics(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const { step, loss, lr, gradNorm, valLoss } = JSON.parse(line) as Record<string, number>;
      return JSON.stringify({ step, loss, lr, gradNorm, valLoss });
    });
}

/** How a faulted run's results differ from the undisturbed run's: [] when every byte and metric agrees. */
export function differences(workload: Workload, run: string, reference: string): string[] {
  const found: string[] = [];
  const ours = comparableMetrics(join(run, 'metrics.jsonl'));
  const theirs = comparableMetrics(join(reference, 'metrics.jsonl'));
  if (ours.length !== theirs.length)
    found.push(`metrics.jsonl has ${ours.length} lines, not ${theirs.length}`);
  ours.forEach((line, i) => {
    if (line !== theirs[i]) found.push(`metrics.jsonl line ${i + 1}: ${line} ≠ ${theirs[i]}`);
  });
  for (const file of workload.results) {
    const a = join(run, file);
    const b = join(reference, file);
    if (!existsSync(a)) found.push(`${file} is missing`);
    else if (!readFileSync(a).equals(readFileSync(b))) found.push(`${file} differs`);
  }
  return found;
}

/** Flips one bit in the middle of the newest checkpoint's weights; returns the checkpoint, or null if none. */
export function corruptNewestCheckpoint(run: string): string | null {
  const newest = readdirSync(run)
    .filter((name) => /^checkpoint-\d+$/.test(name))
    .sort()
    .at(-1);
  if (!newest) return null;
  const file = join(run, newest, 'model.safetensors');
  const bytes = readFileSync(file);
  bytes[bytes.length - 5]! ^= 0x04;
  writeFileSync(file, bytes);
  return newest;
}

/** A one-line error the CLI printed: `mini-llama <command>: …`, no stack trace. */
export function isOneLineError(stderr: string, command: string): boolean {
  const errors = stderr.split('\n').filter((line) => line.startsWith(`mini-llama ${command}:`));
  return errors.length === 1 && !/^\s+at /m.test(stderr);
}
