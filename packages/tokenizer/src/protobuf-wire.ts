// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/), just enough of it for
// SentencePiece's ModelProto: varints, 32-bit floats, strings, bytes and nested messages. Groups (wire types
// 3 and 4) are long deprecated and rejected.

export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** A field as it sits on the wire; its meaning (int32, bool, string, message, …) is the schema's to say. */
export interface ProtobufField {
  number: number;
  wireType: WireType;
  /** The value of a varint field read as a signed 64-bit integer (exact up to 2^53); 0 for the others. */
  varint: number;
  /** The payload of a length-delimited, fixed32 or fixed64 field; empty for a varint. */
  bytes: Uint8Array;
  /** Where the field's tag starts, from the start of the outermost message. */
  offset: number;
  /** Where `bytes` starts, likewise: a nested message's fields are read from there. */
  payloadOffset: number;
}

/** A malformed message; `path` names the message ("pieces[3]") and `offset` the byte. */
export class ProtobufError extends Error {
  override name = 'ProtobufError';
  constructor(
    readonly path: string,
    readonly offset: number,
    problem: string,
  ) {
    super(`${path}: ${problem} at byte ${offset}`);
  }
}

const EMPTY = new Uint8Array(0);

/** Splits one message into its fields, in file order. `baseOffset` is where `bytes` sits in the file. */
export function readFields(bytes: Uint8Array, path: string, baseOffset = 0): ProtobufField[] {
  const cursor = new Cursor(bytes, path, baseOffset);
  const fields: ProtobufField[] = [];
  while (cursor.offset < bytes.length) {
    const offset = baseOffset + cursor.offset;
    const tag = cursor.varint();
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (number === 0) cursor.fail('field number 0 is invalid', offset);
    const payloadOffset = baseOffset + cursor.offset;
    if (wireType === WireType.varint) {
      fields.push({ number, wireType, offset, payloadOffset, varint: cursor.varint(), bytes: EMPTY });
    } else if (wireType === WireType.fixed32 || wireType === WireType.fixed64) {
      const payload = cursor.take(wireType === WireType.fixed32 ? 4 : 8, number);
      fields.push({ number, wireType, offset, payloadOffset, varint: 0, bytes: payload });
    } else if (wireType === WireType.lengthDelimited) {
      const length = cursor.varint();
      const payload = cursor.take(length, number);
      fields.push({
        number,
        wireType,
        offset,
        payloadOffset: payloadOffset + varintSize(length),
        varint: 0,
        bytes: payload,
      });
    } else {
      cursor.fail(`field ${number} has wire type ${wireType}, which is not one of 0, 1, 2, 5`, offset);
    }
  }
  return fields;
}

class Cursor {
  offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly path: string,
    private readonly baseOffset: number,
  ) {}

  fail(problem: string, at = this.baseOffset + this.offset): never {
    throw new ProtobufError(this.path, at, problem);
  }

  varint(): number {
    const bytes = this.bytes;
    let value = 0;
    let scale = 1;
    for (let index = 0; index < 10; index++) {
      if (this.offset >= bytes.length) this.fail('truncated varint');
      const byte = bytes[this.offset++]!;
      value += (byte & 0x7f) * scale;
      scale *= 0x80;
      if (byte < 0x80)
        return index < 7 ? value : wideVarint(bytes.subarray(this.offset - index - 1, this.offset));
    }
    return this.fail('varint longer than 10 bytes');
  }

  take(length: number, field: number): Uint8Array {
    const left = this.bytes.length - this.offset;
    if (length > left) this.fail(`field ${field} is truncated: needs ${length} bytes, ${left} left`);
    this.offset += length;
    return this.bytes.subarray(this.offset - length, this.offset);
  }
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

/** A varint of 8 to 10 bytes (a negative int32 or int64 takes 10) as a signed 64-bit value. */
function wideVarint(encoded: Uint8Array): number {
  let value = 0n;
  encoded.forEach((byte, index) => {
    value |= BigInt(byte & 0x7f) << BigInt(7 * index);
  });
  return Number(BigInt.asIntN(64, value));
}

/** Reads typed values out of fields, naming the field when the wire type does not fit the schema. */
export class FieldReader {
  constructor(readonly path: string) {}

  private expect(field: ProtobufField, wireType: WireType, name: string, kind: string): void {
    if (field.wireType !== wireType) {
      throw new ProtobufError(
        `${this.path}.${name}`,
        field.offset,
        `expected a ${kind} (wire type ${wireType}), found wire type ${field.wireType}`,
      );
    }
  }

  /** int32 and enums: protobuf keeps the low 32 bits of a wider value. */
  int32(field: ProtobufField, name: string): number {
    this.expect(field, WireType.varint, name, 'varint');
    const value = field.varint;
    return value >= -(2 ** 31) && value < 2 ** 31 ? value : Number(BigInt.asIntN(32, BigInt(value)));
  }

  bool(field: ProtobufField, name: string): boolean {
    this.expect(field, WireType.varint, name, 'varint');
    return field.varint !== 0;
  }

  float(field: ProtobufField, name: string): number {
    this.expect(field, WireType.fixed32, name, 'float');
    return new DataView(field.bytes.buffer, field.bytes.byteOffset, 4).getFloat32(0, true);
  }

  bytes(field: ProtobufField, name: string): Uint8Array {
    this.expect(field, WireType.lengthDelimited, name, 'length-delimited field');
    return field.bytes;
  }

  string(field: ProtobufField, name: string): string {
    const bytes = this.bytes(field, name);
    try {
      return UTF8.decode(bytes);
    } catch {
      throw new ProtobufError(`${this.path}.${name}`, field.offset, 'is not valid UTF-8');
    }
  }
}

// ignoreBOM: a piece may be U+FEFF itself (Llama 2's piece 30143), which TextDecoder would drop.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Builds one message. Fields are written in the order they are added. */
export class ProtobufWriter {
  private buffer = new Uint8Array(256);
  private length = 0;
  private static readonly encoder = new TextEncoder();

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  private rawVarint(value: number): void {
    this.reserve(10);
    if (value < 0) {
      // Negative int32s are sign-extended to 64 bits and take 10 bytes, as protobuf specifies.
      let rest = BigInt.asUintN(64, BigInt(value));
      while (rest >= 0x80n) {
        this.buffer[this.length++] = Number(rest & 0x7fn) | 0x80;
        rest >>= 7n;
      }
      this.buffer[this.length++] = Number(rest);
      return;
    }
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
  }

  private tag(number: number, wireType: WireType): void {
    this.rawVarint(number * 8 + wireType);
  }

  int32(number: number, value: number): this {
    this.tag(number, WireType.varint);
    this.rawVarint(value);
    return this;
  }

  bool(number: number, value: boolean): this {
    return this.int32(number, value ? 1 : 0);
  }

  float(number: number, value: number): this {
    this.tag(number, WireType.fixed32);
    this.reserve(4);
    new DataView(this.buffer.buffer).setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  bytes(number: number, value: Uint8Array): this {
    this.tag(number, WireType.lengthDelimited);
    this.rawVarint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  string(number: number, value: string): this {
    return this.bytes(number, ProtobufWriter.encoder.encode(value));
  }

  message(number: number, message: ProtobufWriter): this {
    return this.bytes(number, message.finish());
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}
