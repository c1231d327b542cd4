import { useBackend } from '@mini-llama/backends';
import { LlamaModel } from '@mini-llama/model';
import { ByteTokenizer, llama2Tokenizer } from '@mini-llama/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type PromptTemplate, SST2_PROMPT } from './prompt-template.js';
import { referenceSequenceLogProbs, TINY } from './test-helpers.js';
import { verbalizerScores, verbalizerSequences } from './verbalizer-scores.js';

const bytes = new ByteTokenizer();

describe('verbalizerSequences', () => {
  it('scores exactly the verbalizer bytes after BOS + prompt (byte tokenizer)', () => {
    const [negative, positive] = verbalizerSequences(bytes, SST2_PROMPT, 'ok', 64);
    const prompt = bytes.encode('Review: ok\nSentiment:', { bos: true });
    expect(negative).toEqual({ tokens: [...prompt, ...bytes.encode(' negative')], scoreFrom: prompt.length });
    expect(positive!.tokens.slice(positive!.scoreFrom)).toEqual(bytes.encode(' positive'));
  });

  it("takes a SentencePiece label's tokens where prompt + label departs from the prompt alone", async () => {
    const llama2 = await llama2Tokenizer();
    for (const sequence of verbalizerSequences(llama2, SST2_PROMPT, 'a gripping, funny film', 64)) {
      const prompt = llama2.encode('Review: a gripping, funny film\nSentiment:', { bos: true });
      expect(sequence.tokens.slice(0, sequence.scoreFrom)).toEqual(prompt);
      expect(llama2.decode(sequence.tokens.slice(sequence.scoreFrom))).toMatch(/^(negative|positive)$/);
    }
  });

  it('cuts long texts from the start, keeping the prompt end and the label', () => {
    const [negative] = verbalizerSequences(bytes, SST2_PROMPT, 'x'.repeat(100), 30);
    expect(negative!.tokens).toHaveLength(31); // 30 inputs + the last label token
    expect(bytes.decode(negative!.tokens)).toBe(`${'x'.repeat(11)}\nSentiment: negative`); // BOS dropped
    expect(negative!.tokens.length - negative!.scoreFrom).toBe(9);
    expect(() => verbalizerSequences(bytes, SST2_PROMPT, 'x', 8)).toThrow(/do not fit the context of 8/);
    expect(() => verbalizerSequences(bytes, { template: '{text}', verbalizers: ['a', ''] }, 'x', 8)).toThrow(
      /verbalizer "" of label 1 adds no token/,
    );
  });
});

describe.each(['cpu', 'wasm'] as const)('verbalizer scores on %s', (backend) => {
  it('equal the summed (or mean) log-probabilities of the label tokens from model.forward', async () => {
    await useBackend(backend);
    const model = new LlamaModel({ ...TINY, maxSeqLen: 48 }, { seed: 11 });
    const texts = ['great', 'dull and long-winded', 'ok'];
    const before = tf.memory().numTensors;
    const summed = await verbalizerScores(model, bytes, texts, SST2_PROMPT);
    const mean = await verbalizerScores(model, bytes, texts, SST2_PROMPT, { lengthNormalize: true });
    expect(tf.memory().numTensors).toBe(before);
    texts.forEach((text, t) => {
      verbalizerSequences(bytes, SST2_PROMPT, text, 48).forEach(({ tokens, scoreFrom }, label) => {
        const reference = referenceSequenceLogProbs(model, tokens, scoreFrom);
        expect(reference).toHaveLength(9); // ' negative' and ' positive' are 9 bytes each
        const sum = reference.reduce((a, b) => a + b, 0);
        expect(summed[t]![label]).toBeCloseTo(sum, 4);
        expect(mean[t]![label]).toBeCloseTo(sum / reference.length, 5);
      });
    });
    model.dispose();
  });

  it('do not depend on padding: batched with texts of other lengths = one at a time (1e-5)', async () => {
    await useBackend(backend);
    const model = new LlamaModel({ ...TINY, maxSeqLen: 64 }, { seed: 12 });
    const texts = ['a', 'a much longer review of a film', 'mid-sized text', '', 'short one', 'x'.repeat(20)];
    const prompt: PromptTemplate = { template: '{text} =', verbalizers: [' no', ' yes', ' maybe so'] };
    const before = tf.memory().numTensors;
    const batched = await verbalizerScores(model, bytes, texts, prompt, { batchSize: 7 });
    const alone = await verbalizerScores(model, bytes, texts, prompt, { batchSize: 1 });
    expect(tf.memory().numTensors).toBe(before);
    const flat = alone.flat();
    batched.flat().forEach((score, i) => {
      expect(Math.abs(score - flat[i]!)).toBeLessThan(1e-5);
    });
    model.dispose();
  });
});
