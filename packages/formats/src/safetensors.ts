/**
 * The safetensors format (huggingface/safetensors, README "Format"): an 8-byte little-endian unsigned header
 * length N, N bytes of JSON header, then the raw tensor bytes. The header maps each tensor name to
 * `{dtype, shape, data_offsets: [begin, end]}`, offsets counted from the first byte after the header, plus an
 * optional `__metadata__` map of strings to strings.
 *
 * Pure: works on bytes in memory, so it runs in browsers too. Typed arrays use the platform's byte order; the
 * file's is little-endian, as is every platform tfjs runs on.
 */

import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from './half-precision.js';
import { type NamedTensor, type StorageDtype, WeightFileError } from './state-dict.js';

const BYTES_PER_ELEMENT: Record<StorageDtype, number> = { F32: 4, F16: 2, BF16: 2 };

// Every other dtype the format defines (safetensors/src/tensor.rs, `enum Dtype`): a file may hold them, we
// cannot turn them into float32 weights, and the error should say so rather than call them unknown.
const UNSUPPORTED_DTYPES = new Set([
  'BOOL',
  'U8',
  'I8',
  'I16',
  'U16',
  'I32',
  'U32',
  'I64',
  'U64',
  'F64',
  'C64',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F6_E2M3',
  'F6_E3M2',
  'F4',
]);

const HEADER_LENGTH_BYTES = 8;
const METADATA_KEY = '__metadata__';

export interface SafetensorsTensorInfo {
  name: string;
  dtype: StorageDtype;
  shape: number[];
  dataOffsets: [begin: number, end: number]; // bytes, from the first byte after the header
}

export interface SafetensorsHeader {
  metadata: Record<string, string>; // `__metadata__`, or {} when the file has none
  tensors: SafetensorsTensorInfo[]; // in the order of their data in the file
  dataStart: number; // where the data section starts: 8 + the header length
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>; // converted to float32, in the order of their data in the file
  metadata: Record<string, string>;
  dtypes: Set<StorageDtype>; // the storage dtypes found, e.g. to write the file back as it came
}

export interface SerializeSafetensorsOptions {
  dtype: StorageDtype; // every tensor is stored in this dtype
  metadata?: Record<string, string>; // HF writes {format: 'pt'}
}

/**
 * Reads and validates the header only: names, dtypes, shapes and where each tensor's bytes lie. `bytes` is the
 * file or its beginning (at least the header); `fileSize` is the whole file's, to check the data offsets.
 */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  fileName: string,
  fileSize: number = bytes.length,
): SafetensorsHeader {
  if (bytes.length < HEADER_LENGTH_BYTES) {
    throw new WeightFileError(
      fileName,
      `file is ${bytes.length} bytes, too short for the 8-byte header length of a safetensors file`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32; // u64, little-endian
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  if (dataStart > bytes.length) {
    throw new WeightFileError(
      fileName,
      `header length ${headerLength} bytes runs past the end of the file (${bytes.length} bytes)`,
    );
  }

  let headerText = '';
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(HEADER_LENGTH_BYTES, dataStart),
    );
  } catch {
    throw new WeightFileError(fileName, 'header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (error) {
    throw new WeightFileError(fileName, `header is not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(header)) {
    throw new WeightFileError(fileName, `header is not a JSON object (got ${describeJson(header)})`);
  }

  const dataLength = fileSize - dataStart;
  let metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      metadata = readMetadata(entry, fileName);
      continue;
    }
    const info = readTensorInfo(name, entry, fileName);
    const [begin, end] = info.dataOffsets;
    if (end > dataLength) {
      throw new WeightFileError(
        fileName,
        `tensor "${name}": data_offsets [${begin}, ${end}] run past the end of the data section (${dataLength} bytes)`,
      );
    }
    tensors.push(info);
  }

  // Overlapping tensors would alias each other's bytes: a corrupt or hostile file. (The Rust library also
  // rejects gaps; a gap hides no data, so we let it pass.)
  // By begin, then end: an empty tensor at another's begin sorts first and overlaps nothing.
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  for (let i = 1; i < tensors.length; i++) {
    const previous = tensors[i - 1]!;
    const current = tensors[i]!;
    if (current.dataOffsets[0] < previous.dataOffsets[1]) {
      throw new WeightFileError(
        fileName,
        `tensors "${previous.name}" and "${current.name}" overlap ` +
          `(data_offsets [${previous.dataOffsets.join(', ')}] and [${current.dataOffsets.join(', ')}])`,
      );
    }
  }
  return { metadata, tensors, dataStart };
}

/** Every tensor of a safetensors file, converted to float32, with the header's metadata. */
export function parseSafetensors(bytes: Uint8Array, fileName: string): SafetensorsFile {
  const { metadata, tensors: infos, dataStart } = readSafetensorsHeader(bytes, fileName);
  const tensors = new Map<string, NamedTensor>();
  const dtypes = new Set<StorageDtype>();
  for (const { name, dtype, shape, dataOffsets } of infos) {
    // slice() copies into a fresh, aligned buffer that the returned tensor owns.
    const raw = bytes.slice(dataStart + dataOffsets[0], dataStart + dataOffsets[1]);
    tensors.set(name, { shape: [...shape], data: decodeTensorBytes(raw, dtype) });
    dtypes.add(dtype);
  }
  return { tensors, metadata, dtypes };
}

/**
 * One tensor's bytes as float32. `raw` must own an aligned buffer from its first byte (a `slice()` or a fresh
 * read); F32 data is viewed, not copied.
 */
export function decodeTensorBytes(raw: Uint8Array, dtype: StorageDtype): Float32Array {
  if (raw.byteOffset !== 0) throw new Error('decodeTensorBytes: raw must start its own buffer');
  if (dtype === 'F32') return new Float32Array(raw.buffer, 0, raw.byteLength / 4);
  const halves = new Uint16Array(raw.buffer, 0, raw.byteLength / 2);
  return dtype === 'F16' ? float16ToFloat32(halves) : bfloat16ToFloat32(halves);
}

/**
 * Writes tensors as the Rust library does: tensors sorted by name (all share one dtype), data packed in that
 * order, the JSON header padded with spaces to a multiple of 8 bytes so the data section starts aligned.
 */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, NamedTensor>,
  { dtype, metadata }: SerializeSafetensorsOptions,
): Uint8Array {
  if (!isStorageDtype(dtype)) {
    throw new Error(`serializeSafetensors: dtype must be F32, F16 or BF16, got ${String(dtype)}`);
  }
  const names = [...tensors.keys()].sort(); // UTF-16 order = the Rust library's byte order for ASCII names
  const entries: string[] = [];
  if (metadata) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') {
        throw new Error(`serializeSafetensors: metadata "${key}" must be a string, got ${typeof value}`);
      }
    }
    entries.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }

  const encoded: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors.get(name)!;
    if (name === METADATA_KEY) throw new Error(`serializeSafetensors: "${METADATA_KEY}" is reserved`);
    if (data.length !== elementCount(shape)) {
      throw new Error(
        `serializeSafetensors: tensor "${name}" has ${data.length} values, shape [${shape.join(', ')}] needs ${elementCount(shape)}`,
      );
    }
    const stored =
      dtype === 'F32' ? data : dtype === 'F16' ? float32ToFloat16(data) : float32ToBfloat16(data);
    const storedBytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
    // Built by hand rather than as one object: JS would move integer-like names ("0") to the front.
    const info = { dtype, shape, data_offsets: [offset, offset + storedBytes.length] };
    entries.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    encoded.push(storedBytes);
    offset += storedBytes.length;
  }

  const headerBytes = new TextEncoder().encode(`{${entries.join(',')}}`);
  const paddedLength = Math.ceil(headerBytes.length / 8) * 8;
  const out = new Uint8Array(HEADER_LENGTH_BYTES + paddedLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, paddedLength, true); // u64 little-endian; a header never reaches 4 GiB
  view.setUint32(4, 0, true);
  out.set(headerBytes, HEADER_LENGTH_BYTES);
  out.fill(0x20, HEADER_LENGTH_BYTES + headerBytes.length, HEADER_LENGTH_BYTES + paddedLength); // spaces
  let position = HEADER_LENGTH_BYTES + paddedLength;
  for (const storedBytes of encoded) {
    out.set(storedBytes, position);
    position += storedBytes.length;
  }
  return out;
}

function readMetadata(entry: unknown, fileName: string): Record<string, string> {
  if (!isRecord(entry)) {
    throw new WeightFileError(fileName, `${METADATA_KEY} is not a JSON object (got ${describeJson(entry)})`);
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value !== 'string') {
      throw new WeightFileError(
        fileName,
        `${METADATA_KEY}."${key}" must be a string, got ${describeJson(value)}`,
      );
    }
    metadata[key] = value;
  }
  return metadata;
}

function readTensorInfo(name: string, entry: unknown, fileName: string): SafetensorsTensorInfo {
  if (!isRecord(entry)) {
    throw new WeightFileError(
      fileName,
      `tensor "${name}": entry is not a JSON object (got ${describeJson(entry)})`,
    );
  }
  const { dtype, shape, data_offsets: offsets } = entry;
  if (!isStorageDtype(dtype)) {
    if (typeof dtype === 'string' && UNSUPPORTED_DTYPES.has(dtype)) {
      throw new WeightFileError(
        fileName,
        `tensor "${name}" has dtype ${dtype}, which is not supported (only F32, F16 and BF16)`,
      );
    }
    throw new WeightFileError(fileName, `tensor "${name}" has unknown dtype ${describeJson(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new WeightFileError(
      fileName,
      `tensor "${name}": shape must be an array of non-negative integers, got ${describeJson(shape)}`,
    );
  }
  if (!isOffsetPair(offsets)) {
    throw new WeightFileError(
      fileName,
      `tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end, got ${describeJson(offsets)}`,
    );
  }
  const [begin, end] = offsets;
  const byteLength = elementCount(shape) * BYTES_PER_ELEMENT[dtype];
  if (byteLength !== end - begin) {
    throw new WeightFileError(
      fileName,
      `tensor "${name}": shape [${shape.join(', ')}] of ${dtype} needs ${byteLength} bytes, ` +
        `but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape, dataOffsets: [begin, end] };
}

function isOffsetPair(value: unknown): value is [number, number] {
  return (
    Array.isArray(value) && value.length === 2 && value.every(isNonNegativeInteger) && value[0]! <= value[1]!
  );
}

function isStorageDtype(value: unknown): value is StorageDtype {
  return typeof value === 'string' && Object.hasOwn(BYTES_PER_ELEMENT, value);
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function describeJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
