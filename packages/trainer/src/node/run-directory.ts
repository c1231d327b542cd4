import { open, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isTemporaryName, writeAtomic } from '@mini-llama/formats/node';
import { parseRunConfig, type RunConfig } from '../run-config.js';

// A run directory holds one run: its configuration, metrics, checkpoints and final weights. Two processes
// writing one would interleave metrics and overwrite each other's configuration, so a run holds a lock file
// while it works; a fresh run refuses a directory that holds a run already.

export const RUN_CONFIG_FILE = 'run-config.json';
export const LOCK_FILE = 'run.lock';

/** What a lock file says about the process holding it. */
interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

/**
 * Takes the run directory's lock (creating the directory's lock file exclusively). A lock left by a process
 * that is no longer running on this host is stale: it is removed, and `onMessage` says so. Returns the release.
 */
export async function lockRunDirectory(
  directory: string,
  onMessage: (message: string) => void = () => {},
): Promise<() => Promise<void>> {
  const path = join(directory, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
      await handle.close();
      return async () => {
        await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(path);
    if (holder && holder.host === owner.host && !isRunning(holder.pid)) {
      onMessage(
        `removed a stale lock of process ${holder.pid} (started ${holder.started}), which is no longer running`,
      );
      await rm(path, { force: true });
      continue;
    }
    const who = holder
      ? `process ${holder.pid} on ${holder.host} (started ${holder.started})`
      : 'another process (its lock file is unreadable)';
    throw new Error(
      `${directory} is in use by ${who}: one run directory holds one run at a time (if that process is gone, delete ${path})`,
    );
  }
  throw new Error(`${path}: could not take the lock`);
}

/** Refuses a fresh run into a directory that holds a run already (its configuration, metrics or checkpoints). */
export async function assertNoRunIn(directory: string): Promise<void> {
  const entries = await readdir(directory).catch(() => [] as string[]);
  const run = entries.filter(
    (name) => name === RUN_CONFIG_FILE || name === 'metrics.jsonl' || /^checkpoint-\d+$/.test(name),
  );
  if (run.length > 0) {
    throw new Error(
      `${directory} holds a run already (${run.slice(0, 3).join(', ')}): continue it with --resume ${directory}, or give another --out`,
    );
  }
}

/** Removes what interrupted atomic writes left in the run directory (temporary files and checkpoint directories). */
export async function removeTemporaries(directory: string): Promise<string[]> {
  const entries = await readdir(directory).catch(() => [] as string[]);
  const removed = entries.filter(isTemporaryName);
  for (const name of removed) await rm(join(directory, name), { recursive: true, force: true });
  return removed;
}

/** The run configuration a run directory records; errors name the file. */
export async function readRunConfig(directory: string): Promise<RunConfig> {
  const path = join(directory, RUN_CONFIG_FILE);
  const text = await readFile(path, 'utf8').catch(() => {
    throw new Error(`${path} not found: is ${directory} a run directory?`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: invalid JSON (${(error as Error).message})`);
  }
  return parseRunConfig(json, path);
}

/** Records a run's configuration (atomically). */
export async function writeRunConfig(directory: string, config: RunConfig): Promise<void> {
  await writeAtomic(join(directory, RUN_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

async function readLock(path: string): Promise<LockOwner | null> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string'
      ? { pid: owner.pid, host: owner.host, started: String(owner.started) }
      : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, but not ours to signal
  }
}
