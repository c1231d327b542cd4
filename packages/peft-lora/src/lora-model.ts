import type { LlamaConfig, LlamaModel, SequenceClassifier, StateDict } from '@mini-llama/model';
import { Random, type RandomState } from '@mini-llama/model';
import type * as tf from '@tensorflow/tfjs-core';
import { AdapterFileError, type TaskType } from './adapter-config-json.js';
import { AdapterModules, type AdapterPlan } from './adapter-modules.js';
import {
  type LoraConfig,
  LoraConfigError,
  type ResolvedLoraConfig,
  resolveLoraConfig,
} from './lora-config.js';
import type { AdapterState } from './lora-linear.js';
import {
  type AdapterVariables,
  adapterStateDict,
  type LowRankUpdates,
  loadAdapterStateDict,
  lowRankUpdates,
  unexpectedKeyProblem,
} from './peft-state-dict.js';
import { selectTargets, type TargetModule, targetModules } from './target-modules.js';

/** What LoRA adapts: a language model, or a classifier (whose backbone is adapted and `score` trained). */
export type AdaptableModel = LlamaModel | SequenceClassifier;

export interface AddAdapterOptions {
  /** 'zeros' creates A and B as zeros, for weights that are about to be loaded. Default: the config's init. */
  init?: 'config' | 'zeros';
}

/**
 * A model with LoRA adapters (Hu et al. 2021) — the counterpart of PEFT's `get_peft_model`. The model is not
 * copied or forked: each targeted projection of its decoder layers is replaced by a LoraLinear that calls it
 * (`model.replaceModule`), and each module to save by a ModulesToSave holding a trainable copy per adapter,
 * so the model's own forward, loss, generation and classification run the adapter. Base weights are frozen by construction: `trainableParameters()`
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
  private readonly modules: TargetModule[];
  private readonly placed: AdapterModules;
  private readonly adapters = new Map<string, AdapterPlan>();
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
    this.modules = targetModules(this.llama);
    this.placed = new AdapterModules(model, this.state);
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
    const targets = selectTargets(this.modules, resolved);
    if (targets.length === 0) {
      throw new LoraConfigError('LoraConfig.targetModules: no module of this model is targeted');
    }
    const plan = { config: resolved, targets };
    this.placed.check(plan); // every check before anything is created: a failed addAdapter changes nothing
    this.placed.add(name, plan, init);
    this.adapters.set(name, plan);
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
   * becomes active (as PEFT's delete_adapter). A module left without adapters is put back in the model.
   */
  deleteAdapter(name: string): void {
    this.checkUsable('deleteAdapter');
    const plan = this.adapter(name);
    if (this.merged.has(name)) {
      throw new Error(
        `LoraModel.deleteAdapter: adapter "${name}" is merged into the base weights; unmerge() first`,
      );
    }
    this.placed.remove(name, plan);
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

  /**
   * Runs `name`'s update at `weight` times its strength in every layer it adapts: θ(α) = W₀ + α·scale·B·A
   * (WiSE-FT of an adapter, α = 0 the base model, 1 the fine-tuned one; PEFT's `scale_layer`). Its modules to
   * save (heads trained whole) are not interpolated this way: they refuse any weight but 1 (see
   * @mini-llama/wise-ft's interpolateLowRank for a whole state dict).
   */
  setAdapterWeight(weight: number, name: string = this.requireActive('setAdapterWeight')): void {
    this.checkUsable('setAdapterWeight');
    const plan = this.adapter(name);
    if (weight !== 1 && plan.config.modulesToSave.length > 0) {
      throw new Error(
        `LoraModel.setAdapterWeight: adapter "${name}" trains ${plan.config.modulesToSave.join(', ')} whole, which a weight cannot interpolate`,
      );
    }
    this.placed.setWeight(name, plan, weight);
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
    const plan = this.adapter(name);
    if (this.merged.has(name)) throw new Error(`LoraModel.merge: adapter "${name}" is merged already`);
    this.placed.merge(name, plan, 'merge');
    this.merged.add(name);
  }

  /** W ← W − scale·A·B for `name` (default: every merged adapter), the base weights within float rounding. */
  unmerge(name?: string): void {
    this.checkUsable('unmerge');
    const names = name === undefined ? [...this.merged] : [name];
    for (const each of names) {
      const plan = this.adapter(each);
      if (!this.merged.has(each)) throw new Error(`LoraModel.unmerge: adapter "${each}" is not merged`);
      this.placed.merge(each, plan, 'unmerge');
      this.merged.delete(each);
    }
  }

  /**
   * Bakes the active adapter into the model and puts every replaced module back (PEFT's merge_and_unload): its update
   * is merged into the base weights, its copies of the modules to save replace the originals' values, and
   * all adapter weights are disposed. Returns the model, which no longer needs this package; this LoraModel
   * is then disposed.
   */
  mergeAndUnload(): AdaptableModel {
    this.checkUsable('mergeAndUnload');
    const name = this.state.active;
    if (name !== null && this.state.enabled) {
      if (!this.merged.has(name)) this.merge(name);
      this.placed.bakeInHeads(name);
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
    return this.placed.trainable(name, this.adapter(name));
  }

  /** The trainable parameters (for @mini-llama/trainer, whose default `trainable` is `parameters()`). */
  parameters(): Record<string, tf.Variable> {
    return this.trainableParameters();
  }

  /** Number of values in every adapter (all adapters, their copies of modules to save included). */
  adapterParameterCount(): number {
    return this.placed.parameterCount();
  }

  /** The active adapter in PEFT's file layout (what adapter_model.safetensors holds). */
  async stateDict(): Promise<StateDict> {
    return this.adapterStateDict(this.requireActive('stateDict'));
  }

  /** An adapter's tensors as PEFT saves them (see peft-state-dict.ts). */
  async adapterStateDict(name: string): Promise<StateDict> {
    return adapterStateDict(this.adapterVariables(name, 'adapterStateDict'));
  }

  /** An adapter as low-rank updates of the base model's state dict, for WiSE-FT (see peft-state-dict.ts). */
  async lowRankUpdates(name: string = this.requireActive('lowRankUpdates')): Promise<LowRankUpdates> {
    return lowRankUpdates(this.adapterVariables(name, 'lowRankUpdates'));
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
    const variables = this.adapterVariables(name, 'loadAdapterStateDict');
    loadAdapterStateDict(variables, stateDict, source, (key) =>
      unexpectedKeyProblem(key, variables.config, this.modules, this.llama.layers.length),
    );
  }

  /**
   * An adapter's variables by the module they adapt: each targeted projection's A and B (with its place and
   * shape), each module to save's trainable copy. What reading and writing PEFT's files works on.
   */
  adapterVariables(name: string, operation = 'adapterVariables'): AdapterVariables {
    this.checkUsable(operation);
    return this.placed.variables(name, this.adapter(name));
  }

  /**
   * Unmerges whatever is merged (the base weights return, within float rounding), puts every replaced
   * module back in the model, and disposes all adapter weights. The base model stays usable.
   */
  dispose(): void {
    if (this.disposed) return;
    this.unmerge();
    this.release();
  }

  private release(): void {
    this.placed.restoreAll();
    this.adapters.clear();
    this.merged.clear();
    this.state.active = null;
    this.disposed = true;
  }

  private adapter(name: string): AdapterPlan {
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
}

function isClassifier(model: AdaptableModel): model is SequenceClassifier {
  return 'backbone' in model && 'score' in model;
}

/** The dropout stream's seed: derived from the adapter's seed, apart from the stream that draws A. */
function dropoutSeed(seed: number): number {
  return (seed ^ 0x2545f491) >>> 0;
}
