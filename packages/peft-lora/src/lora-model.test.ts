import { useBackend } from '@mini-llama/backends';
import { crossEntropy } from '@mini-llama/layers';
import { type LlamaModel, SequenceClassifier } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { LoraConfigError } from './lora-config.js';
import { LoraModel } from './lora-model.js';
import { maxAbsDiff, randomizeAdapter, sameBits, snapshot, TINY, tinyModel, tokens } from './test-helpers.js';

const logitsOf = (model: LlamaModel, input: tf.Tensor) => tf.tidy(() => model.forward(input));

describe.each(['cpu', 'wasm'] as const)('LoraModel on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('starts out computing exactly the base model, and disposes without a trace', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel();
    const input = tokens(2, 6, 40);
    const base = logitsOf(model, input);
    const lora = new LoraModel(model, { r: 4, alpha: 8 });
    const start = logitsOf(model, input);
    expect(Array.from(start.dataSync())).toEqual(Array.from(base.dataSync()));
    randomizeAdapter(lora, 'default');
    const adapted = logitsOf(model, input);
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-3);
    lora.dispose();
    const after = logitsOf(model, input);
    expect(Array.from(after.dataSync())).toEqual(Array.from(base.dataSync()));
    expect(Object.hasOwn(model.layers[0]!.selfAttn.qProj, 'apply')).toBe(false);
    expect(() => lora.trainableParameters()).toThrow(
      'LoraModel.trainableParameters: this LoraModel was disposed',
    );
    tf.dispose([input, base, start, adapted, after]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("targets q, k, v, o by default, with PEFT's parameter names; the base stays out of them", () => {
    const model = tinyModel();
    const baseVariables = new Set(Object.values(model.parameters()));
    const lora = new LoraModel(model, { r: 2 });
    expect(lora.targetModules()).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.self_attn.k_proj',
      'model.layers.0.self_attn.v_proj',
      'model.layers.0.self_attn.o_proj',
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.self_attn.k_proj',
      'model.layers.1.self_attn.v_proj',
      'model.layers.1.self_attn.o_proj',
    ]);
    const trainable = lora.trainableParameters();
    expect(Object.keys(trainable).slice(0, 4)).toEqual([
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight',
      'base_model.model.model.layers.0.self_attn.q_proj.lora_B.default.weight',
      'base_model.model.model.layers.0.self_attn.k_proj.lora_A.default.weight',
      'base_model.model.model.layers.0.self_attn.k_proj.lora_B.default.weight',
    ]);
    expect(Object.keys(trainable)).toHaveLength(16);
    // A [in, r], B [r, out] in our layout; k_proj's out is nKvHeads·headDim = 8
    expect(
      trainable['base_model.model.model.layers.0.self_attn.k_proj.lora_A.default.weight']!.shape,
    ).toEqual([16, 2]);
    expect(
      trainable['base_model.model.model.layers.0.self_attn.k_proj.lora_B.default.weight']!.shape,
    ).toEqual([2, 8]);
    expect(Object.values(trainable).some((variable) => baseVariables.has(variable))).toBe(false);
    expect(lora.parameters()).toEqual(trainable);
    lora.dispose();
    model.dispose();
  });

  it("selects modules by 'all-linear', by layer and by regular expression, as PEFT does", () => {
    const model = tinyModel();
    const all = new LoraModel(model, { targetModules: 'all-linear' });
    expect(all.targetModules()).toHaveLength(14);
    all.dispose();
    const layered = new LoraModel(model, { targetModules: ['v_proj', 'down_proj'], layersToTransform: [1] });
    expect(layered.targetModules()).toEqual([
      'model.layers.1.self_attn.v_proj',
      'model.layers.1.mlp.down_proj',
    ]);
    layered.dispose();
    const regex = new LoraModel(model, { targetModules: String.raw`model\.layers\.0\.mlp\.(gate|up)_proj` });
    expect(regex.targetModules()).toEqual(['model.layers.0.mlp.gate_proj', 'model.layers.0.mlp.up_proj']);
    regex.dispose();
    expect(() => new LoraModel(model, { targetModules: 'nothing_matches' })).toThrow(
      'LoraConfig.targetModules: the regular expression "nothing_matches" matches no module',
    );
    expect(() => new LoraModel(model, { layersToTransform: [2] })).toThrow(
      'LoraConfig.layersToTransform: layer 2 does not exist (the model has 2 layers)',
    );
    // a list matches tails of module paths, as PEFT's list matching (and PEFT's own all-linear files) do
    const tails = new LoraModel(model, {
      targetModules: ['mlp.up_proj', 'model.layers.1.self_attn.q_proj', 'self_attn.q_proj'],
    });
    expect(tails.targetModules()).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.mlp.up_proj',
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.mlp.up_proj',
    ]);
    tails.dispose();
    expect(() => new LoraModel(model, { targetModules: ['model.layers.7.self_attn.q_proj'] })).toThrow(
      'LoraConfig.targetModules: "model.layers.7.self_attn.q_proj" is not a module of this model',
    );
    expect(() => new LoraModel(model, { targetModules: ['self_attn.qkv'] })).toThrow(
      'LoraConfig.targetModules: unknown module "self_attn.qkv"',
    );
    expect(Object.hasOwn(model.layers[0]!.selfAttn.qProj, 'apply')).toBe(false); // failures leave no wrapper
    model.dispose();
  });

  it('lowRankUpdates gives W0 + scale·B·A as merging does, in the state dict layout; saved modules by name', async () => {
    const model = tinyModel(3);
    const classifier = new SequenceClassifier(model, 3, { seed: 2 });
    const lora = new LoraModel(classifier, {
      targetModules: ['q_proj', 'k_proj', 'down_proj'],
      r: 2,
      alpha: 5,
    });
    randomizeAdapter(lora, 'default', 9);
    const before = await model.stateDict();
    const { updates, saved } = await lora.lowRankUpdates();
    expect(updates.map((update) => update.target)).toEqual(
      lora.targetModules().map((path) => `${path}.weight`),
    );
    expect([...saved.keys()]).toEqual(['score.weight']);
    lora.merge();
    const after = await model.stateDict();
    for (const { target, a, b, scale } of updates) {
      expect(scale).toBe(2.5);
      const [out, inFeatures] = before.get(target)!.shape as [number, number];
      const r = a.shape[0]!;
      expect(b.shape).toEqual([out, r]);
      let worst = 0;
      for (let i = 0; i < out; i++) {
        for (let j = 0; j < inFeatures; j++) {
          let delta = 0;
          for (let k = 0; k < r; k++) delta += b.data[i * r + k]! * a.data[k * inFeatures + j]!;
          const expected = before.get(target)!.data[i * inFeatures + j]! + scale * delta;
          worst = Math.max(worst, Math.abs(after.get(target)!.data[i * inFeatures + j]! - expected));
        }
      }
      expect(worst, target).toBeLessThan(1e-5);
    }
    expect(Array.from(saved.get('score.weight')!.data)).toEqual(
      Array.from((await classifier.stateDict()).get('score.weight')!.data),
    );
    lora.dispose();
    classifier.dispose();
    model.dispose();
  });

  it('merged and unmerged adapters give the same logits; unmerge restores the base weights', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(2);
    const baseWeights = snapshot(model.parameters());
    const input = tokens(2, 5, 40, 3);
    const base = logitsOf(model, input);
    const lora = new LoraModel(model, { targetModules: 'all-linear', r: 3, alpha: 6 });
    randomizeAdapter(lora, 'default', 5);
    const unmerged = logitsOf(model, input);
    lora.merge();
    expect(lora.mergedAdapters()).toEqual(['default']);
    const merged = logitsOf(model, input);
    expect(maxAbsDiff(merged, unmerged)).toBeLessThan(1e-5);
    expect(maxAbsDiff(merged, base)).toBeGreaterThan(1e-3);
    expect(() => lora.disableAdapters()).toThrow('is merged into the base weights; unmerge() first');
    expect(() => lora.deleteAdapter('default')).toThrow('unmerge() first');
    const mergedMemory = tf.memory().numTensors;
    lora.unmerge();
    expect(tf.memory().numTensors).toBe(mergedMemory);
    for (const [name, variable] of Object.entries(model.parameters())) {
      const expected = baseWeights.get(name)!;
      const actual = variable.dataSync();
      const worst = expected.reduce((max, value, i) => Math.max(max, Math.abs(value - actual[i]!)), 0);
      expect(worst, name).toBeLessThan(1e-6);
    }
    const again = logitsOf(model, input);
    expect(maxAbsDiff(again, unmerged)).toBeLessThan(1e-5);
    tf.dispose([input, base, unmerged, merged, again]);
    lora.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('setAdapterWeight runs α·ΔW: 0 is the base model, 1 the adapted one; heads trained whole refuse it', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel();
    const input = tokens(2, 6, 40);
    const base = logitsOf(model, input);
    const lora = new LoraModel(model, { r: 4, targetModules: 'all-linear' });
    randomizeAdapter(lora, 'default');
    const adapted = logitsOf(model, input);
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-3);
    lora.setAdapterWeight(0);
    const none = logitsOf(model, input);
    expect(maxAbsDiff(none, base)).toBeLessThan(1e-5);
    lora.setAdapterWeight(0.5);
    const half = logitsOf(model, input);
    lora.merge(); // the merged weights are W₀ + 0.5·ΔW too
    const mergedHalf = logitsOf(model, input);
    expect(maxAbsDiff(mergedHalf, half)).toBeLessThan(1e-4);
    lora.unmerge();
    lora.setAdapterWeight(1);
    const again = logitsOf(model, input);
    expect(maxAbsDiff(again, adapted)).toBeLessThan(1e-5);
    lora.addAdapter('head', { r: 2, modulesToSave: ['lm_head'] });
    expect(() => lora.setAdapterWeight(0.5, 'head')).toThrow(/trains lm_head whole/);
    tf.dispose([input, base, adapted, none, half, mergedHalf, again]);
    lora.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('disables and enables adapters, and switches between named adapters', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(3);
    const input = tokens(1, 6, 40, 4);
    const base = logitsOf(model, input);
    const lora = new LoraModel(model, { r: 2 }, { adapterName: 'first' });
    lora.addAdapter('second', { r: 4, targetModules: ['gate_proj', 'up_proj', 'down_proj'] });
    expect(lora.adapterNames()).toEqual(['first', 'second']);
    expect(lora.activeAdapter).toBe('first'); // the first one added
    randomizeAdapter(lora, 'first', 1);
    randomizeAdapter(lora, 'second', 2);
    const first = logitsOf(model, input);
    lora.setActiveAdapter('second');
    const second = logitsOf(model, input);
    expect(maxAbsDiff(first, second)).toBeGreaterThan(1e-3);
    expect(Object.keys(lora.trainableParameters())[0]).toBe(
      'base_model.model.model.layers.0.mlp.gate_proj.lora_A.second.weight',
    );
    const disabled = lora.withAdaptersDisabled(() => logitsOf(model, input));
    expect(Array.from(disabled.dataSync())).toEqual(Array.from(base.dataSync()));
    expect(lora.adaptersEnabled).toBe(true);
    lora.setActiveAdapter('first');
    const firstAgain = logitsOf(model, input);
    expect(Array.from(firstAgain.dataSync())).toEqual(Array.from(first.dataSync()));
    expect(() => lora.setActiveAdapter('third')).toThrow(
      'LoraModel: no adapter "third": adapters are first, second',
    );
    lora.deleteAdapter('first');
    expect(lora.activeAdapter).toBe('second'); // as PEFT: the first remaining adapter
    expect(Object.hasOwn(model.layers[0]!.selfAttn.qProj, 'apply')).toBe(false); // no adapter left there
    const secondAgain = logitsOf(model, input);
    expect(Array.from(secondAgain.dataSync())).toEqual(Array.from(second.dataSync()));
    lora.deleteAdapter('second');
    expect(lora.activeAdapter).toBeNull();
    const bare = logitsOf(model, input);
    expect(Array.from(bare.dataSync())).toEqual(Array.from(base.dataSync()));
    tf.dispose([input, base, first, second, disabled, firstAgain, secondAgain, bare]);
    lora.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains a copy of lm_head as a module to save; the original head stays', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(4);
    const head = model.lmHead!.weight;
    const original = Float32Array.from(head.dataSync());
    const input = tokens(2, 5, 40, 5);
    const targets = tokens(2, 5, 40, 6);
    const base = logitsOf(model, input);
    const lora = new LoraModel(model, { r: 2, modulesToSave: ['lm_head'] });
    const copy = lora.trainableParameters()['base_model.model.lm_head.modules_to_save.default.weight']!;
    expect(copy).toBeDefined();
    expect(copy).not.toBe(head);
    expect(model.lmHead!.weight).toBe(copy); // the model computes with the copy
    tf.tidy(() => copy.assign(tf.mul(copy, 1.5)));
    const adapted = logitsOf(model, input);
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-3);
    // the fused training loss reads the head's weight directly: it sees the copy too
    const [fused, reference] = tf.tidy(() => [
      model.loss(input, targets).dataSync()[0]!,
      crossEntropy(model.forward(input), targets).dataSync()[0]!,
    ]);
    expect(Math.abs(fused! - reference!)).toBeLessThan(1e-5);
    lora.disableAdapters();
    expect(model.lmHead!.weight).toBe(head);
    const disabled = logitsOf(model, input);
    expect(Array.from(disabled.dataSync())).toEqual(Array.from(base.dataSync()));
    lora.enableAdapters();
    expect(sameBits(Float32Array.from(head.dataSync()), original)).toBe(true);
    lora.dispose();
    expect(model.lmHead!.weight).toBe(head);
    expect(Object.getOwnPropertyDescriptor(model.lmHead!, 'weight')?.get).toBeUndefined();
    tf.dispose([input, targets, base, adapted, disabled]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('adapts a SequenceClassifier: its backbone gets adapters, its score head a trained copy', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(5);
    const classifier = new SequenceClassifier(model, 3, { seed: 1 });
    const score = classifier.score.weight;
    const input = tokens(2, 5, 40, 8);
    const base = tf.tidy(() => classifier.logits(input));
    const lora = new LoraModel(classifier, { r: 2, targetModules: ['q_proj', 'v_proj'] });
    expect(lora.taskType).toBe('SEQ_CLS');
    expect(lora.adapterConfig().modulesToSave).toEqual(['score']); // added as PEFT's SEQ_CLS models do
    const names = Object.keys(lora.trainableParameters());
    expect(names.at(-1)).toBe('base_model.model.score.modules_to_save.default.weight');
    expect(names).toHaveLength(9);
    const start = tf.tidy(() => classifier.logits(input));
    expect(Array.from(start.dataSync())).toEqual(Array.from(base.dataSync()));
    randomizeAdapter(lora, 'default', 7);
    const copy = lora.trainableParameters()['base_model.model.score.modules_to_save.default.weight']!;
    tf.tidy(() => copy.assign(tf.neg(copy)));
    const adapted = tf.tidy(() => classifier.logits(input));
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-3);
    expect(() => new LoraModel(model, { modulesToSave: ['score'] })).toThrow(
      'LoraConfig.modulesToSave: "score" needs a SequenceClassifier',
    );
    lora.dispose();
    expect(classifier.score.weight).toBe(score);
    tf.dispose([input, base, start, adapted]);
    classifier.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mergeAndUnload bakes the adapter and its module copies into a plain model', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(6);
    const input = tokens(2, 4, 40, 9);
    const lora = new LoraModel(model, { targetModules: 'all-linear', modulesToSave: ['lm_head'] });
    randomizeAdapter(lora, 'default', 9);
    const copy = lora.trainableParameters()['base_model.model.lm_head.modules_to_save.default.weight']!;
    tf.tidy(() => copy.assign(tf.add(copy, 0.01)));
    const adapted = logitsOf(model, input);
    expect(lora.mergeAndUnload()).toBe(model);
    expect(Object.hasOwn(model.layers[1]!.mlp.downProj, 'apply')).toBe(false);
    expect(Object.getOwnPropertyDescriptor(model.lmHead!, 'weight')?.get).toBeUndefined();
    const baked = logitsOf(model, input);
    expect(maxAbsDiff(baked, adapted)).toBeLessThan(1e-5);
    expect(() => lora.merge()).toThrow('this LoraModel was disposed or unloaded');
    tf.dispose([input, adapted, baked]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensors in a forward pass, a gradient step, merge and unmerge', () => {
    const model = tinyModel(7);
    const lora = new LoraModel(model, { r: 2, dropout: 0.1, modulesToSave: ['lm_head'] });
    randomizeAdapter(lora, 'default');
    const input = tokens(2, 6, 40, 1);
    const targets = tokens(2, 6, 40, 2);
    const before = tf.memory().numTensors;
    tf.dispose(model.forward(input));
    expect(tf.memory().numTensors).toBe(before);
    const { value, grads } = tf.variableGrads(
      () => model.loss(input, targets),
      Object.values(lora.trainableParameters()),
    );
    expect(Object.keys(grads)).toHaveLength(17); // 8 × (A, B) + the lm_head copy
    tf.dispose([value, grads]);
    expect(tf.memory().numTensors).toBe(before);
    lora.merge();
    tf.dispose(model.forward(input));
    lora.unmerge();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([input, targets]);
    lora.dispose();
    model.dispose();
  });

  it('refuses a second LoraModel on the same model, bad adapter names, and a tied lm_head', () => {
    const model = tinyModel(8);
    const lora = new LoraModel(model, { r: 2 });
    expect(() => new LoraModel(model, { r: 2 })).toThrow('already has adapters of another LoraModel');
    expect(() => lora.addAdapter('default', {})).toThrow('adapter "default" exists already');
    expect(() => lora.addAdapter('with space', {})).toThrow('adapter names are letters, digits, _ and -');
    lora.dispose();
    model.dispose();
    const tied = tinyModel(1, { ...TINY, tieEmbeddings: true });
    expect(() => new LoraModel(tied, { modulesToSave: ['lm_head'] })).toThrow(LoraConfigError);
    expect(() => new LoraModel(tied, { modulesToSave: ['lm_head'] })).toThrow(
      'ties it to model.embed_tokens',
    );
    tied.dispose();
  });
});
