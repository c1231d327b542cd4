import type { LlamaConfig, LlamaModel, NamedTensor, SequenceClassifier, StateDict } from '@mini-llama/model';
import { Random, type RandomState, transpose2d } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { AdapterFileError, type TaskType } from './adapter-config-json.js';
import {
  type LoraConfig,
  LoraConfigError,
  loraScale,
  type ResolvedLoraConfig,
  resolveLoraConfig,
  type SavableModuleName,
} from './lora-config.js';
import { type AdapterState, LoraLinear } from './lora-linear.js';
import { ModulesToSaveWrapper } from './modules-to-save-wrapper.js';
import {
  loraAFromPeft,
  loraAToPeft,
  loraBFromPeft,
  loraBToPeft,
  loraKey,
  loraParameterName,
  PEFT_PREFIX,
  savedModuleKey,
  savedModuleParameterName,
} from './peft-keys.js';
import { type LinearModule, linearModules, selectTargets } from './target-modules.js';

/** What LoRA adapts: a language model, or a classifier (whose backbone is adapted and `score` trained). */
export type AdaptableModel = LlamaModel | SequenceClassifier;

export interface AddAdapterOptions {
  /** 'zeros' creates A and B as zeros, for weights that are about to be loaded. Default: the config's init. */
  init?: 'config' | 'zeros';
}

interface Adapter {
  config: ResolvedLoraConfig;
  targets: LinearModule[];
}

/**
 * A model with LoRA adapters (Hu et al. 2021) — the counterpart of PEFT's `get_peft_model`. The model is not
 * copied or forked: each targeted Linear of its decoder layers is wrapped in place (LoraLinear), and each
 * module to save gets a trainable copy (ModulesToSaveWrapper), so the model's own forward, loss, generation
 * and classification run the adapter. Base weights are frozen by construction: `trainableParameters()`
 * returns only the active adapter's matrices and copies, which is what a Trainer should be given.
 *
 * Several named adapters can live on one model; one is active at a time (`setActiveAdapter`), and all can be
 * switched off (`disableAdapters`). `merge()` folds the active one into the base weights for inference,
 * `unmerge()` takes it out again, `mergeAndUnload()` bakes it in and removes the wrappers.
 *
 * As a `TrainableModel` of @mini-llama/trainer its `parameters()` are the trainable ones and its state dict
 * is the active adapter in PEFT's file layout, so checkpoints hold the adapter only.
 */
export class LoraModel {
  readonly model: AdaptableModel;
  readonly llama: LlamaModel; // the decoder: the model itself, or the classifier's backbone
  readonly classifier: SequenceClassifier | null;
  readonly taskType: TaskType;
  private readonly state: AdapterState;
  private readonly modules: LinearModule[];
  private readonly layers = new Map<string, LoraLinear>(); // by module path
  private readonly saved = new Map<SavableModuleName, ModulesToSaveWrapper>();
  private readonly adapters = new Map<string, Adapter>();
  private readonly merged = new Set<string>();
  private disposed = false;

  /** Wraps `model`; with a config, adds it as the adapter `adapterName` ('default', as PEFT). */
  constructor(model: AdaptableModel, config?: LoraConfig, { adapterName = 'default' } = {}) {
    this.model = model;
    this.classifier = isClassifier(model) ? model : null;
    this.llama = this.classifier ? this.classifier.backbone : (model as LlamaModel);
    this.taskType = this.classifier ? 'SEQ_CLS' : 'CAUSAL_LM';
    this.state = {
      active: null,
      enabled: true,
      training: true,
      random: new Random(dropoutSeed(config?.seed ?? 0)),
    };
    this.modules = linearModules(this.llama);
    if (config) this.addAdapter(adapterName, config);
  }

  /** The base model's config (what @mini-llama/trainer checks a checkpoint against). */
  get config(): LlamaConfig {
    return this.llama.config;
  }

  /**
   * What a checkpoint needs besides the adapter weights to resume exactly: the position of the generator that
   * draws dropout masks (@mini-llama/trainer stores it in trainer-state.json).
   */
  trainingState(): Record<string, unknown> {
    return { dropoutRandom: this.state.random.getState() };
  }

  /** Restores `trainingState()`; `source` names where it came from, for the error a malformed state gets. */
  restoreTrainingState(state: Record<string, unknown>, source = 'training state'): void {
    const saved = state.dropoutRandom as Partial<RandomState> | undefined;
    const spare = saved?.spareNormal;
    if (!saved || !Array.isArray(saved.words) || !(spare === null || typeof spare === 'number')) {
      throw new AdapterFileError(
        source,
        `model.dropoutRandom must be {"words": [four uint32], "spareNormal": number | null}, got ${JSON.stringify(saved)}`,
      );
    }
    try {
      this.state.random.setState({ words: saved.words, spareNormal: spare });
    } catch (error) {
      throw new AdapterFileError(source, `model.dropoutRandom: ${(error as Error).message}`);
    }
  }

  get activeAdapter(): string | null {
    return this.state.active;
  }

  get adaptersEnabled(): boolean {
    return this.state.enabled;
  }

  adapterNames(): string[] {
    return [...this.adapters.keys()];
  }

  adapterConfig(name: string = this.requireActive('adapterConfig')): ResolvedLoraConfig {
    return this.adapter(name).config;
  }

  /** Module paths an adapter wraps (model.layers.0.self_attn.q_proj, …). */
  targetModules(name: string = this.requireActive('targetModules')): string[] {
    return this.adapter(name).targets.map((target) => target.path);
  }

  /**
   * Adds a new adapter with fresh weights (A random, B zero, so the model computes what it did before). A
   * classifier's `score` is always among the modules to save (as PEFT's SEQ_CLS models do): its head is new
   * and must be trained. The first adapter becomes the active one.
   */
  addAdapter(
    name: string,
    config: LoraConfig | ResolvedLoraConfig,
    { init = 'config' }: AddAdapterOptions = {},
  ): void {
    this.checkUsable('addAdapter');
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new Error(
        `LoraModel.addAdapter: adapter names are letters, digits, _ and -; got ${JSON.stringify(name)}`,
      );
    }
    if (this.adapters.has(name)) throw new Error(`LoraModel.addAdapter: adapter "${name}" exists already`);
    const input = config as LoraConfig;
    const withHead = this.classifier
      ? { ...input, modulesToSave: [...(input.modulesToSave ?? []), 'score'] }
      : input;
    const resolved = resolveLoraConfig(withHead);
    // Every check before anything is created, so that a failed addAdapter leaves the model as it was.
    for (const module of resolved.modulesToSave) {
      if (!this.saved.has(module) && ModulesToSaveWrapper.of(this.savableLinear(module))) {
        throw new Error(`LoraModel.addAdapter: ${module} is already wrapped by another LoraModel`);
      }
    }
    const targets = selectTargets(this.modules, resolved);
    if (targets.length === 0) {
      throw new LoraConfigError('LoraConfig.targetModules: no module of this model is targeted');
    }
    const foreign = targets.find((target) => !this.layers.has(target.path) && LoraLinear.of(target.linear));
    if (foreign) {
      throw new Error(
        `LoraModel.addAdapter: ${foreign.path} already has adapters of another LoraModel; add this adapter to that one`,
      );
    }
    const random = new Random(resolved.seed);
    const scale = loraScale(resolved);
    for (const target of targets) {
      let layer = this.layers.get(target.path);
      if (!layer) {
        layer = LoraLinear.fromBase(target.linear, this.state);
        this.layers.set(target.path, layer);
      }
      layer.addAdapter(name, {
        rank: resolved.r,
        scale,
        dropout: resolved.dropout,
        init: init === 'zeros' ? 'zeros' : resolved.init,
        random,
      });
    }
    for (const module of resolved.modulesToSave) {
      let wrapper = this.saved.get(module);
      if (!wrapper) {
        wrapper = ModulesToSaveWrapper.fromBase(this.savableLinear(module), this.state);
        this.saved.set(module, wrapper);
      }
      wrapper.addAdapter(name);
    }
    this.adapters.set(name, { config: resolved, targets });
    if (this.state.active === null) this.state.active = name;
  }

  /** Makes `name` the adapter that runs (and that trainableParameters() and stateDict() refer to). */
  setActiveAdapter(name: string): void {
    this.checkUsable('setActiveAdapter');
    this.adapter(name);
    this.state.active = name;
  }

  /**
   * Removes an adapter and disposes its weights. When it was the active one, the first remaining adapter
   * becomes active (as PEFT's delete_adapter). A layer left without adapters gets its own apply back.
   */
  deleteAdapter(name: string): void {
    this.checkUsable('deleteAdapter');
    const { targets, config } = this.adapter(name);
    if (this.merged.has(name)) {
      throw new Error(
        `LoraModel.deleteAdapter: adapter "${name}" is merged into the base weights; unmerge() first`,
      );
    }
    for (const target of targets) {
      const layer = this.layers.get(target.path)!;
      layer.deleteAdapter(name);
      if (layer.adapterNames().length === 0) {
        layer.dispose();
        this.layers.delete(target.path);
      }
    }
    for (const module of config.modulesToSave) {
      const wrapper = this.saved.get(module)!;
      wrapper.deleteAdapter(name);
      if (wrapper.adapterNames().length === 0) {
        wrapper.dispose();
        this.saved.delete(module);
      }
    }
    this.adapters.delete(name);
    if (this.state.active === name) this.state.active = this.adapters.keys().next().value ?? null;
  }

  /** Every adapter bypassed: the model computes as the base model (PEFT's disable_adapter_layers). */
  disableAdapters(): void {
    this.checkUsable('disableAdapters');
    if (this.merged.size > 0) {
      throw new Error(
        `LoraModel.disableAdapters: adapter "${[...this.merged][0]}" is merged into the base weights; unmerge() first`,
      );
    }
    this.state.enabled = false;
  }

  enableAdapters(): void {
    this.checkUsable('enableAdapters');
    this.state.enabled = true;
  }

  /** Runs `fn` with the adapters disabled (PEFT's `with model.disable_adapter():`). */
  withAdaptersDisabled<T>(fn: () => T): T {
    const wasEnabled = this.state.enabled;
    this.disableAdapters();
    try {
      return fn();
    } finally {
      this.state.enabled = wasEnabled;
    }
  }

  /** Training mode (the default): adapter dropout applies while gradients are recorded. */
  train(): void {
    this.state.training = true;
  }

  /** Evaluation mode: no dropout, even while gradients are recorded. */
  eval(): void {
    this.state.training = false;
  }

  mergedAdapters(): string[] {
    return [...this.merged];
  }

  /**
   * W ← W + scale·A·B in every layer the adapter wraps (default: the active one). Its layers then skip the
   * adapter path, so the forward pass costs what the base model's does; modules to save are unaffected.
   */
  merge(name: string = this.requireActive('merge')): void {
    this.checkUsable('merge');
    const { targets } = this.adapter(name);
    if (this.merged.has(name)) throw new Error(`LoraModel.merge: adapter "${name}" is merged already`);
    for (const target of targets) this.layers.get(target.path)!.merge(name);
    this.merged.add(name);
  }

  /** W ← W − scale·A·B for `name` (default: every merged adapter), the base weights within float rounding. */
  unmerge(name?: string): void {
    this.checkUsable('unmerge');
    const names = name === undefined ? [...this.merged] : [name];
    for (const each of names) {
      const { targets } = this.adapter(each);
      if (!this.merged.has(each)) throw new Error(`LoraModel.unmerge: adapter "${each}" is not merged`);
      for (const target of targets) this.layers.get(target.path)!.unmerge(each);
      this.merged.delete(each);
    }
  }

  /**
   * Bakes the active adapter into the model and removes every wrapper (PEFT's merge_and_unload): its update
   * is merged into the base weights, its copies of the modules to save replace the originals' values, and
   * all adapter weights are disposed. Returns the model, which no longer needs this package; this LoraModel
   * is then disposed.
   */
  mergeAndUnload(): AdaptableModel {
    this.checkUsable('mergeAndUnload');
    const name = this.state.active;
    if (name !== null && this.state.enabled) {
      if (!this.merged.has(name)) this.merge(name);
      for (const wrapper of this.saved.values()) if (wrapper.hasAdapter(name)) wrapper.bakeIn(name);
    }
    this.release();
    return this.model;
  }

  /**
   * The active adapter's trainable variables by PEFT's in-memory names (adapter name included):
   * base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight ([in, r] here), …lora_B… ([r, out]),
   * base_model.model.score.modules_to_save.default.weight. Give them to the Trainer as `trainable`.
   */
  trainableParameters(name: string = this.requireActive('trainableParameters')): Record<string, tf.Variable> {
    this.checkUsable('trainableParameters');
    const { targets, config } = this.adapter(name);
    const named: Record<string, tf.Variable> = {};
    for (const target of targets) {
      const { a, b } = this.layers.get(target.path)!.weights(name);
      named[loraParameterName(target.path, 'A', name)] = a;
      named[loraParameterName(target.path, 'B', name)] = b;
    }
    for (const module of config.modulesToSave) {
      named[savedModuleParameterName(module, name)] = this.saved.get(module)!.copy(name);
    }
    return named;
  }

  /** The trainable parameters (for @mini-llama/trainer, whose default `trainable` is `parameters()`). */
  parameters(): Record<string, tf.Variable> {
    return this.trainableParameters();
  }

  /** Number of values in every adapter (all adapters, their copies of modules to save included). */
  adapterParameterCount(): number {
    let total = 0;
    for (const layer of this.layers.values()) {
      for (const name of layer.adapterNames()) {
        const { a, b } = layer.weights(name);
        total += a.size + b.size;
      }
    }
    for (const wrapper of this.saved.values()) {
      for (const name of wrapper.adapterNames()) total += wrapper.copy(name).size;
    }
    return total;
  }

  /** The active adapter in PEFT's file layout (what adapter_model.safetensors holds). */
  async stateDict(): Promise<StateDict> {
    return this.adapterStateDict(this.requireActive('stateDict'));
  }

  /**
   * An adapter's tensors as PEFT saves them: keys without the adapter name, lora_A [r, in], lora_B [out, r]
   * (q/k rows in HF's rotate-half order), modules to save [out, in] under their own names.
   */
  async adapterStateDict(name: string): Promise<StateDict> {
    this.checkUsable('adapterStateDict');
    const { targets, config } = this.adapter(name);
    const out: StateDict = new Map();
    for (const target of targets) {
      const { a, b, rank } = this.layers.get(target.path)!.weights(name);
      const { inFeatures, outFeatures } = target.linear;
      out.set(loraKey(target.path, 'A'), {
        shape: [rank, inFeatures],
        data: loraAToPeft((await a.data()) as Float32Array, inFeatures, rank),
      });
      out.set(loraKey(target.path, 'B'), {
        shape: [outFeatures, rank],
        data: loraBToPeft((await b.data()) as Float32Array, rank, outFeatures, target.rotaryHeads),
      });
    }
    for (const module of config.modulesToSave) {
      const copy = this.saved.get(module)!.copy(name);
      const [inFeatures, outFeatures] = copy.shape as [number, number];
      out.set(savedModuleKey(module), {
        shape: [outFeatures, inFeatures],
        data: transpose2d((await copy.data()) as Float32Array, inFeatures, outFeatures),
      });
    }
    return out;
  }

  /**
   * An adapter as low-rank updates of the base model's state dict (@mini-llama/model's layout: HF names,
   * [out, in], Meta's interleaved q/k rows): for each adapted projection, `target` (its weight's name),
   * A [r, in], B [out, r] and the scale, so that W₀ + scale·B·A is the merged weight. Its modules to save
   * come as `saved`, under the base model's names (`score.weight` [numLabels, dim], `lm_head.weight`).
   * This is what WiSE-FT of an adapter (θ(α) = W₀ + α·scale·B·A) needs without building a merged model.
   */
  async lowRankUpdates(name: string = this.requireActive('lowRankUpdates')): Promise<{
    updates: { target: string; a: NamedTensor; b: NamedTensor; scale: number }[];
    saved: StateDict;
  }> {
    this.checkUsable('lowRankUpdates');
    const { targets, config } = this.adapter(name);
    const updates = [];
    for (const target of targets) {
      const { a, b, rank, scale } = this.layers.get(target.path)!.weights(name);
      const { inFeatures, outFeatures } = target.linear;
      updates.push({
        target: `${target.path}.weight`,
        a: {
          shape: [rank, inFeatures],
          data: transpose2d((await a.data()) as Float32Array, inFeatures, rank),
        },
        b: {
          shape: [outFeatures, rank],
          data: transpose2d((await b.data()) as Float32Array, rank, outFeatures),
        },
        scale,
      });
    }
    const saved: StateDict = new Map();
    for (const module of config.modulesToSave) {
      const copy = this.saved.get(module)!.copy(name);
      const [inFeatures, outFeatures] = copy.shape as [number, number];
      saved.set(`${module}.weight`, {
        shape: [outFeatures, inFeatures],
        data: transpose2d((await copy.data()) as Float32Array, inFeatures, outFeatures),
      });
    }
    return { updates, saved };
  }

  /** Loads the active adapter from PEFT's file layout (see adapterStateDict); checks everything first. */
  loadStateDict(stateDict: StateDict, source = 'state dict'): void {
    this.loadAdapterStateDict(this.requireActive('loadStateDict'), stateDict, source);
  }

  /**
   * Loads an adapter's tensors from PEFT's file layout. Nothing is assigned unless every expected key is
   * there with its shape and no other key is; errors start with `source` (the file) and name the key.
   */
  loadAdapterStateDict(name: string, stateDict: StateDict, source = 'state dict'): void {
    this.checkUsable('loadAdapterStateDict');
    const { targets, config } = this.adapter(name);
    const fail = (problem: string) => new AdapterFileError(source, problem);
    const expected = new Map<string, number[]>();
    for (const target of targets) {
      expected.set(loraKey(target.path, 'A'), [config.r, target.linear.inFeatures]);
      expected.set(loraKey(target.path, 'B'), [target.linear.outFeatures, config.r]);
    }
    for (const module of config.modulesToSave) {
      const [inFeatures, outFeatures] = this.saved.get(module)!.original.shape as [number, number];
      expected.set(savedModuleKey(module), [outFeatures, inFeatures]);
    }
    for (const key of stateDict.keys()) {
      if (!expected.has(key)) throw fail(this.unexpectedKeyProblem(key, config));
    }
    for (const [key, shape] of expected) {
      const tensor = stateDict.get(key);
      if (!tensor) throw fail(`missing key "${key}" (the adapter config targets it)`);
      const rankAxis = key.endsWith('.lora_A.weight') ? 0 : key.endsWith('.lora_B.weight') ? 1 : -1;
      if (sameShape(tensor.shape, shape)) continue;
      if (rankAxis >= 0 && tensor.shape.length === 2 && tensor.shape[1 - rankAxis] === shape[1 - rankAxis]) {
        throw fail(
          `"${key}" has rank ${tensor.shape[rankAxis]} (shape [${tensor.shape}]), but the adapter config says r = ${config.r}`,
        );
      }
      throw fail(
        `"${key}" has shape [${tensor.shape}], this model needs [${shape}] (an adapter made for another base model?)`,
      );
    }
    const assign = (variable: tf.Variable, values: Float32Array) =>
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    for (const target of targets) {
      const { a, b, rank } = this.layers.get(target.path)!.weights(name);
      const { inFeatures, outFeatures } = target.linear;
      assign(a, loraAFromPeft(stateDict.get(loraKey(target.path, 'A'))!.data, inFeatures, rank));
      assign(
        b,
        loraBFromPeft(stateDict.get(loraKey(target.path, 'B'))!.data, rank, outFeatures, target.rotaryHeads),
      );
    }
    for (const module of config.modulesToSave) {
      const copy = this.saved.get(module)!.copy(name);
      const [inFeatures, outFeatures] = copy.shape as [number, number];
      assign(copy, transpose2d(stateDict.get(savedModuleKey(module))!.data, outFeatures, inFeatures));
    }
  }

  /**
   * Unmerges whatever is merged (the base weights return, within float rounding), gives every wrapped
   * module back its own apply / weight, and disposes all adapter weights. The base model stays usable.
   */
  dispose(): void {
    if (this.disposed) return;
    this.unmerge();
    this.release();
  }

  private release(): void {
    for (const layer of this.layers.values()) layer.dispose();
    for (const wrapper of this.saved.values()) wrapper.dispose();
    this.layers.clear();
    this.saved.clear();
    this.adapters.clear();
    this.merged.clear();
    this.state.active = null;
    this.disposed = true;
  }

  private adapter(name: string): Adapter {
    const adapter = this.adapters.get(name);
    if (!adapter) {
      const known =
        this.adapters.size > 0 ? `: adapters are ${[...this.adapters.keys()].join(', ')}` : ': it has none';
      throw new Error(`LoraModel: no adapter "${name}"${known}`);
    }
    return adapter;
  }

  private requireActive(operation: string): string {
    this.checkUsable(operation);
    if (this.state.active === null)
      throw new Error(`LoraModel.${operation}: no active adapter (add one first)`);
    return this.state.active;
  }

  private checkUsable(operation: string): void {
    if (this.disposed) throw new Error(`LoraModel.${operation}: this LoraModel was disposed or unloaded`);
  }

  private savableLinear(module: SavableModuleName) {
    if (module === 'score') {
      if (!this.classifier) {
        throw new LoraConfigError(
          'LoraConfig.modulesToSave: "score" needs a SequenceClassifier (this is a LlamaModel)',
        );
      }
      return this.classifier.score;
    }
    if (this.classifier) {
      throw new LoraConfigError(
        'LoraConfig.modulesToSave: "lm_head" is not used by a SequenceClassifier (its head is "score")',
      );
    }
    if (!this.llama.lmHead) {
      throw new LoraConfigError(
        'LoraConfig.modulesToSave: "lm_head" needs an untied output head; this model ties it to model.embed_tokens',
      );
    }
    return this.llama.lmHead;
  }

  /** Why a key of an adapter file has no place in this adapter, as precisely as the key allows. */
  private unexpectedKeyProblem(key: string, config: ResolvedLoraConfig): string {
    const lora = /^base_model\.model\.model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)\.lora_[AB]\.weight$/.exec(
      key,
    );
    if (lora) {
      const layer = Number(lora[1]);
      if (layer >= this.llama.layers.length) {
        return `key "${key}" is for layer ${layer}, but this model has ${this.llama.layers.length} layers (an adapter made for another base model?)`;
      }
      if (
        !this.modules.some(
          (module) => module.path === key.slice(PEFT_PREFIX.length).replace(/\.lora_[AB]\.weight$/, ''),
        )
      ) {
        return `key "${key}": ${lora[3]} is not a module of a Llama decoder layer`;
      }
      return `key "${key}" is not targeted by the adapter config (target_modules ${JSON.stringify(config.targetModules)}${config.layersToTransform ? `, layers_to_transform ${JSON.stringify(config.layersToTransform)}` : ''})`;
    }
    if (!key.startsWith(PEFT_PREFIX)) {
      return `unexpected key "${key}": PEFT keys start with "${PEFT_PREFIX}" (is this a PEFT LoRA adapter?)`;
    }
    return `unexpected key "${key}" (not a LoRA matrix of a targeted module, nor a module to save of this adapter)`;
  }
}

function isClassifier(model: AdaptableModel): model is SequenceClassifier {
  return 'backbone' in model && 'score' in model;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/** The dropout stream's seed: derived from the adapter's seed, apart from the stream that draws A. */
function dropoutSeed(seed: number): number {
  return (seed ^ 0x2545f491) >>> 0;
}
