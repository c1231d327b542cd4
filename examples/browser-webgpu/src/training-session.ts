import type { BackendChoice, BackendRequest } from '@mini-llama/backends';
import { InMemoryTokenSource, WindowLoader } from '@mini-llama/data';
import { generate, type LlamaConfigInput, LlamaModel, parameterCount, resolveConfig } from '@mini-llama/model';
import { LoraModel, parameterReport } from '@mini-llama/peft-lora';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import { languageModelObjective, type TrainableModel, Trainer } from '@mini-llama/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { type CheckpointFiles, checkpointFiles, type LossPoint, restoreCheckpoint } from './checkpoint-files.js';
import { FINE_TUNING_PROMPT, FINE_TUNING_TEXT, PRETRAINING_PROMPT, PRETRAINING_TEXT } from './corpus.js';
import type { Phase, RunOptions, WorkerMessage } from './protocol.js';

/**
 * A very small Llama: SwiftShader's software WebGPU runs at about 0.1 GFLOP/s, and the end-to-end test
 * trains on it. Grouped-query attention (2 KV heads for 4 query heads) as in the larger models.
 */
export const MODEL_CONFIG: LlamaConfigInput = {
  dim: 32,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: new ByteTokenizer().vocabSize, // 259: <unk>, <s>, </s> and the 256 bytes
  maxSeqLen: 64,
  multipleOf: 16, // hidden dim 96
};
const SEQ_LEN = 32;
const BATCH_SIZE = 8;
/** The whole run, over however many visits: the learning rate decays over these steps. */
const RUN_STEPS = 2000;

export interface SessionEnvironment {
  post(message: WorkerMessage): void;
  startBackend(request: BackendRequest): Promise<BackendChoice>;
  loadCheckpoint(): Promise<CheckpointFiles | null>;
  saveCheckpoint(files: CheckpointFiles): Promise<void>;
}

/**
 * One visit: start a backend, resume from the saved checkpoint (if any), pretrain `options.steps` steps
 * with checkpoints, sample, then fine-tune a LoRA adapter on a second text and sample with it.
 */
export async function runSession(options: RunOptions, environment: SessionEnvironment): Promise<void> {
  const { post } = environment;
  post({ type: 'status', text: `starting the ${options.backend} backend` });
  post({ type: 'backend', choice: await environment.startBackend(options.backend) });

  const tokenizer = new ByteTokenizer();
  const config = resolveConfig(MODEL_CONFIG);
  const model = new LlamaModel(config, { seed: 0 });
  const { dim, nLayers, nHeads, nKvHeads, hiddenDim, vocabSize } = config;
  post({
    type: 'model',
    parameters: parameterCount(config),
    config: `dim ${dim}, ${nLayers} layers, ${nHeads} heads (${nKvHeads} KV), hidden ${hiddenDim}, vocab ${vocabSize}, context ${SEQ_LEN}`,
  });
  const loader = windows(tokenizer, PRETRAINING_TEXT, 0);
  const trainer = new Trainer(model, {
    steps: RUN_STEPS,
    batchSize: BATCH_SIZE,
    optimizer: { weightDecay: 0.1, beta2: 0.95 }, // llama2.c's
    schedule: { name: 'cosine', learningRate: 1e-2, minLearningRate: 1e-3, warmupSteps: 5 },
  });
  try {
    post({ type: 'status', text: 'looking for a checkpoint in IndexedDB' });
    const saved = await environment.loadCheckpoint();
    const history = saved ? restoreCheckpoint(saved, trainer, loader) : [];
    post({ type: 'resume', fromStep: saved ? trainer.step : null, history });

    const lastStep = trainer.step + options.steps;
    const save = async () => {
      const started = performance.now();
      const files = await checkpointFiles(trainer, loader, history);
      await environment.saveCheckpoint(files);
      const bytes = files['model.safetensors'].byteLength + files['optimizer.safetensors'].byteLength;
      post({ type: 'checkpoint', step: trainer.step, bytes, milliseconds: performance.now() - started });
    };
    post({ type: 'status', text: `pretraining to step ${lastStep}` });
    await trainLoop('pretrain', trainer, loader, lastStep, post, async (point) => {
      history.push(point);
      if (point.step % options.checkpointEvery === 0 || point.step === lastStep) await save();
    });

    await sample('pretrain', model, tokenizer, PRETRAINING_PROMPT, options, post);
    if (options.loraSteps > 0) await fineTune(model, tokenizer, options, post);
    post({ type: 'done' });
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

/** LoRA on every Linear of the blocks; the base model stays frozen, so its checkpoint stays as saved. */
async function fineTune(
  model: LlamaModel,
  tokenizer: ByteTokenizer,
  options: RunOptions,
  post: (message: WorkerMessage) => void,
): Promise<void> {
  const lora = new LoraModel(model, { r: 4, alpha: 8, targetModules: 'all-linear', seed: 0 });
  const trainer = new Trainer(
    lora,
    {
      steps: options.loraSteps,
      batchSize: BATCH_SIZE,
      optimizer: { weightDecay: 0 },
      schedule: { name: 'constant', learningRate: 1e-2 },
    },
    (adapted, batch) => languageModelObjective(adapted.llama, batch),
    lora.trainableParameters(),
  );
  try {
    const { trainable, total, percent } = parameterReport(lora);
    post({ type: 'lora', trainable, total, percent, modules: lora.targetModules().length });
    post({ type: 'status', text: `fine-tuning a LoRA adapter for ${options.loraSteps} steps` });
    await trainLoop('lora', trainer, windows(tokenizer, FINE_TUNING_TEXT, 1), options.loraSteps, post);
    await sample('lora', model, tokenizer, FINE_TUNING_PROMPT, options, post);
  } finally {
    trainer.dispose();
    lora.dispose(); // takes the adapters out: the model is the pretrained one again
  }
}

/** Trains up to `lastStep`, reporting every step and the tensor count (a leak would make it grow). */
async function trainLoop<M extends TrainableModel>(
  phase: Phase,
  trainer: Trainer<M>,
  loader: WindowLoader,
  lastStep: number,
  post: (message: WorkerMessage) => void,
  afterStep?: (point: LossPoint) => Promise<void>,
): Promise<void> {
  let afterFirstStep: number | null = null;
  while (trainer.step < lastStep) {
    const { step, loss, tokensPerSecond } = await trainer.trainStep(loader);
    post({ type: 'step', phase, step, loss, tokensPerSecond });
    await afterStep?.({ step, loss });
    afterFirstStep ??= tf.memory().numTensors;
  }
  if (afterFirstStep !== null) {
    post({ type: 'tensors', phase, afterFirstStep, afterLastStep: tf.memory().numTensors });
  }
}

async function sample(
  phase: Phase,
  model: LlamaModel,
  tokenizer: ByteTokenizer,
  prompt: string,
  options: RunOptions,
  post: (message: WorkerMessage) => void,
): Promise<void> {
  post({ type: 'status', text: `sampling ${options.sampleTokens} bytes` });
  const tokens: number[] = [];
  const { tokens: rows } = await generate(model, [tokenizer.encode(prompt, { bos: true })], {
    maxNewTokens: options.sampleTokens,
    temperature: 0.8,
    topK: 40,
    seed: 0,
    onToken: ({ token }) => {
      tokens.push(token);
      post({ type: 'sample', phase, prompt, text: tokenizer.decode(tokens), done: false });
    },
  });
  post({ type: 'sample', phase, prompt, text: tokenizer.decode(rows[0]!), done: true });
}

/** Shuffled windows of SEQ_LEN + 1 bytes of a text (targets are the inputs shifted by one). */
function windows(tokenizer: ByteTokenizer, text: string, seed: number): WindowLoader {
  const tokens = Int32Array.from(tokenizer.encode(text));
  return new WindowLoader(new InMemoryTokenSource(tokens), {
    batchSize: BATCH_SIZE,
    seqLen: SEQ_LEN,
    order: 'shuffled',
    seed,
  });
}
