import { describe, expect, it } from 'vitest';
import { ByteTokenizer } from './index.js';

describe('ByteTokenizer', () => {
  const tokenizer = new ByteTokenizer();
  it.each(['', 'plain ascii', 'héllo 日本 🦙', '  spaces\tand\nlines '])('round-trips %j', (text) => {
    const ids = tokenizer.encode(text, { bos: true, eos: true });
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(2);
    expect(ids.length).toBe(new TextEncoder().encode(text).length + 2);
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it('maps byte b to id b + 3', () => {
    expect(tokenizer.encode('A\n')).toEqual([65 + 3, 10 + 3]);
    expect(tokenizer.vocabSize).toBe(259);
  });
});
