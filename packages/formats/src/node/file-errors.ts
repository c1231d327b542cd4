// Node's file errors read "ENOENT: no such file or directory, open '/a/b'": the code first and the path last.
// An error we show names the file first and says what went wrong in words, with the code for a search engine.

const MEANINGS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, where a file was expected',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  ENOTEMPTY: 'the directory is not empty',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EFBIG: "the file would exceed the system's file size limit",
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this system',
  ENAMETOOLONG: 'the file name is too long',
  ELOOP: 'too many symbolic links in the path',
  EIO: 'an input/output error (a failing disk or a network file system that went away?)',
  EBUSY: 'the resource is busy',
  EXDEV: 'cannot rename across file systems',
};

/** The operating system's error code of a failed file operation, when it has one. */
export function fileErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * What a failed file operation means, in words, with its code: "no such file or directory (ENOENT)". Other
 * errors keep their message.
 */
export function describeFileError(error: unknown): string {
  const code = fileErrorCode(error);
  if (code && MEANINGS[code]) return `${MEANINGS[code]} (${code})`;
  const message = error instanceof Error ? error.message : String(error);
  // An errno message we have no words for: drop the "CODE: " prefix and the ", syscall 'path'" suffix.
  return code ? `${message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')} (${code})` : message;
}

/**
 * A Node file error as "PATH: what went wrong (CODE)", or null for any other error. `path` names the file when
 * the error does not (a read of a directory reports no path).
 */
export function fileErrorMessage(error: unknown, path?: string): string | null {
  const code = fileErrorCode(error);
  const own = (error as { path?: unknown } | null)?.path;
  path = typeof own === 'string' ? own : path;
  if (!code || path === undefined) return null;
  const dest = (error as { dest?: unknown }).dest;
  return `${path}${typeof dest === 'string' ? ` → ${dest}` : ''}: ${describeFileError(error)}`;
}

/**
 * A failed write on an open file reports no path ("EFBIG: file too large, write"): gives the error the path of
 * the file the caller was writing (the one the user knows, not a temporary), so its message names it. Errors
 * that name a file already, and other errors, are returned as they are.
 */
export function withFilePath(error: unknown, path: string): unknown {
  if (fileErrorCode(error) && !('path' in (error as object))) Object.assign(error as object, { path });
  return error;
}
