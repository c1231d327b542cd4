import { readFile, writeFile } from 'node:fs/promises';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { describeFileError, fileErrorMessage, withFilePath } from './file-errors.js';

describe('file errors in words', () => {
  it('names the file first and says what went wrong, with the code', async () => {
    const missing = await readFile('/no/such/file.json').catch((error: unknown) => error);
    expect(describeFileError(missing)).toBe('no such file or directory (ENOENT)');
    expect(fileErrorMessage(missing)).toBe('/no/such/file.json: no such file or directory (ENOENT)');
    const dir = await temporaryDirectory();
    const isDirectory = await readFile(dir).catch((error: unknown) => error);
    expect(fileErrorMessage(isDirectory, dir)).toBe(
      `${dir}: is a directory, where a file was expected (EISDIR)`,
    );
    const notDirectory = await writeFile('/etc/hostname/x', '').catch((error: unknown) => error);
    expect(fileErrorMessage(notDirectory)).toBe(
      '/etc/hostname/x: a part of the path is not a directory (ENOTDIR)',
    );
  });

  it('keeps other errors as they are, and words an unknown code without its syscall', () => {
    expect(describeFileError(new Error('bad header'))).toBe('bad header');
    expect(fileErrorMessage(new Error('bad header'))).toBeNull();
    const odd = Object.assign(new Error("EWHATEVER: strange thing, open '/x'"), {
      code: 'EWHATEVER',
      path: '/x',
    });
    expect(fileErrorMessage(odd)).toBe('/x: strange thing (EWHATEVER)');
  });

  it('gives a failed write the path of the file being written when the error has none', () => {
    const full = Object.assign(new Error('EFBIG: file too large, write'), { code: 'EFBIG' });
    expect(fileErrorMessage(full)).toBeNull();
    expect(fileErrorMessage(withFilePath(full, '/runs/a/metrics.jsonl'))).toBe(
      "/runs/a/metrics.jsonl: the file would exceed the system's file size limit (EFBIG)",
    );
    const named = Object.assign(new Error('x'), { code: 'ENOENT', path: '/first' });
    expect((withFilePath(named, '/second') as { path: string }).path).toBe('/first');
    const plain = new Error('not a file error');
    expect(withFilePath(plain, '/p')).not.toHaveProperty('path');
  });
});
