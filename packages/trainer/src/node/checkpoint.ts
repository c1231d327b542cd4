import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { StorageDtype } from '@mini-llama/formats';
import { describeFileError, writeDirectoryAtomic } from '@mini-llama/formats/node';
import {
  type Checkpoint,
  CheckpointError,
  type CheckpointFiles,
  parseCheckpoint,
  serializeCheckpoint,
} from '../checkpoint-files.js';

export { type Checkpoint, CheckpointError } from '../checkpoint-files.js';

const PREFIX = 'checkpoint-';
/** SHA-256 of every other file of a checkpoint, written with them: a resume verifies them. */
const CHECKSUMS = 'checksums.json';

/** The directory name of the checkpoint at a step: checkpoint-000123 (sorts by step). */
export function checkpointName(step: number): string {
  return `${PREFIX}${String(step).padStart(6, '0')}`;
}

/**
 * Writes a checkpoint directory atomically: every file is written and fsynced inside a temporary directory,
 * which is then renamed to its final name, so a crash at any point leaves either the complete checkpoint
 * or none (and never touches an existing one). Weights and optimizer moments go to safetensors (F32 unless
 * asked: F16/BF16 halve the files but lose precision — the moments especially), the rest to JSON
 * (`serializeCheckpoint`, the same files a browser stores).
 */
export async function saveCheckpoint(
  runDirectory: string,
  checkpoint: Checkpoint,
  { dtype = 'F32' }: { dtype?: StorageDtype } = {},
): Promise<string> {
  const finalPath = join(runDirectory, checkpointName(checkpoint.step));
  if (await exists(finalPath)) {
    throw new CheckpointError(
      `${finalPath}: a checkpoint for step ${checkpoint.step} already exists; not overwriting it`,
    );
  }
  const files = serializeCheckpoint(checkpoint, { dtype });
  const checksums = Object.fromEntries(Object.entries(files).map(([name, data]) => [name, sha256(data)]));
  return writeDirectoryAtomic(finalPath, {
    ...files,
    [CHECKSUMS]: `${JSON.stringify(checksums, null, 2)}\n`,
  });
}

/**
 * Reads a checkpoint directory; any missing, corrupt or inconsistent part is an error naming the file: a file
 * whose SHA-256 is not the one recorded when it was written (a bit flipped, a file truncated or edited), a step
 * that is not the one in the directory's name.
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const statePath = join(path, 'trainer-state.json');
  const state = await readFile(statePath, 'utf8').catch((error: Error) => {
    throw new CheckpointError(
      `${statePath}: cannot read (${describeFileError(error)}); is ${path} a checkpoint directory?`,
    );
  });
  const files: CheckpointFiles = {
    'trainer-state.json': state,
    'model.safetensors': await readBytes(join(path, 'model.safetensors')),
    'optimizer.safetensors': await readBytes(join(path, 'optimizer.safetensors')),
  };
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(files, path); // a malformed file: the parser names what is wrong
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError((error as Error).message); // e.g. a truncated safetensors file
  }
  await verifyChecksums(path, files); // a well-formed file with other contents than were written
  const named = /checkpoint-(\d+)$/.exec(path);
  if (named && Number(named[1]) !== checkpoint.step) {
    throw new CheckpointError(
      `${statePath}: says step ${checkpoint.step}, but the checkpoint is ${basename(path)}`,
    );
  }
  return checkpoint;
}

/** What `latestIntactCheckpoint` found: the newest checkpoint that loads, and the newer ones that did not. */
export interface IntactCheckpoint {
  found: { path: string; checkpoint: Checkpoint } | null;
  skipped: { path: string; reason: string }[];
}

/** The newest checkpoint of a run that loads and verifies, and the newer ones skipped (each with the reason). */
export async function latestIntactCheckpoint(runDirectory: string): Promise<IntactCheckpoint> {
  const skipped: { path: string; reason: string }[] = [];
  for (const { path } of (await listCheckpoints(runDirectory)).reverse()) {
    try {
      return { found: { path, checkpoint: await loadCheckpoint(path) }, skipped };
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      skipped.push({ path, reason: error.message });
    }
  }
  return { found: null, skipped };
}

async function verifyChecksums(path: string, files: CheckpointFiles): Promise<void> {
  const recordedText = await readFile(join(path, CHECKSUMS), 'utf8').catch(() => null);
  if (recordedText === null) return; // written before checksums were recorded
  let recorded: Record<string, unknown>;
  try {
    recorded = JSON.parse(recordedText) as Record<string, unknown>;
  } catch {
    throw new CheckpointError(`${join(path, CHECKSUMS)}: invalid JSON`);
  }
  for (const [name, data] of Object.entries(files)) {
    if (recorded[name] !== sha256(data)) {
      throw new CheckpointError(
        `${join(path, name)}: its SHA-256 is not the one recorded when it was written (a corrupted or edited file)`,
      );
    }
  }
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Checkpoint directories of a run, oldest first. Temporary (unfinished) directories are not listed. */
export async function listCheckpoints(runDirectory: string): Promise<{ step: number; path: string }[]> {
  const entries = await readdir(runDirectory).catch(() => [] as string[]);
  return entries
    .filter((name) => /^checkpoint-\d+$/.test(name))
    .map((name) => ({ step: Number(name.slice(PREFIX.length)), path: join(runDirectory, name) }))
    .sort((a, b) => a.step - b.step);
}

/** The newest complete checkpoint of a run, or null. */
export async function latestCheckpoint(runDirectory: string): Promise<string | null> {
  return (await listCheckpoints(runDirectory)).at(-1)?.path ?? null;
}

/** Deletes all but the last `keepLast` checkpoints and the ones named in `keep` (the best). */
export async function pruneCheckpoints(
  runDirectory: string,
  keepLast: number,
  keep: string[] = [],
): Promise<void> {
  const all = await listCheckpoints(runDirectory);
  const survivors = new Set([...all.slice(Math.max(0, all.length - keepLast)).map((c) => c.path), ...keep]);
  for (const { path } of all) if (!survivors.has(path)) await rm(path, { recursive: true, force: true });
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new CheckpointError(`${path}: cannot read (${describeFileError(error)})`);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
