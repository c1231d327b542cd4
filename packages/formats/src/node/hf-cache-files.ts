// The files of the huggingface_hub cache (see ./hf-hub.ts): checking a download against its ETag, and the
// snapshot links and missing-file markers.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { writeAtomic } from './atomic-files.js';

/** A git commit id (and a git blob id): 40 hex digits. */
export const COMMIT = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Whether the file matches its ETag; a message when it does not. ETags of other forms are not checked. */
export async function etagProblem(path: string, etag: string): Promise<string | null> {
  if (SHA256.test(etag)) {
    const actual = await digest(path, createHash('sha256'));
    return actual === etag ? null : `sha256 is ${actual}, the Hub says ${etag}`;
  }
  if (COMMIT.test(etag)) {
    // git's object id of a file: sha1 of "blob <size>\0" followed by the bytes.
    const hash = createHash('sha1').update(`blob ${(await stat(path)).size}\0`);
    const actual = await digest(path, hash);
    return actual === etag ? null : `git blob id is ${actual}, the Hub says ${etag}`;
  }
  return null;
}

async function digest(path: string, hash: ReturnType<typeof createHash>): Promise<string> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** snapshots/<commit>/<file> → ../../blobs/<etag>, relative as huggingface_hub makes it (a copy if links fail). */
export async function linkPointer(pointer: string, blob: string): Promise<void> {
  const target = relative(dirname(pointer), blob);
  const current = await readlink(pointer).catch(() => null);
  if (current === target) return;
  await mkdir(dirname(pointer), { recursive: true });
  await rm(pointer, { force: true });
  try {
    await symlink(target, pointer);
  } catch {
    await writeAtomic(pointer, await readFile(blob));
  }
}

export async function markMissing(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, '');
}

/** Whether a path leads to a file (a link whose blob is gone does not). */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
