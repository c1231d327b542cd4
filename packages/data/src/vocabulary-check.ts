import type { Tokenizer } from '@mini-llama/tokenizer';

/** A tokenizer or token file that does not fit the model: training on it would index the wrong rows. */
export class VocabularyMismatchError extends Error {
  override name = 'VocabularyMismatchError';
}

/**
 * Throws unless `tokenizer` produces ids a model with `vocabSize` embedding rows can take. Ids past the end
 * would read out of the embedding table. A tokenizer much smaller than the model means the wrong tokenizer
 * file (e.g. the 259-token byte tokenizer with a 32,000-token Llama 2 checkpoint); one a little smaller is a
 * published model whose embedding is padded to a round size (Qwen2.5: 151,665 tokens, 151,936 rows), so a gap
 * of up to 1% is allowed. A tokenizer without BOS (Qwen2, SmolLM: bosId −1) is fine; EOS is required.
 */
export function checkTokenizerMatchesModel(
  tokenizer: Tokenizer,
  vocabSize: number,
  tokenizerName = 'tokenizer',
): void {
  const padding = vocabSize - tokenizer.vocabSize;
  if (padding < 0 || padding > vocabSize / 100) {
    throw new VocabularyMismatchError(
      `${tokenizerName} has ${tokenizer.vocabSize} tokens but the model's vocabulary has ${vocabSize}: ` +
        'use the tokenizer the model was trained with',
    );
  }
  for (const [name, id] of [
    ['BOS', tokenizer.bosId],
    ['EOS', tokenizer.eosId],
  ] as const) {
    if (name === 'BOS' && id === -1) continue; // no BOS: encode({bos: true}) adds nothing
    if (id === -1) {
      throw new VocabularyMismatchError(
        `${tokenizerName}: no EOS token, which fine-tuning and padding need (a tokenizer.json takes it from the eos_token of tokenizer_config.json beside it)`,
      );
    }
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) {
      throw new VocabularyMismatchError(
        `${tokenizerName}: ${name} id ${id} is outside the vocabulary [0, ${vocabSize})`,
      );
    }
  }
}
