import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSafetensors } from '@mini-llama/formats';
import { readWeightFile } from '@mini-llama/formats/node';
import { ADAPTER_WEIGHTS_FILE } from '@mini-llama/peft-lora';
import type { TrainableShares } from '../results.js';

/** Trainable parameters of full fine-tuning (backbone + head) and of a LoRA adapter (+ its head). */
export async function trainableShares(base: string, adapter: string): Promise<TrainableShares> {
  const { stateDict } = await readWeightFile(base);
  let backbone = 0;
  for (const tensor of stateDict.values()) backbone += tensor.data.length;
  const bytes = await readFile(join(adapter, ADAPTER_WEIGHTS_FILE));
  const { tensors } = parseSafetensors(new Uint8Array(bytes), ADAPTER_WEIGHTS_FILE);
  let loraMatrices = 0;
  let head = 0;
  for (const [key, tensor] of tensors) {
    if (key.endsWith('score.weight')) head = tensor.data.length;
    else loraMatrices += tensor.data.length;
  }
  const full = backbone + head;
  const lora = loraMatrices + head;
  // as peft's print_trainable_parameters (and finetune's console line): of the adapted model's parameters,
  // the base's (with its head) and the adapter's (with its trained copy of the head)
  return { full, lora, loraMatrices, head, loraShare: lora / (full + lora) };
}
