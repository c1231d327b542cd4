import type { Tokenizer } from '@mini-llama/tokenizer';

/** A tokenizer or token file that does not fit the model: training on it would index the wrong rows. */
export class VocabularyMismatchError extends Error {
  override name = 'VocabularyMismatchError';
}

/**
 * Throws unless `tokenizer` produces exactly the ids a model with `vocabSize` embedding rows expects. Ids past
 * the end would read out of the embedding table; a tokenizer smaller than the model usually means the wrong
 * tokenizer file (e.g. the 259-token byte tokenizer with a 32,000-token Llama 2 checkpoint).
 */
export function checkTokenizerMatchesModel(
  tokenizer: Tokenizer,
  vocabSize: number,
  tokenizerName = 'tokenizer',
): void {
  if (tokenizer.vocabSize !== vocabSize) {
    throw new VocabularyMismatchError(
      `${tokenizerName} has ${tokenizer.vocabSize} tokens but the model's vocabulary has ${vocabSize}: ` +
        'use the tokenizer the model was trained with',
    );
  }
  for (const [name, id] of [
    ['BOS', tokenizer.bosId],
    ['EOS', tokenizer.eosId],
  ] as const) {
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) {
      throw new VocabularyMismatchError(
        `${tokenizerName}: ${name} id ${id} is outside the vocabulary [0, ${vocabSize})`,
      );
    }
  }
}
