// Data files are read as UTF-8. Bytes that are not UTF-8 (a Latin-1 or Windows-1252 file, a truncated
// download) become U+FFFD as every decoder does, but never silently: a warning names the file and the line
// of the first bad sequence, and how to convert the file if the replacement is wrong.
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';

/** The warning type (process.on('warning', w => w.name === INVALID_UTF8_WARNING)) of a file that is not UTF-8. */
export const INVALID_UTF8_WARNING = 'InvalidUtf8Warning';

/** A whole file's bytes as text; a warning (process.emitWarning) when they are not all UTF-8. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  if (!isUtf8(bytes)) warnInvalid(file, 1 + countNewlines(bytes.subarray(0, firstInvalidByte(bytes))));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** A file's text in chunks, streamed (bounded memory); one warning for the first bytes that are not UTF-8. */
export async function* utf8Chunks(path: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let carry = new Uint8Array(0);
  let newlines = 0;
  let warned = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const whole = bytes.length - incompleteTail(bytes); // a character split across chunks waits for the next
    const complete = bytes.subarray(0, whole);
    if (!warned && !isUtf8(complete)) {
      warnInvalid(path, 1 + newlines + countNewlines(complete.subarray(0, firstInvalidByte(complete))));
      warned = true;
    }
    newlines += countNewlines(complete);
    carry = Uint8Array.from(bytes.subarray(whole));
    yield decoder.decode(complete, { stream: true });
  }
  if (carry.length > 0 && !warned) warnInvalid(path, 1 + newlines); // the file ends inside a character
  const last = decoder.decode(carry);
  if (last) yield last;
}

function warnInvalid(file: string, line: number): void {
  process.emitWarning(
    `${file}:${line}: not valid UTF-8 (from this line on, bytes that are not were read as U+FFFD); if the file is in another encoding, convert it first, e.g. iconv -f latin1 -t utf-8`,
    INVALID_UTF8_WARNING,
  );
}

/** Where the first sequence that is not UTF-8 starts in `bytes` (which isUtf8 has refused). */
function firstInvalidByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    const length =
      lead < 0x80 ? 1 : lead < 0xc2 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf5 ? 4 : 0;
    if (length === 0 || !isUtf8(bytes.subarray(i, i + length))) return i;
    i += length;
  }
  return bytes.length;
}

/** How many bytes at the end of `bytes` begin a multi-byte character that they do not complete (0 to 3). */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) count++;
  return count;
}
