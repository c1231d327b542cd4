/**
 * Safetensors files read a tensor at a time: the header first (names, dtypes, shapes, byte ranges; nothing else
 * is read until every shard's header has been checked), then each tensor's bytes into a buffer of its own. Memory
 * holds one tensor's bytes and its float32 values at a time, never a whole shard.
 */
import { type FileHandle, open } from 'node:fs/promises';
import {
  decodeTensorBytes,
  readSafetensorsHeader,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
} from '../safetensors.js';
import { type NamedTensor, nonFiniteTensorProblem, WeightFileError } from '../state-dict.js';
import { describeFileError } from './file-errors.js';

const HEADER_LENGTH_BYTES = 8;
/** A header longer than this is not a checkpoint's (the Rust library's limit is 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsShard {
  file: string;
  header: SafetensorsHeader;
}

/** Reads and checks a safetensors file's header without reading its data. */
export async function readShardHeader(file: string): Promise<SafetensorsShard> {
  return withFile(file, async (handle, size) => {
    const lengthBytes = await readRange(handle, file, 0, Math.min(HEADER_LENGTH_BYTES, size));
    if (lengthBytes.length < HEADER_LENGTH_BYTES)
      return { file, header: readSafetensorsHeader(lengthBytes, file) };
    const view = new DataView(lengthBytes.buffer);
    const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
    if (headerLength > MAX_HEADER_BYTES) {
      throw new WeightFileError(
        file,
        `header length ${headerLength} bytes is beyond any checkpoint's (corrupt file?)`,
      );
    }
    const end = Math.min(size, HEADER_LENGTH_BYTES + headerLength);
    const prefix = await readRange(handle, file, 0, end);
    return { file, header: readSafetensorsHeader(prefix, file, size) };
  });
}

/**
 * Every tensor of a shard as float32, in the order of its data, each read when the consumer asks for it; a
 * tensor holding NaN or Infinity is refused, naming it.
 */
export async function* readShardTensors(
  shard: SafetensorsShard,
): AsyncGenerator<[name: string, tensor: NamedTensor, info: SafetensorsTensorInfo]> {
  const handle = await openFile(shard.file);
  try {
    const { tensors, dataStart } = shard.header;
    for (const info of tensors) {
      const [begin, end] = info.dataOffsets;
      const raw = await readRange(handle, shard.file, dataStart + begin, dataStart + end);
      const tensor = { shape: [...info.shape], data: decodeTensorBytes(raw, info.dtype) };
      const problem = nonFiniteTensorProblem([[info.name, tensor]]);
      if (problem) throw new WeightFileError(shard.file, problem);
      yield [info.name, tensor, info];
    }
  } finally {
    await handle.close();
  }
}

async function withFile<T>(file: string, use: (handle: FileHandle, size: number) => Promise<T>): Promise<T> {
  const handle = await openFile(file);
  try {
    return await use(handle, (await handle.stat()).size);
  } finally {
    await handle.close();
  }
}

async function openFile(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (error) {
    throw new WeightFileError(file, `cannot read: ${describeFileError(error)}`);
  }
}

/** Bytes [begin, end) of the file in a buffer of their own (aligned for any typed array). */
async function readRange(handle: FileHandle, file: string, begin: number, end: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(end - begin);
  let done = 0;
  try {
    while (done < bytes.length) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, begin + done);
      if (bytesRead === 0)
        throw new Error(`the file ended at byte ${begin + done} (truncated while reading?)`);
      done += bytesRead;
    }
  } catch (error) {
    if (error instanceof WeightFileError) throw error;
    throw new WeightFileError(file, `cannot read: ${describeFileError(error)}`);
  }
  return bytes;
}
