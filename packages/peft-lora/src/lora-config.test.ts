import { describe, expect, it } from 'vitest';
import { LINEAR_MODULE_NAMES, LoraConfigError, loraScale, resolveLoraConfig } from './lora-config.js';

describe('resolveLoraConfig', () => {
  it("fills PEFT's defaults and the default targets q, k, v, o", () => {
    expect(resolveLoraConfig()).toEqual({
      r: 8,
      alpha: 8,
      useRslora: false,
      dropout: 0,
      targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
      layersToTransform: null,
      modulesToSave: [],
      init: 'kaiming',
      seed: 0,
    });
  });

  it('scales by alpha / r, or alpha / √r with rank-stabilised LoRA', () => {
    expect(loraScale(resolveLoraConfig({ r: 4, alpha: 8 }))).toBe(2);
    expect(loraScale(resolveLoraConfig({ r: 16, alpha: 8, useRslora: true }))).toBe(2);
  });

  it("expands 'all-linear' to the seven projections, and keeps a regular expression as a string", () => {
    expect(resolveLoraConfig({ targetModules: 'all-linear' }).targetModules).toEqual([
      ...LINEAR_MODULE_NAMES,
    ]);
    expect(resolveLoraConfig({ targetModules: ['all-linear'] }).targetModules).toEqual([
      ...LINEAR_MODULE_NAMES,
    ]);
    expect(resolveLoraConfig({ targetModules: String.raw`.*\.(q|v)_proj` }).targetModules).toBe(
      String.raw`.*\.(q|v)_proj`,
    );
  });

  it('sorts and dedupes layer indices and modules to save', () => {
    const config = resolveLoraConfig({ layersToTransform: [3, 1, 3], modulesToSave: ['score', 'score'] });
    expect(config.layersToTransform).toEqual([1, 3]);
    expect(config.modulesToSave).toEqual(['score']);
  });

  it.each([
    [{ r: 0 }, 'LoraConfig.r must be a positive integer, got 0'],
    [{ r: 2.5 }, 'LoraConfig.r must be a positive integer, got 2.5'],
    [{ alpha: -1 }, 'LoraConfig.alpha must be a positive number, got -1'],
    [{ dropout: 1 }, 'LoraConfig.dropout must be a probability in [0, 1), got 1'],
    [{ targetModules: ['q_proj', 'qkv'] }, 'LoraConfig.targetModules: unknown module "qkv"'],
    [{ targetModules: ['lm_head'] }, 'LoraConfig.targetModules: lm_head is never adapted'],
    [{ targetModules: [] }, 'LoraConfig.targetModules must be a non-empty list'],
    [{ targetModules: '(' }, 'LoraConfig.targetModules: "(" is not a valid regular expression'],
    [{ layersToTransform: [-1] }, 'LoraConfig.layersToTransform: -1 is not a layer index'],
    [
      { targetModules: 'q_proj', layersToTransform: [0] },
      'LoraConfig.layersToTransform cannot be combined with a regular expression',
    ],
    [{ modulesToSave: ['classifier_head'] }, 'LoraConfig.modulesToSave: unknown module "classifier_head"'],
    [{ init: 'pissa' as 'kaiming' }, `LoraConfig.init must be 'kaiming' or 'gaussian', got "pissa"`],
    [{ seed: 0.5 }, 'LoraConfig.seed must be an integer, got 0.5'],
  ])('rejects %j, naming the field', (config, message) => {
    expect(() => resolveLoraConfig(config)).toThrow(LoraConfigError);
    expect(() => resolveLoraConfig(config)).toThrow(message);
  });
});
