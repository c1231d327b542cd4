// Fine-tune a small Llama with LoRA on the Brown corpus's topic task (shipped with @mini-llama/data, so this
// runs offline) and print its accuracy. A seeded random base stands in for a pretrained model: swap in
// `(await loadModel('path/to/weights')).model` from '@mini-llama/model/node' for a real one.
import { parseArgs } from 'node:util';
import { useBackend } from '@mini-llama/backends';
import { classificationBatches, ExampleBatches, shuffle } from '@mini-llama/data';
import { loadBrownTopics } from '@mini-llama/data/node';
import { evaluateClassifier } from '@mini-llama/eval';
import { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { formatParameterReport, LoraModel, parameterReport } from '@mini-llama/peft-lora';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import { classificationObjective, Trainer } from '@mini-llama/trainer';
import * as tf from '@tensorflow/tfjs-core';

const { values: args } = parseArgs({
  options: { steps: { type: 'string', default: '60' }, check: { type: 'boolean' } },
});
const steps = Number(args.steps);

const backend = await useBackend('auto');
console.log(`backend: ${backend.name} (${backend.reason})`);
const tokenizer = new ByteTokenizer();
const train = shuffle((await loadBrownTopics('id-train', { chunkChars: 160 })).examples, 1);
const test = shuffle((await loadBrownTopics('id-test', { chunkChars: 160 })).examples, 2).slice(0, 200);

const model = new LlamaModel(
  { dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: tokenizer.vocabSize, maxSeqLen: 192 },
  { seed: 0 },
);
const classifier = new SequenceClassifier(model, 4, { seed: 0 });
const lora = new LoraModel(classifier, { r: 8, alpha: 16, targetModules: ['q_proj', 'v_proj'] });
console.log(formatParameterReport(parameterReport(lora)));

const tensorsBefore = tf.memory().numTensors;
// Batches of 16 examples in a seeded order (a new one each epoch), padded: a trainer's batch source.
const source = new ExampleBatches(
  train,
  (rows) => [...classificationBatches(rows, tokenizer, { batchSize: rows.length, maxLength: 192 })][0],
  0,
);
const trainer = new Trainer(
  lora,
  { steps, batchSize: 16, schedule: { name: 'cosine', learningRate: 3e-3, warmupSteps: 5 } },
  (wrapper, batch) => classificationObjective(wrapper.classifier, batch),
);
const losses = [];
for (let step = 1; step <= steps; step++) {
  const { loss } = await trainer.trainStep(source);
  losses.push(loss);
  if (step % 10 === 0 || step === steps) console.log(`step ${step}/${steps}  loss ${loss.toFixed(3)}`);
}

lora.eval();
const { metrics } = await evaluateClassifier(classifier, test, tokenizer, {
  labelNames: ['press', 'nonfiction', 'learned', 'fiction'],
});
console.log(
  `accuracy ${metrics.accuracy.toFixed(4)}, macro-F1 ${metrics.macroF1.toFixed(4)} on ${metrics.n} held-out Brown passages`,
);

trainer.dispose();
const tensorsAfter = tf.memory().numTensors;
lora.dispose();
classifier.dispose();
model.dispose();
if (args.check) {
  // what the test command asserts: it trained, every loss is finite, it evaluated, nothing leaked
  const problems = [];
  if (losses.length !== steps || !losses.every(Number.isFinite)) problems.push(`losses: ${losses}`);
  if (metrics.n !== 200) problems.push(`evaluated ${metrics.n} examples, expected 200`);
  if (tensorsAfter > tensorsBefore) problems.push(`${tensorsAfter - tensorsBefore} tensors leaked`);
  if (problems.length > 0) throw new Error(`node-lora check failed: ${problems.join('; ')}`);
  console.log('check passed');
}
