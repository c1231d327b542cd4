/**
 * NumPy's .npy format, version 1.0 (numpy/lib/format.py, NEP 1): the magic "\x93NUMPY", the version bytes
 * 1 0, a little-endian uint16 header length, then a Python dict literal padded with spaces and one "\n" so
 * that magic + header is a multiple of 64 bytes (aligned data for memory mapping), then the raw array.
 * Only what the CLI writes is supported: little-endian float32, C order.
 */
const MAGIC = [0x93, ...new TextEncoder().encode('NUMPY')];
const ALIGNMENT = 64;
const PREAMBLE = MAGIC.length + 2 + 2; // magic, version, header length

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

export function serializeNpy({ shape, data }: NpyArray): Uint8Array {
  const count = shape.reduce((product, size) => product * size, 1);
  if (shape.some((size) => !Number.isInteger(size) || size < 0) || count !== data.length) {
    throw new Error(`serializeNpy: shape [${shape}] does not hold ${data.length} values`);
  }
  // A 1-tuple needs its trailing comma in Python: (5,)
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = PREAMBLE + dict.length + 1; // + the final "\n"
  const headerLength = dict.length + 1 + ((ALIGNMENT - (unpadded % ALIGNMENT)) % ALIGNMENT);
  if (headerLength > 0xffff)
    throw new Error(`serializeNpy: header of ${headerLength} bytes needs format 2.0`);
  const header = `${dict.padEnd(headerLength - 1, ' ')}\n`;

  const bytes = new Uint8Array(PREAMBLE + headerLength + data.length * 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes[6] = 1; // major version
  bytes[7] = 0; // minor version
  view.setUint16(8, headerLength, true);
  for (let i = 0; i < header.length; i++) bytes[PREAMBLE + i] = header.charCodeAt(i);
  const offset = PREAMBLE + headerLength;
  for (let i = 0; i < data.length; i++) view.setFloat32(offset + 4 * i, data[i]!, true);
  return bytes;
}

/** Reads back what serializeNpy writes (little-endian float32, C order, format 1.0). */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < PREAMBLE || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new Error('parseNpy: not a .npy file (no \\x93NUMPY magic)');
  }
  if (bytes[6] !== 1 || bytes[7] !== 0)
    throw new Error(`parseNpy: version ${bytes[6]}.${bytes[7]}, expected 1.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint16(8, true);
  const header = new TextDecoder('latin1').decode(bytes.subarray(PREAMBLE, PREAMBLE + headerLength));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortranOrder = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== '<f4' || fortranOrder !== 'False' || shapeText === undefined) {
    throw new Error(`parseNpy: unsupported header ${header.trim()} (expected '<f4', C order)`);
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((product, size) => product * size, 1);
  const offset = PREAMBLE + headerLength;
  if (bytes.length !== offset + 4 * count) {
    throw new Error(`parseNpy: ${bytes.length - offset} data bytes, shape (${shape}) needs ${4 * count}`);
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + 4 * i, true);
  return { shape, data };
}
