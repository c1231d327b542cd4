import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { withFilePath } from './file-errors.js';

// Every file mini-llama writes that a reader may trust afterwards (weights, manifests, checkpoints, run
// configurations) is written whole or not at all: to a temporary name in the same directory (so that the
// rename is atomic on one file system), synced to disk, then renamed over the target. A crash at any point
// leaves the old file or the new one, and at worst a temporary that `isTemporaryName` recognises.

const TEMPORARY = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** A temporary name beside `path`: `.name.<12 hex digits>.tmp`, hidden and recognisable as unfinished. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Whether a directory entry is a temporary this module made (an interrupted write leaves one behind). */
export function isTemporaryName(name: string): boolean {
  return TEMPORARY.test(name);
}

/** Writes `path` whole or not at all (see above); its directory is created when missing. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryPathFor(path);
  try {
    await writeSynced(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw withFilePath(error, path);
  }
  await syncDirectory(dirname(path));
}

/**
 * Writes a directory of files whole or not at all: each file synced inside a temporary directory, which is
 * then renamed to `path` (which must not exist). Returns `path`.
 */
export async function writeDirectoryAtomic(
  path: string,
  files: Readonly<Record<string, string | Uint8Array>>,
): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryPathFor(path);
  await mkdir(temporary);
  try {
    for (const [name, data] of Object.entries(files)) {
      await writeSynced(join(temporary, name), data).catch((error: unknown) => {
        throw withFilePath(error, join(path, name));
      });
    }
    await syncDirectory(temporary);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw withFilePath(error, path);
  }
  await syncDirectory(dirname(path));
  return path;
}

async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
