import { Tokenizer as TokenizersJs } from '@huggingface/tokenizers';
import { ChatTemplate } from './chat-template.js';
import { type EncodeOptions, type Tokenizer, TokenizerFileError } from './tokenizer.js';
import type { TokenizerConfig } from './tokenizer-config.js';

/**
 * A byte-level BPE tokenizer from HF's tokenizer.json (GPT-2, Llama 3, SmolLM, Qwen2: ByteLevel pre-tokenizer
 * with the model's split pattern, `ignore_merges`, added and special tokens), run by @huggingface/tokenizers,
 * whose ids equal the Python `tokenizers` library's (measured on 1,820 texts with the Llama 3, Qwen2.5 and GPT-2
 * files: no difference; see docs/architecture.md). Special tokens written in the text (`<|im_start|>`) are
 * recognised, as Python's encode does by default.
 *
 * BOS and EOS follow transformers: `bos: true` adds what the tokenizer's post-processor puts first when asked
 * to add special tokens (Llama 3's `<|begin_of_text|>`), or the config's bos_token when it sets add_bos_token;
 * a tokenizer with neither (Qwen2, SmolLM) has no BOS (bosId −1) and adds nothing. EOS is the config's
 * eos_token (−1 when there is none).
 */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  /** The chat template of tokenizer_config.json, or null (a base model, or no config given). */
  readonly chatTemplate: ChatTemplate | null;
  private readonly tokenizer: TokenizersJs;

  constructor(
    tokenizerJson: unknown,
    config: TokenizerConfig | null,
    readonly file = 'tokenizer.json',
    configFile = 'tokenizer_config.json',
  ) {
    if (!isByteLevelBpe(tokenizerJson)) {
      throw new TokenizerFileError(
        file,
        'is not a byte-level BPE tokenizer.json (model BPE with a ByteLevel pre-tokenizer or decoder)',
      );
    }
    try {
      this.tokenizer = new TokenizersJs(tokenizerJson as object, {});
    } catch (error) {
      throw new TokenizerFileError(file, `cannot be read: ${(error as Error).message}`);
    }
    const json = tokenizerJson as {
      model: { vocab: Record<string, number> };
      added_tokens?: { id: number }[];
    };
    let largest = -1;
    for (const id of Object.values(json.model.vocab)) largest = Math.max(largest, id);
    for (const { id } of json.added_tokens ?? []) largest = Math.max(largest, id);
    this.vocabSize = largest + 1;

    const idOf = (token: string | null, field: string): number => {
      if (token === null) return -1;
      const id = this.tokenizer.token_to_id(token);
      if (id === undefined)
        throw new TokenizerFileError(configFile, `${field} ${JSON.stringify(token)} is not in ${file}`);
      return id;
    };
    const framing = this.tokenizer.encode('', { add_special_tokens: true }).ids;
    const configBos = config?.addBosToken ? idOf(config.bosToken, 'bos_token') : -1;
    this.bosId = framing.length > 0 && framing[0] !== undefined ? framing[0] : configBos;
    this.eosId = idOf(config?.eosToken ?? null, 'eos_token');
    this.bosToken = config?.bosToken ?? null;
    this.eosToken = config?.eosToken ?? null;
    this.chatTemplate = config?.chatTemplate
      ? new ChatTemplate(
          config.chatTemplate,
          { bos_token: config.bosToken, eos_token: config.eosToken, pad_token: config.padToken },
          configFile,
        )
      : null;
  }

  encode(text: string, { bos = false, eos = false }: EncodeOptions = {}): number[] {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    if (bos && this.bosId >= 0) ids.unshift(this.bosId);
    if (eos && this.eosId >= 0) ids.push(this.eosId);
    return ids;
  }

  /** Ids → text, special tokens dropped; no clean-up of spaces (the exact inverse of encode). */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode([...ids], {
      skip_special_tokens: true,
      clean_up_tokenization_spaces: false,
    });
  }

  /** The id of a token's text (a special token's too), or undefined. */
  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }
}

/** Whether a parsed tokenizer.json is byte-level BPE (GPT-2 family) rather than SentencePiece-style BPE. */
export function isByteLevelBpe(json: unknown): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const { model, pre_tokenizer: preTokenizer, decoder } = json as Record<string, unknown>;
  if ((model as { type?: unknown } | undefined)?.type !== 'BPE') return false;
  return mentionsByteLevel(preTokenizer) || mentionsByteLevel(decoder);
}

function mentionsByteLevel(component: unknown): boolean {
  if (typeof component !== 'object' || component === null) return false;
  const { type, pretokenizers, decoders } = component as Record<string, unknown>;
  if (type === 'ByteLevel') return true;
  const parts = (pretokenizers ?? decoders) as unknown[] | undefined;
  return Array.isArray(parts) && parts.some(mentionsByteLevel);
}
