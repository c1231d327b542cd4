import type { LinearLike } from '@mini-llama/layers';
import type { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { Random } from '@mini-llama/model';
import type * as tf from '@tensorflow/tfjs-core';
import {
  LoraConfigError,
  loraScale,
  type ResolvedLoraConfig,
  type SavableModuleName,
} from './lora-config.js';
import { type AdapterState, LoraLinear } from './lora-linear.js';
import { ModulesToSave } from './modules-to-save.js';
import { loraParameterName, savedModuleParameterName } from './peft-keys.js';
import type { AdapterVariables } from './peft-state-dict.js';
import type { TargetModule } from './target-modules.js';

/** What one adapter adapts: its resolved config and the projections it targets. */
export interface AdapterPlan {
  config: ResolvedLoraConfig;
  targets: TargetModule[];
}

/**
 * The adapter modules a LoraModel has put into its model: a LoraLinear in the place of each targeted
 * projection (shared by every adapter that targets it) and a ModulesToSave in the place of each head trained
 * whole. It puts them in with `model.replaceModule`, takes them out again when no adapter uses them, and
 * finds each adapter's variables in them.
 */
export class AdapterModules {
  private readonly layers = new Map<string, LoraLinear>(); // by module path
  private readonly saved = new Map<SavableModuleName, ModulesToSave>();

  constructor(
    private readonly model: LlamaModel | SequenceClassifier,
    private readonly state: AdapterState,
  ) {}

  /** Throws unless `plan` can be added: its heads exist, and no module is another LoraModel's already. */
  check({ config, targets }: AdapterPlan): void {
    for (const module of config.modulesToSave) {
      if (!this.saved.has(module) && this.savableModule(module) instanceof ModulesToSave) {
        throw new Error(`LoraModel.addAdapter: ${module} is already wrapped by another LoraModel`);
      }
    }
    const foreign = targets.find(
      (target) => !this.layers.has(target.path) && this.model.module(target.path) instanceof LoraLinear,
    );
    if (foreign) {
      throw new Error(
        `LoraModel.addAdapter: ${foreign.path} already has adapters of another LoraModel; add this adapter to that one`,
      );
    }
  }

  /** Adds the adapter `name`'s weights to the modules of `plan`, putting new modules in where needed. */
  add(name: string, { config, targets }: AdapterPlan, init: 'config' | 'zeros'): void {
    const random = new Random(config.seed);
    const scale = loraScale(config);
    for (const target of targets) {
      let layer = this.layers.get(target.path);
      if (!layer) {
        layer = new LoraLinear(this.model.module(target.path), this.state);
        this.model.replaceModule(target.path, layer);
        this.layers.set(target.path, layer);
      }
      const options = { rank: config.r, scale, dropout: config.dropout, random };
      layer.addAdapter(name, { ...options, init: init === 'zeros' ? 'zeros' : config.init });
    }
    for (const module of config.modulesToSave) {
      let wrapper = this.saved.get(module);
      if (!wrapper) {
        wrapper = new ModulesToSave(this.savableModule(module), this.state);
        this.model.replaceModule(module, wrapper);
        this.saved.set(module, wrapper);
      }
      wrapper.addAdapter(name);
    }
  }

  /** Disposes the adapter `name`'s weights; a module left without adapters goes back out of the model. */
  remove(name: string, { config, targets }: AdapterPlan): void {
    for (const target of targets) {
      const layer = this.layers.get(target.path)!;
      layer.deleteAdapter(name);
      if (layer.adapterNames().length === 0) {
        this.model.replaceModule(target.path, layer.base);
        layer.dispose();
        this.layers.delete(target.path);
      }
    }
    for (const module of config.modulesToSave) {
      const wrapper = this.saved.get(module)!;
      wrapper.deleteAdapter(name);
      if (wrapper.adapterNames().length === 0) {
        this.model.replaceModule(module, wrapper.base);
        wrapper.dispose();
        this.saved.delete(module);
      }
    }
  }

  /** W ← W + scale·A·B (or, unmerging, − ) in every projection the adapter targets. */
  merge(name: string, { targets }: AdapterPlan, direction: 'merge' | 'unmerge'): void {
    for (const target of targets) this.layers.get(target.path)![direction](name);
  }

  /** α·scale·A·B instead of scale·A·B in every projection the adapter targets. */
  setWeight(name: string, { targets }: AdapterPlan, weight: number): void {
    for (const target of targets) this.layers.get(target.path)!.setAdapterWeight(name, weight);
  }

  /** Writes the adapter's copies of the heads into the originals (PEFT's merge_and_unload keeps them). */
  bakeInHeads(name: string): void {
    for (const wrapper of this.saved.values()) if (wrapper.hasAdapter(name)) wrapper.bakeIn(name);
  }

  /** Puts every original module back and disposes all adapter weights. */
  restoreAll(): void {
    for (const [path, layer] of this.layers) {
      this.model.replaceModule(path, layer.base);
      layer.dispose();
    }
    for (const [module, wrapper] of this.saved) {
      this.model.replaceModule(module, wrapper.base);
      wrapper.dispose();
    }
    this.layers.clear();
    this.saved.clear();
  }

  /** The adapter's variables by module (what PEFT's files are read into and written from). */
  variables(name: string, { config, targets }: AdapterPlan): AdapterVariables {
    return {
      config,
      targets: targets.map((target) => ({ target, weights: this.layers.get(target.path)!.weights(name) })),
      saved: config.modulesToSave.map((module) => ({ module, copy: this.saved.get(module)!.copy(name) })),
    };
  }

  /** The adapter's trainable variables by PEFT's in-memory names (see LoraModel.trainableParameters). */
  trainable(name: string, plan: AdapterPlan): Record<string, tf.Variable> {
    const named: Record<string, tf.Variable> = {};
    for (const { target, weights } of this.variables(name, plan).targets) {
      named[loraParameterName(target.path, 'A', name)] = weights.a;
      named[loraParameterName(target.path, 'B', name)] = weights.b;
    }
    for (const module of plan.config.modulesToSave) {
      named[savedModuleParameterName(module, name)] = this.saved.get(module)!.copy(name);
    }
    return named;
  }

  /** Number of values in every adapter (all adapters, their copies of heads included). */
  parameterCount(): number {
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

  /** The head that `module` names in this model, checked to exist. */
  private savableModule(module: SavableModuleName): LinearLike {
    const classifier = 'backbone' in this.model ? this.model : null;
    if (module === 'score') {
      if (!classifier) {
        throw new LoraConfigError(
          'LoraConfig.modulesToSave: "score" needs a SequenceClassifier (this is a LlamaModel)',
        );
      }
      return classifier.score;
    }
    if (classifier) {
      throw new LoraConfigError(
        'LoraConfig.modulesToSave: "lm_head" is not used by a SequenceClassifier (its head is "score")',
      );
    }
    const { lmHead } = this.model as LlamaModel;
    if (!lmHead) {
      throw new LoraConfigError(
        'LoraConfig.modulesToSave: "lm_head" needs an untied output head; this model ties it to model.embed_tokens',
      );
    }
    return lmHead;
  }
}
