import { describe, expect, it } from 'vitest';
import { FieldReader, ProtobufError, ProtobufWriter, readFields, WireType } from './protobuf-wire.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('protobuf wire format', () => {
  it('writes the encodings of the protobuf guide', () => {
    // protobuf.dev/programming-guides/encoding: field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 74…67.
    expect(hex(new ProtobufWriter().int32(1, 150).finish())).toBe('089601');
    expect(hex(new ProtobufWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    // A negative int32 is sign-extended to 64 bits: ten bytes.
    expect(hex(new ProtobufWriter().int32(43, -1).finish())).toBe('d802ffffffffffffffffff01');
    // 1.5f little-endian is 00 00 c0 3f; field 2, wire type 5 → tag 0x15.
    expect(hex(new ProtobufWriter().float(2, 1.5).finish())).toBe('150000c03f');
  });

  it('reads back what it writes, nested messages included', () => {
    const inner = new ProtobufWriter().string(1, '▁the').float(2, -3).int32(3, 6);
    const bytes = new ProtobufWriter().message(1, inner).int32(43, -1).bool(35, true).finish();
    const fields = readFields(bytes, 'Model');
    expect(fields.map(({ number, wireType }) => [number, wireType])).toEqual([
      [1, WireType.lengthDelimited],
      [43, WireType.varint],
      [35, WireType.varint],
    ]);
    const reader = new FieldReader('Model');
    expect(reader.int32(fields[1]!, 'pad_id')).toBe(-1);
    expect(reader.bool(fields[2]!, 'byte_fallback')).toBe(true);
    const nested = readFields(
      reader.bytes(fields[0]!, 'pieces'),
      'Model.pieces[0]',
      fields[0]!.payloadOffset,
    );
    const piece = new FieldReader('Model.pieces[0]');
    expect(piece.string(nested[0]!, 'piece')).toBe('▁the');
    expect(piece.float(nested[1]!, 'score')).toBe(-3);
    expect(piece.int32(nested[2]!, 'type')).toBe(6);
    expect(nested[0]!.offset).toBe(2); // absolute: after the outer tag and length
  });

  it('reports truncation and bad wire types with the message path and the byte', () => {
    const bytes = new ProtobufWriter().string(1, 'hello').finish();
    expect(() => readFields(bytes.subarray(0, 4), 'ModelProto')).toThrow(
      new ProtobufError('ModelProto', 2, 'field 1 is truncated: needs 5 bytes, 2 left'),
    );
    expect(() => readFields(Uint8Array.of(0x08, 0x96), 'ModelProto')).toThrow(
      'ModelProto: truncated varint at byte 2',
    );
    expect(() => readFields(Uint8Array.of(0x0b), 'ModelProto')).toThrow(
      'ModelProto: field 1 has wire type 3, which is not one of 0, 1, 2, 5 at byte 0',
    );
    const [field] = readFields(bytes, 'ModelProto');
    expect(() => new FieldReader('ModelProto').float(field!, 'score')).toThrow(
      'ModelProto.score: expected a float (wire type 5), found wire type 2 at byte 0',
    );
  });
});
