import { generate } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import { loadTokenizer } from '@mini-llama/tokenizer/node';
import { CONTINUATION_PROMPTS } from '../plan.js';
import type { Continuation } from '../results.js';

/** The model's continuations of the study's prompts (temperature 0.8, top-k 40, seeded). */
export async function continuations(
  model: string,
  tokenizerFile: string,
  maxNewTokens: number,
): Promise<Continuation[]> {
  const { model: llama } = await loadModel(model);
  const tokenizer = await loadTokenizer(tokenizerFile);
  try {
    const out: Continuation[] = [];
    for (const prompt of CONTINUATION_PROMPTS) {
      const ids = tokenizer.encode(prompt, { bos: true });
      const { tokens } = await generate(llama, [ids], {
        maxNewTokens: Math.min(maxNewTokens, llama.config.maxSeqLen - ids.length),
        temperature: 0.8,
        topK: 40,
        seed: 0,
        eosTokenId: tokenizer.eosId,
      });
      // decoded with the prompt, so the space a word-initial piece carries is kept at the seam
      const whole = tokenizer.decode([...ids, ...tokens[0]!]);
      out.push({ prompt, continuation: whole.slice(tokenizer.decode(ids).length).replace(/\s+/g, ' ') });
    }
    return out;
  } finally {
    llama.dispose();
  }
}
