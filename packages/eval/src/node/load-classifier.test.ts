import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { serializeSafetensors } from '@mini-llama/formats';
import { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { saveModel } from '@mini-llama/model/node';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { TINY } from '../test-helpers.js';
import {
  loadSequenceClassifier,
  MissingClassifierError,
  readClassifierHead,
  saveClassifierHead,
} from './load-classifier.js';

describe('loadSequenceClassifier', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'mini-llama-eval-'));
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('loads what `mini-llama finetune --task` saves: the logits come back the same', async () => {
    await useBackend('cpu');
    const backbone = new LlamaModel(TINY, { seed: 4 });
    const classifier = new SequenceClassifier(backbone, 3, { seed: 5 });
    const path = join(directory, 'fine-tuned');
    // the files finetune writes: the backbone (HF), the head alone, the label names
    await saveModel(backbone, path, { format: 'hf' });
    const state = await classifier.stateDict();
    await writeFile(
      join(path, 'classifier.safetensors'),
      serializeSafetensors(new Map([['score.weight', state.get('score.weight')!]]), { dtype: 'F32' }),
    );
    await writeFile(
      join(path, 'labels.json'),
      JSON.stringify({ labelNames: ['World', 'Sports', 'Business'] }),
    );

    const before = tf.memory().numTensors;
    const loaded = await loadSequenceClassifier(path);
    expect(loaded.labelNames).toEqual(['World', 'Sports', 'Business']);
    expect(loaded.maxLength).toBeNull(); // not recorded: evaluation uses the model's context
    expect(loaded.classifier.numLabels).toBe(3);
    const tokens = () => tf.tensor2d([[1, 40, 50, 60]], [1, 4], 'int32');
    const [expected, actual] = tf.tidy(() => [
      Array.from(classifier.logits(tokens()).dataSync()),
      Array.from(loaded.classifier.logits(tokens()).dataSync()),
    ]);
    actual!.forEach((value, i) => {
      expect(value).toBeCloseTo(expected![i]!, 6);
    });
    loaded.classifier.dispose();
    loaded.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    classifier.dispose();
    backbone.dispose();
  });

  it('says when a model has no classification head, and when labels.json disagrees with it', async () => {
    await useBackend('cpu');
    const backbone = new LlamaModel(TINY, { seed: 4 });
    const path = join(directory, 'plain');
    await saveModel(backbone, path, { format: 'hf' });
    const classifier = new SequenceClassifier(backbone, 2);
    const before = tf.memory().numTensors;
    await expect(loadSequenceClassifier(path)).rejects.toThrow(MissingClassifierError);
    await expect(loadSequenceClassifier(path)).rejects.toThrow(
      /no classification head \(classifier.safetensors/,
    );
    const state = await classifier.stateDict();
    await writeFile(
      join(path, 'classifier.safetensors'),
      serializeSafetensors(new Map([['score.weight', state.get('score.weight')!]]), { dtype: 'F32' }),
    );
    await writeFile(join(path, 'labels.json'), JSON.stringify({ labelNames: ['a', 'b', 'c'] }));
    await expect(loadSequenceClassifier(path)).rejects.toThrow(
      /labels.json: expected \{"labelNames": \[2 strings\]\}/,
    );
    // the head alone (what wise-ft and soup read): its width is checked against the backbone's when given
    await writeFile(join(path, 'labels.json'), JSON.stringify({ labelNames: ['a', 'b'] }));
    const head = await readClassifierHead(path, TINY.dim);
    expect(head?.scoreWeight.shape).toEqual([2, TINY.dim]);
    expect(head?.labels).toEqual({ labelNames: ['a', 'b'], prompt: null, maxLength: null });
    await expect(readClassifierHead(path, TINY.dim + 1)).rejects.toThrow(
      `${join(path, 'classifier.safetensors')}: expected a 2-D tensor score.weight [numLabels, ${TINY.dim + 1}]`,
    );
    await writeFile(
      join(path, 'classifier.safetensors'),
      serializeSafetensors(new Map([['score.weight', { shape: [4], data: new Float32Array(4) }]]), {
        dtype: 'F32',
      }),
    );
    await expect(loadSequenceClassifier(path)).rejects.toThrow(
      /expected a 2-D tensor score.weight \[numLabels, dim\]/,
    );
    expect(await readClassifierHead(join(directory, 'nowhere'))).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
    classifier.dispose();
    backbone.dispose();
  });

  it('saveClassifierHead writes the head with its prompt; loading gives both back, and checks the prompt', async () => {
    await useBackend('cpu');
    const backbone = new LlamaModel(TINY, { seed: 6 });
    const classifier = new SequenceClassifier(backbone, 2, { seed: 7 });
    const path = join(directory, 'prompted');
    await saveModel(backbone, path, { format: 'hf' });
    const prompt = { template: 'Review: {text}\nSentiment:', verbalizers: [' negative', ' positive'] };
    const head = (await classifier.stateDict()).get('score.weight')!;
    await saveClassifierHead(path, head, { labelNames: ['negative', 'positive'], prompt, maxLength: 24 });
    const loaded = await loadSequenceClassifier(path);
    expect(loaded.prompt).toEqual(prompt);
    expect(loaded.maxLength).toBe(24);
    expect(loaded.labelNames).toEqual(['negative', 'positive']);
    expect(Array.from((await loaded.classifier.stateDict()).get('score.weight')!.data)).toEqual(
      Array.from(head.data),
    );
    loaded.classifier.dispose();
    loaded.model.dispose();

    await expect(saveClassifierHead(path, head, { labelNames: ['a', 'b', 'c'] })).rejects.toThrow(
      'saveClassifierHead: score.weight [2,16] does not fit 3 label names',
    );
    await writeFile(
      join(path, 'labels.json'),
      JSON.stringify({ labelNames: ['n', 'p'], prompt: { template: 'no slot', verbalizers: ['a', 'b'] } }),
    );
    await expect(loadSequenceClassifier(path)).rejects.toThrow(
      /labels.json: prompt.template must be a string with a \{text\} slot/,
    );
    await writeFile(
      join(path, 'labels.json'),
      JSON.stringify({ labelNames: ['n', 'p'], prompt: { template: '{text}', verbalizers: ['a'] } }),
    );
    await expect(loadSequenceClassifier(path)).rejects.toThrow(/prompt.verbalizers must be 2 strings/);
    await writeFile(join(path, 'labels.json'), JSON.stringify({ labelNames: ['n', 'p'], maxLength: 0 }));
    await expect(loadSequenceClassifier(path)).rejects.toThrow(
      /labels.json: maxLength must be a positive integer \(tokens\), got 0/,
    );
    await writeFile(join(path, 'labels.json'), '{');
    await expect(loadSequenceClassifier(path)).rejects.toThrow(/labels.json: not valid JSON/);
    classifier.dispose();
    backbone.dispose();
  });
});
