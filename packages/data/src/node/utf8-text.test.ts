import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadTask } from './load-task.js';
import { readDocuments } from './read-documents.js';
import { decodeUtf8, INVALID_UTF8_WARNING, utf8Chunks } from './utf8-text.js';

let warnings: string[] = [];
const listen = (warning: Error) => {
  if (warning.name === INVALID_UTF8_WARNING) warnings.push(warning.message);
};
beforeEach(() => {
  warnings = [];
  process.on('warning', listen);
});
afterEach(() => {
  process.off('warning', listen);
});
const settle = () => new Promise((done) => setTimeout(done, 10)); // warnings are emitted on the next tick

describe('reading data as UTF-8', () => {
  it('says which file and line holds bytes that are not UTF-8, and reads them as U+FFFD', async () => {
    const latin1 = Buffer.from('good film\tpositive\ncaf\xe9 au lait\tnegative\n', 'latin1');
    expect(decodeUtf8(latin1, 'reviews.tsv')).toBe('good film\tpositive\ncaf\uFFFD au lait\tnegative\n');
    await settle();
    expect(warnings).toEqual([
      'reviews.tsv:2: not valid UTF-8 (from this line on, bytes that are not were read as U+FFFD); if the file is in another encoding, convert it first, e.g. iconv -f latin1 -t utf-8',
    ]);
    const dir = await temporaryDirectory();
    await writeFile(join(dir, 'r.tsv'), latin1);
    const dataset = await loadTask(`tsv:${join(dir, 'r.tsv')}`);
    await settle();
    expect(dataset.examples[1]?.text).toBe('caf\uFFFD au lait');
    expect(warnings[1]).toMatch(/r\.tsv:2: not valid UTF-8/);
  });

  it('stays quiet on valid UTF-8, including characters split across the stream chunks', async () => {
    const dir = await temporaryDirectory();
    const path = join(dir, 'accents.txt');
    // 3-byte and 4-byte characters at every offset modulo 64 KiB's chunk boundaries.
    const line = 'é€😀 naïve café — ';
    const text = Array.from({ length: 20_000 }, (_, i) => `${line}${i}\n`).join('');
    await writeFile(path, text);
    let read = '';
    for await (const chunk of utf8Chunks(path)) read += chunk;
    expect(read).toBe(text);
    expect(decodeUtf8(Buffer.from(text), path)).toBe(text);
    await settle();
    expect(warnings).toEqual([]);
  });

  it('warns once per streamed file, at the line of the first bad byte, however far into the file', async () => {
    const dir = await temporaryDirectory();
    const path = join(dir, 'story.txt');
    const good = 'The fox ran. '.repeat(10_000); // 130 kB: the bad byte is in a later chunk
    await writeFile(
      path,
      Buffer.concat([Buffer.from(`${good}\n${good}\n`), Buffer.from([0xff, 0x41, 0x0a, 0xc3])]),
    );
    const documents: string[] = [];
    for await (const document of readDocuments(path, { format: 'text' })) documents.push(document);
    await settle();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/story\.txt:3: not valid UTF-8/);
    expect(documents.join('')).toContain('\uFFFDA');
  });
});
