import type { Tokenizer } from '@mini-llama/tokenizer';

const REPLACEMENT = '\uFFFD';

/**
 * Text of generated ids as it grows, for streaming. Each call decodes the prompt and everything generated so
 * far and returns only the new text, so tokens that merge (a multi-byte character split over byte tokens, a
 * SentencePiece "▁" that only becomes a space after the prompt) come out right. Trailing U+FFFD is held back
 * while it may still be an incomplete character.
 */
export class TextStream {
  private readonly tokenizer: Tokenizer;
  private readonly promptIds: number[];
  private readonly promptText: string;
  private readonly generated: number[] = [];
  private printed = '';

  constructor(tokenizer: Tokenizer, promptIds: number[]) {
    this.tokenizer = tokenizer;
    this.promptIds = promptIds;
    this.promptText = tokenizer.decode(promptIds);
  }

  /** Adds one generated id; returns the text that can be printed now (often ''). */
  push(id: number): string {
    this.generated.push(id);
    let text = this.text();
    while (text.endsWith(REPLACEMENT)) text = text.slice(0, -1);
    return this.advance(text);
  }

  /** The rest of the text, replacement characters included: call once generation has ended. */
  finish(): string {
    return this.advance(this.text());
  }

  /** The continuation of the prompt: decode(prompt + generated) after decode(prompt). */
  text(): string {
    const full = this.tokenizer.decode([...this.promptIds, ...this.generated]);
    return full.startsWith(this.promptText)
      ? full.slice(this.promptText.length)
      : this.tokenizer.decode(this.generated);
  }

  private advance(text: string): string {
    if (!text.startsWith(this.printed)) return ''; // the tokenizer rewrote printed text: cannot take it back
    const delta = text.slice(this.printed.length);
    this.printed = text;
    return delta;
  }
}
