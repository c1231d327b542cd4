import type { Tokenizer } from '@mini-llama/tokenizer';
import type { ClassificationExample } from './classification-dataset.js';
import { type PaddedBatch, type PadOptions, padSequences } from './pad-sequences.js';
import { shuffle } from './shuffle.js';
import type { ClassificationBatch } from './token-batch.js';

export interface ClassificationBatchOptions extends Partial<PadOptions> {
  batchSize: number;
  /** Shuffle the examples first with this seed; keep the file order when absent. */
  seed?: number;
  /** Prepend BOS (default true, as Llama sees every text) / append EOS (default false). */
  bos?: boolean;
  eos?: boolean;
  /** Keep the last, smaller batch (default true; drop it for fixed-shape training). */
  keepLast?: boolean;
  /**
   * A prompt template with a `{text}` slot (e.g. "Review: {text}\nSentiment:"): each text is put in it, and a
   * row longer than `maxLength` loses tokens from its start, so the prompt's end (where a classifier reads)
   * stays, as zero-shot scoring of the same prompt truncates. Without one, texts are encoded as they are and
   * keep their start.
   */
  template?: string;
}

/** The template with every `{text}` replaced by the text, literally (a `$` in the text stays as written). */
export function fillTemplate(template: string, text: string): string {
  if (!template.includes(TEXT_SLOT)) {
    throw new Error(`the prompt template ${JSON.stringify(template)} has no ${TEXT_SLOT} slot`);
  }
  return template.split(TEXT_SLOT).join(text);
}

export const TEXT_SLOT = '{text}';

/**
 * Tokenises and pads examples batch by batch (each text is encoded when its batch is made, so a large set
 * costs no more memory than a batch). Pads with EOS unless told (Llama 2 has no pad token; every padded
 * position is masked out anyway).
 */
export function* classificationBatches(
  examples: readonly ClassificationExample[],
  tokenizer: Tokenizer,
  {
    batchSize,
    seed,
    bos = true,
    eos = false,
    keepLast = true,
    padId = tokenizer.eosId,
    template,
    ...pad
  }: ClassificationBatchOptions,
): Generator<ClassificationBatch & Pick<PaddedBatch, 'lengths'>> {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`classificationBatches: batchSize must be a positive integer, got ${batchSize}`);
  }
  if (template !== undefined) fillTemplate(template, ''); // a template without a slot fails before any work
  const encode = (text: string) => {
    if (template === undefined) return tokenizer.encode(text, { bos, eos });
    const ids = tokenizer.encode(fillTemplate(template, text), { bos, eos });
    return pad.maxLength !== undefined && ids.length > pad.maxLength ? ids.slice(-pad.maxLength) : ids;
  };
  const ordered = seed === undefined ? examples : shuffle(examples, seed);
  for (let start = 0; start < ordered.length; start += batchSize) {
    const rows = ordered.slice(start, start + batchSize);
    if (rows.length < batchSize && !keepLast) return;
    const padded = padSequences(
      rows.map((example) => encode(example.text)),
      { ...pad, padId },
    );
    yield { ...padded, labels: Int32Array.from(rows, (example) => example.label) };
  }
}
