import { useBackend } from '@mini-llama/backends';
import { hfTensorsFromStateDict, parseSafetensors, serializeSafetensors } from '@mini-llama/formats';
import { SequenceClassifier, type StateDict } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { AdapterFileError } from './adapter-config-json.js';
import { type AdapterFiles, loadParsedAdapter, parseAdapter, serializeAdapter } from './adapter-files.js';
import { LoraModel } from './lora-model.js';
import { randomizeAdapter, sameBits, TINY, tinyModel, tokens } from './test-helpers.js';

async function savedAdapter(config = {}, seed = 1): Promise<AdapterFiles> {
  const model = tinyModel(seed);
  const lora = new LoraModel(model, { r: 2, alpha: 4, targetModules: 'all-linear', ...config });
  randomizeAdapter(lora, 'default', seed);
  const files = await serializeAdapter(lora, { baseModelNameOrPath: 'tiny-base' });
  lora.dispose();
  model.dispose();
  return files;
}

function editedConfig(files: AdapterFiles, edit: (json: Record<string, unknown>) => void): AdapterFiles {
  const json = JSON.parse(files.config);
  edit(json);
  return { ...files, config: JSON.stringify(json) };
}

function editedWeights(files: AdapterFiles, edit: (tensors: StateDict) => void): AdapterFiles {
  const { tensors } = parseSafetensors(files.weights, 'adapter_model.safetensors');
  edit(tensors);
  return { ...files, weights: serializeSafetensors(tensors, { dtype: 'F32' }) };
}

function loadError(files: AdapterFiles, model = tinyModel()): string {
  try {
    loadParsedAdapter(model, parseAdapter(files)).dispose();
  } catch (error) {
    expect(error).toBeInstanceOf(AdapterFileError);
    // nothing is left behind: the model has no wrapper
    expect(Object.hasOwn(model.layers[0]!.selfAttn.qProj, 'apply')).toBe(false);
    return (error as Error).message;
  } finally {
    model.dispose();
  }
  return 'no error';
}

describe.each(['cpu', 'wasm'] as const)('PEFT adapter files on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('round-trips exactly: save → load gives the same tensors and the same logits', async () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(3);
    const lora = new LoraModel(model, {
      r: 3,
      alpha: 6,
      targetModules: 'all-linear',
      modulesToSave: ['lm_head'],
    });
    randomizeAdapter(lora, 'default', 4);
    const copy = lora.trainableParameters()['base_model.model.lm_head.modules_to_save.default.weight']!;
    tf.tidy(() => copy.assign(tf.mul(copy, 0.5)));
    const input = tokens(2, 5, 40);
    const expected = tf.tidy(() => model.forward(input));
    const files = await serializeAdapter(lora);
    const trained = new Map(
      Object.entries(lora.trainableParameters()).map(([k, v]) => [k, Float32Array.from(v.dataSync())]),
    );
    lora.dispose();

    const reloaded = loadParsedAdapter(model, parseAdapter(files));
    for (const [name, variable] of Object.entries(reloaded.trainableParameters())) {
      expect(sameBits(Float32Array.from(variable.dataSync()), trained.get(name)!), name).toBe(true);
    }
    const logits = tf.tidy(() => model.forward(input));
    expect(Array.from(logits.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([input, expected, logits]);
    reloaded.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("writes PEFT's adapter_config.json and keys; B·A of the file is the HF-layout update of every weight", async () => {
    const model = tinyModel(2);
    const baseHf = hfTensorsFromStateDict(await model.stateDict(), model.config);
    const lora = new LoraModel(model, { r: 2, alpha: 6, targetModules: ['q_proj', 'k_proj', 'down_proj'] });
    randomizeAdapter(lora, 'default', 6);
    const files = await serializeAdapter(lora, { baseModelNameOrPath: '/models/tiny' });
    expect(JSON.parse(files.config)).toEqual({
      alpha_pattern: {},
      auto_mapping: null,
      base_model_name_or_path: '/models/tiny',
      bias: 'none',
      fan_in_fan_out: false,
      inference_mode: true,
      init_lora_weights: true,
      layers_pattern: null,
      layers_to_transform: null,
      lora_alpha: 6,
      lora_dropout: 0,
      modules_to_save: null,
      peft_type: 'LORA',
      r: 2,
      rank_pattern: {},
      revision: null,
      target_modules: ['q_proj', 'k_proj', 'down_proj'],
      task_type: 'CAUSAL_LM',
      use_dora: false,
      use_rslora: false,
    });
    const { tensors, metadata } = parseSafetensors(files.weights, 'adapter_model.safetensors');
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors.keys()].slice(0, 2)).toEqual([
      'base_model.model.model.layers.0.mlp.down_proj.lora_A.weight',
      'base_model.model.model.layers.0.mlp.down_proj.lora_B.weight',
    ]);
    expect(tensors.size).toBe(12);
    // The merged model, written as HF, differs from the base by exactly scale·B·A (file tensors, HF layout):
    // this pins the q/k row permutation of lora_B to the one the model's own HF writer uses.
    lora.merge();
    const mergedHf = hfTensorsFromStateDict(await model.stateDict(), model.config);
    for (const module of ['self_attn.q_proj', 'self_attn.k_proj', 'mlp.down_proj']) {
      const key = `model.layers.1.${module}`;
      const a = tensors.get(`base_model.model.${key}.lora_A.weight`)!; // [r, in]
      const b = tensors.get(`base_model.model.${key}.lora_B.weight`)!; // [out, r]
      const [out, r] = b.shape as [number, number];
      const inFeatures = a.shape[1]!;
      const merged = mergedHf.get(`${key}.weight`)!.data;
      const base = baseHf.get(`${key}.weight`)!.data;
      let worst = 0;
      for (let o = 0; o < out; o++)
        for (let i = 0; i < inFeatures; i++) {
          let update = 0;
          for (let k = 0; k < r; k++) update += b.data[o * r + k]! * a.data[k * inFeatures + i]!;
          worst = Math.max(
            worst,
            Math.abs(base[o * inFeatures + i]! + 3 * update - merged[o * inFeatures + i]!),
          );
        }
      expect(worst, key).toBeLessThan(1e-6);
    }
    lora.dispose();
    model.dispose();
  });

  it("writes a classifier's adapter as PEFT's SEQ_CLS: score in modules_to_save, saved as score.weight", async () => {
    const model = tinyModel(1);
    const classifier = new SequenceClassifier(model, 4);
    const lora = new LoraModel(classifier, {
      r: 2,
      layersToTransform: [1],
      useRslora: true,
      init: 'gaussian',
    });
    const files = await serializeAdapter(lora);
    const json = JSON.parse(files.config);
    expect(json).toMatchObject({
      task_type: 'SEQ_CLS',
      modules_to_save: ['classifier', 'score'],
      layers_to_transform: [1],
      layers_pattern: 'layers',
      use_rslora: true,
      init_lora_weights: 'gaussian',
    });
    const { tensors } = parseSafetensors(files.weights, 'x');
    expect(tensors.get('base_model.model.score.weight')!.shape).toEqual([4, 16]); // HF: [numLabels, dim]
    expect(
      [...tensors.keys()].every((key) => key.includes('layers.1.') || key.endsWith('score.weight')),
    ).toBe(true);
    expect(loadError(files)).toBe(
      'adapter_config.json: task_type is "SEQ_CLS" (a classification adapter): it needs a SequenceClassifier, this is a language model',
    );
    lora.dispose();
    classifier.dispose();
    model.dispose();
  });
});

describe('loading an adapter checks it against the model', () => {
  beforeEach(async () => {
    await useBackend('cpu');
  });

  it('names bad JSON and unsupported settings in adapter_config.json', async () => {
    const files = await savedAdapter();
    expect(() => parseAdapter({ ...files, config: '{"r": 4,' })).toThrow(
      /^adapter_config\.json: invalid JSON/,
    );
    expect(() => parseAdapter({ ...files, config: '[]' })).toThrow(
      'adapter_config.json: expected a JSON object, got []',
    );
    const cases: [(json: Record<string, unknown>) => void, string][] = [
      [(j) => (j.peft_type = 'IA3'), 'peft_type is "IA3"; only "LORA" adapters are supported'],
      [(j) => (j.task_type = 'TOKEN_CLS'), 'task_type "TOKEN_CLS" is not supported'],
      [(j) => (j.use_dora = true), 'use_dora true: DoRA is not supported'],
      [(j) => (j.bias = 'all'), 'bias "all" is not supported'],
      [
        (j) => (j.rank_pattern = { q_proj: 8 }),
        'rank_pattern {"q_proj":8}: per-module ranks (rank_pattern) is not supported',
      ],
      [(j) => (j.init_lora_weights = 'pissa'), 'init_lora_weights "pissa" is not supported'],
      [
        (j) => (j.target_modules = ['q_proj', 'query_key_value']),
        'target_modules: unknown module "query_key_value"',
      ],
      [(j) => (j.r = 'four'), 'r must be a number, got "four"'],
      [(j) => (j.r = 0), 'r must be a positive integer, got 0'],
      [(j) => (j.layers_pattern = 'h'), 'layers_pattern "h" does not name'],
    ];
    for (const [edit, message] of cases) {
      expect(() => parseAdapter(editedConfig(files, edit))).toThrow(`adapter_config.json: ${message}`);
    }
  });

  it('names a missing key, a rank that differs from r, a shape of another model, and an unknown key', async () => {
    const files = await savedAdapter();
    const qA = 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight';
    expect(loadError(editedWeights(files, (tensors) => tensors.delete(qA)))).toBe(
      `adapter_model.safetensors: missing key "${qA}" (the adapter config targets it)`,
    );
    expect(loadError(editedConfig(files, (json) => (json.r = 4)))).toBe(
      `adapter_model.safetensors: "${qA}" has rank 2 (shape [2,16]), but the adapter config says r = 4`,
    );
    const wider = tinyModel(1, { ...TINY, dim: 32 });
    expect(loadError(files, wider)).toBe(
      `adapter_model.safetensors: "${qA}" has shape [2,16], this model needs [2,32] (an adapter made for another base model?)`,
    );
    const shallower = tinyModel(1, { ...TINY, nLayers: 1 });
    expect(loadError(files, shallower)).toMatch(
      /^adapter_model\.safetensors: key "base_model\.model\.model\.layers\.1\..*" is for layer 1, but this model has 1 layers/,
    );
    const narrowed = editedConfig(
      files,
      (json) => (json.target_modules = ['q_proj', 'k_proj', 'v_proj', 'o_proj']),
    );
    expect(loadError(narrowed)).toMatch(
      /^adapter_model\.safetensors: key "base_model\.model\.model\.layers\.0\.mlp\.down_proj\.lora_A\.weight" is not targeted by the adapter config/,
    );
    const foreign = editedWeights(files, (tensors) =>
      tensors.set('model.layers.0.self_attn.q_proj.weight', tensors.get(qA)!),
    );
    expect(loadError(foreign)).toBe(
      'adapter_model.safetensors: unexpected key "model.layers.0.self_attn.q_proj.weight": PEFT keys start with "base_model.model." (is this a PEFT LoRA adapter?)',
    );
    const diverged = editedWeights(files, (tensors) => {
      tensors.get(qA)!.data[5] = Number.NaN;
    });
    expect(() => parseAdapter(diverged)).toThrow(
      `adapter_model.safetensors: tensor ${qA} holds 1 of 32 values that are not finite (the first, at index 5, is NaN): the weights are broken (a diverged run?)`,
    );
    expect(loadError(editedConfig(files, (json) => (json.layers_to_transform = [0, 5])))).toBe(
      'adapter_config.json: layers_to_transform: layer 5 does not exist (the model has 2 layers)',
    );
  });

  it("puts a language-model adapter on a classifier's backbone, which the classifier then runs", async () => {
    const files = await savedAdapter({}, 3);
    const model = tinyModel(3);
    const classifier = new SequenceClassifier(model, 2);
    const input = tokens(1, 4, 40);
    const base = tf.tidy(() => classifier.logits(input));
    const lora = loadParsedAdapter(classifier, parseAdapter(files));
    expect(lora.llama).toBe(model);
    expect(lora.taskType).toBe('CAUSAL_LM');
    const adapted = tf.tidy(() => classifier.logits(input));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(adapted, base))).dataSync()[0]!)).toBeGreaterThan(1e-4);
    const otherBase = tinyModel(1);
    const otherClassifier = new SequenceClassifier(otherBase, 2);
    const head = new LoraModel(otherClassifier, { r: 1 });
    expect(() => loadParsedAdapter(head, parseAdapter(files))).toThrow(
      `adapter_config.json: task_type is "CAUSAL_LM": it cannot join a classifier's LoraModel`,
    );
    head.dispose();
    otherClassifier.dispose();
    otherBase.dispose();
    tf.dispose([input, base, adapted]);
    lora.dispose();
    classifier.dispose();
    model.dispose();
  });

  it('adds a second adapter to a LoraModel under its own name, leaving the active one', async () => {
    const files = await savedAdapter({}, 2);
    const model = tinyModel(2);
    const lora = new LoraModel(model, { r: 1 }, { adapterName: 'mine' });
    loadParsedAdapter(lora, parseAdapter(files), { adapterName: 'theirs' });
    expect(lora.adapterNames()).toEqual(['mine', 'theirs']);
    expect(lora.activeAdapter).toBe('mine');
    expect(() => loadParsedAdapter(lora, parseAdapter(files), { adapterName: 'theirs' })).toThrow(
      'adapter "theirs" exists already',
    );
    expect(lora.adapterConfig('theirs').targetModules).toHaveLength(7);
    lora.dispose();
    model.dispose();
  });
});
