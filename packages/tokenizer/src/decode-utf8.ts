const REPLACEMENT = '\uFFFD';

/**
 * UTF-8 → text the way SentencePiece decodes byte pieces (util.cc DecodeUTF8): each byte that does not start
 * a valid sequence (bad trail bytes, overlong forms, surrogates, beyond U+10FFFF, cut short) becomes one
 * U+FFFD, and decoding goes on at the next byte. TextDecoder would replace a whole broken sequence with a
 * single U+FFFD instead, so `[<0xE6>, <0x97>]` would decode to one character rather than SentencePiece's two.
 */
export function decodeUtf8(bytes: readonly number[]): string {
  let text = '';
  let index = 0;
  const trail = (at: number): number => {
    const byte = bytes[at];
    return byte !== undefined && (byte & 0xc0) === 0x80 ? byte & 0x3f : -1;
  };
  while (index < bytes.length) {
    const lead = bytes[index]!;
    let codePoint = -1;
    let length = 1;
    if (lead < 0x80) {
      codePoint = lead;
    } else if ((lead & 0xe0) === 0xc0) {
      const b1 = trail(index + 1);
      const value = ((lead & 0x1f) << 6) | b1;
      if (b1 >= 0 && value >= 0x80) [codePoint, length] = [value, 2];
    } else if ((lead & 0xf0) === 0xe0) {
      const [b1, b2] = [trail(index + 1), trail(index + 2)];
      const value = ((lead & 0x0f) << 12) | (b1 << 6) | b2;
      if (b1 >= 0 && b2 >= 0 && value >= 0x800 && (value < 0xd800 || value > 0xdfff)) {
        [codePoint, length] = [value, 3];
      }
    } else if ((lead & 0xf8) === 0xf0) {
      const [b1, b2, b3] = [trail(index + 1), trail(index + 2), trail(index + 3)];
      const value = ((lead & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3;
      if (b1 >= 0 && b2 >= 0 && b3 >= 0 && value >= 0x10000 && value <= 0x10ffff) {
        [codePoint, length] = [value, 4];
      }
    }
    text += codePoint < 0 ? REPLACEMENT : String.fromCodePoint(codePoint);
    index += codePoint < 0 ? 1 : length;
  }
  return text;
}
