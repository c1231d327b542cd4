import { useBackend } from '@mini-llama/backends';
import { LlamaModel, parameterCount, presetConfig, SequenceClassifier } from '@mini-llama/model';
import { describe, expect, it } from 'vitest';
import { LoraModel } from './lora-model.js';
import { formatParameterReport, parameterReport } from './parameter-report.js';
import { tinyModel } from './test-helpers.js';

describe('parameterReport', () => {
  it('the default config trains well under 5% of stories15M', async () => {
    await useBackend('cpu');
    const config = presetConfig('stories15M');
    const model = new LlamaModel(config, { init: 'none' });
    const lora = new LoraModel(model, {});
    const report = parameterReport(lora);
    // r = 8 on q, k, v, o (each 288 → 288) of 6 layers: 6 · 4 · (288·8 + 8·288)
    expect(report.trainable).toBe(6 * 4 * (288 * 8 + 8 * 288));
    expect(report.total).toBe(parameterCount(config) + report.trainable);
    expect(report.percent).toBeLessThan(1); // 0.72%: "well under 5%"
    expect(formatParameterReport(report)).toBe(
      `trainable params: 110,592 || all params: ${report.total.toLocaleString('en-US')} || trainable%: ${report.percent.toFixed(4)}`,
    );
    lora.dispose();
    model.dispose();
  });

  it('counts every adapter in the total and the active one as trainable, a classifier head included', async () => {
    await useBackend('cpu');
    const model = tinyModel();
    const classifier = new SequenceClassifier(model, 3);
    const lora = new LoraModel(classifier, { r: 2, targetModules: ['v_proj'] }); // v: 16 → 8
    lora.addAdapter('other', { r: 1, targetModules: ['q_proj'], layersToTransform: [0] }); // q: 16 → 16
    const perV = 16 * 2 + 2 * 8;
    const head = 16 * 3;
    const report = parameterReport(lora);
    expect(report.trainable).toBe(2 * perV + head);
    const otherAdapter = 16 * 1 + 1 * 16 + head;
    expect(report.total).toBe(parameterCount(model.config) + head + 2 * perV + head + otherAdapter);
    lora.dispose();
    classifier.dispose();
    model.dispose();
  });
});
