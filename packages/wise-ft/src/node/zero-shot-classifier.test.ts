import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { meanPromptState, verbalizerTokenIds } from '@mini-llama/eval';
import { loadSequenceClassifier } from '@mini-llama/eval/node';
import { LlamaModel } from '@mini-llama/model';
import { saveModel } from '@mini-llama/model/node';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { centredHead, labelWordsHead, lmHeadOf } from '../zero-shot-head.js';
import { wiseFtEnds } from './weight-space.js';
import { saveZeroShotClassifier, ZERO_SHOT_RECORD_FILE } from './zero-shot-classifier.js';

const config = { dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 259, maxSeqLen: 32, multipleOf: 8 };
const bytes = new ByteTokenizer();
const prompt = { template: '{text}\n', verbalizers: [' cat', ' dog'] };
const texts = ['a small text', 'another one, longer than that', 'meow', 'woof woof'];

describe('saveZeroShotClassifier', () => {
  it('saves the model with the centred label-words head, which classifies as computed by hand', async () => {
    await useBackend('cpu');
    const directory = await temporaryDirectory('mini-llama-zero-shot-');
    const lm = new LlamaModel(config, { seed: 7 });
    await saveModel(lm, join(directory, 'lm'), { format: 'hf' });
    const labelWords = { cat: [' meow', ' purr'], dog: [' woof'] };
    const { path, record } = await saveZeroShotClassifier({
      model: join(directory, 'lm'),
      tokenizer: 'bytes',
      labelNames: ['cat', 'dog'],
      prompt,
      labelWords,
      centreOn: texts,
      out: join(directory, 'zero-shot'),
    });
    expect(record).toEqual({
      template: '{text}\n',
      labelWords: [[' meow', ' purr'], [' woof']],
      centredOn: 4,
    });
    expect(JSON.parse(await readFile(join(path, ZERO_SHOT_RECORD_FILE), 'utf8'))).toEqual(record);

    // by hand: the label-words head of the LM head, centred on the mean prompt state of the texts
    const tokens = [labelWords.cat, labelWords.dog].map((words) =>
      verbalizerTokenIds(bytes, { template: prompt.template, verbalizers: words }),
    );
    const mean = await meanPromptState(lm, bytes, texts, { template: prompt.template });
    const head = centredHead(labelWordsHead(lmHeadOf(await lm.stateDict()), tokens), mean);

    const loaded = await loadSequenceClassifier(path);
    expect(loaded.labelNames).toEqual(['cat', 'dog']);
    expect(loaded.prompt).toEqual(prompt);
    const ids = bytes.encode('meow meow\n', { bos: true });
    const before = tf.memory().numTensors;
    const logits = tf.tidy(() =>
      Array.from(loaded.classifier.logits(tf.tensor2d([ids], [1, ids.length], 'int32')).dataSync()),
    );
    const hidden = tf.tidy(
      () => lm.hiddenStates(tf.tensor2d([ids], [1, ids.length], 'int32')).arraySync()[0]![ids.length - 1]!,
    );
    expect(tf.memory().numTensors).toBe(before);
    for (let label = 0; label < 2; label++) {
      const row = head.data.subarray(label * config.dim, (label + 1) * config.dim);
      expect(logits[label]).toBeCloseTo(
        hidden.reduce((sum, value, i) => sum + value * row[i]!, 0),
        4,
      );
    }
    loaded.classifier.dispose();
    loaded.model.dispose();

    // it is a classifier WiSE-FT takes as its pretrained end: α = 0 is it, bit for bit
    const ends = await wiseFtEnds({ pretrained: path, finetuned: path, backboneOnly: false }, bytes);
    expect(ends.pretrainedHead).toBe('its own');
    expect(Array.from(ends.at(0).get('score.weight')!.data)).toEqual(Array.from(head.data));
    lm.dispose();
  });

  it('refuses label words for a label the task does not have, and a verbalizer count that does not fit', async () => {
    const base = { model: 'unused', labelNames: ['cat', 'dog'], prompt, out: 'unused' };
    await expect(saveZeroShotClassifier({ ...base, labelWords: { bird: [' tweet'] } })).rejects.toThrow(
      'label words for bird, which are not labels of the task (cat, dog)',
    );
    await expect(saveZeroShotClassifier({ ...base, labelNames: ['cat', 'dog', 'cow'] })).rejects.toThrow(
      '2 verbalizers for 3 labels (cat, dog, cow)',
    );
    await expect(saveZeroShotClassifier({ ...base, labelWords: { cat: [] } })).rejects.toThrow(
      'label cat has an empty list of label words',
    );
  });
});
