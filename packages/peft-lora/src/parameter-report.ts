import { parameterCount } from '@mini-llama/model';
import type { LoraModel } from './lora-model.js';

export interface ParameterReport {
  trainable: number; // values the active adapter trains (its A and B matrices, its copies of modules to save)
  total: number; // every value of the model: the base's, plus every adapter's
  percent: number; // trainable / total · 100
}

/** PEFT's print_trainable_parameters, as numbers. */
export function parameterReport(lora: LoraModel): ParameterReport {
  const trainable = Object.values(lora.trainableParameters()).reduce(
    (sum, variable) => sum + variable.size,
    0,
  );
  // The base's own count, not model.parameters(): while a copy of a module to save is active, the model
  // reports the copy in its place.
  const head = lora.classifier ? lora.classifier.score.inFeatures * lora.classifier.numLabels : 0;
  const total = parameterCount(lora.config) + head + lora.adapterParameterCount();
  return { trainable, total, percent: (100 * trainable) / total };
}

/** "trainable params: 110,592 || all params: 15,338,304 || trainable%: 0.7210", as PEFT prints it. */
export function formatParameterReport({ trainable, total, percent }: ParameterReport): string {
  const count = (value: number) => value.toLocaleString('en-US');
  return `trainable params: ${count(trainable)} || all params: ${count(total)} || trainable%: ${percent.toFixed(4)}`;
}
