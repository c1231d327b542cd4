import type { BackendChoice, BackendRequest } from '@mini-llama/backends';
import {
  generate,
  type LlamaConfigInput,
  LlamaModel,
  parameterCount,
  resolveConfig,
} from '@mini-llama/model';
import { LoraModel, parameterReport } from '@mini-llama/peft-lora';
import { adapterAlphaSweep } from '@mini-llama/study';
import { ByteTokenizer, type Tokenizer } from '@mini-llama/tokenizer';
import { type BatchSource, languageModelObjective, type TrainableModel, Trainer } from '@mini-llama/trainer';
import * as tf from '@tensorflow/tfjs-core';
import {
  type CheckpointFiles,
  checkpointFiles,
  type LossPoint,
  restoreCheckpoint,
} from './checkpoint-files.js';
import { FINE_TUNING_PROMPT, FINE_TUNING_TEXT, PRETRAINING_PROMPT, PRETRAINING_TEXT } from './corpus.js';
import type { Phase, RunOptions, WorkerMessage } from './protocol.js';
import { RandomWindows } from './random-windows.js';

const SEQ_LEN = 64; // bytes per training window: the whole context, so samples never run past what was trained
const BATCH_SIZE = 4; // windows per step
/** The whole run, over however many visits: the learning rate decays over these steps. */
const RUN_STEPS = 2000;

/**
 * A small Llama of the width and depth asked for: 4 heads sharing 2 key/value heads (grouped-query attention,
 * as in the larger models) and the byte tokenizer's vocabulary.
 */
export function modelConfig({ dim, layers }: Pick<RunOptions, 'dim' | 'layers'>): LlamaConfigInput {
  return {
    dim,
    nLayers: layers,
    nHeads: 4,
    nKvHeads: 2,
    vocabSize: new ByteTokenizer().vocabSize, // 259: <unk>, <s>, </s> and the 256 bytes
    maxSeqLen: SEQ_LEN,
    multipleOf: 16, // the SwiGLU width is rounded up to a multiple of this
  };
}

export interface SessionEnvironment {
  post(message: WorkerMessage): void;
  startBackend(request: BackendRequest): Promise<BackendChoice>;
  /** Checkpoints by run: each model shape has its own (`run` names it). */
  loadCheckpoint(run: string): Promise<CheckpointFiles | null>;
  saveCheckpoint(run: string, files: CheckpointFiles): Promise<void>;
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
  const config = resolveConfig(modelConfig(options));
  const run = `dim${config.dim}-layers${config.nLayers}`;
  const model = new LlamaModel(config, { seed: 0 });
  const { dim, nLayers, nHeads, nKvHeads, hiddenDim, vocabSize } = config;
  post({
    type: 'model',
    parameters: parameterCount(config),
    config: `dim ${dim}, ${nLayers} layers, ${nHeads} heads (${nKvHeads} KV), hidden ${hiddenDim}, vocab ${vocabSize}; trained on windows of ${SEQ_LEN} bytes`,
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
    const saved = await environment.loadCheckpoint(run);
    let history: LossPoint[] = [];
    if (saved) {
      try {
        history = restoreCheckpoint(saved, trainer, loader);
      } catch (error) {
        throw new Error(
          `the checkpoint of ${run} in IndexedDB cannot be restored: ${(error as Error).message}; ` +
            '"Forget the checkpoints and start over" deletes it',
        );
      }
    }
    post({ type: 'resume', fromStep: saved ? trainer.step : null, history });

    const lastStep = trainer.step + options.steps;
    const save = async () => {
      const started = performance.now();
      const files = await checkpointFiles(trainer, loader, history);
      await environment.saveCheckpoint(run, files);
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

/**
 * LoRA (rank 4) on the query and value projections, as the LoRA paper adapts GPT-3 (Hu et al. 2021, 7.1).
 * The base model stays frozen, so the checkpoint saved before stays the pretrained model's.
 */
export async function fineTune(
  model: LlamaModel,
  tokenizer: Tokenizer,
  options: RunOptions,
  post: (message: WorkerMessage) => void,
): Promise<void> {
  const lora = new LoraModel(model, { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'], seed: 0 });
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
    // The study's question, asked of this adapter: between the pretrained model (α = 0) and the fine-tuned one
    // (α = 1), how does the loss on the recipe (what it was tuned for) trade against the story (what it knew)?
    post({ type: 'status', text: 'WiSE-FT of the adapter: loss on both texts over α' });
    const points = await adapterAlphaSweep(
      lora,
      [
        { name: 'recipe', tokens: Int32Array.from(tokenizer.encode(FINE_TUNING_TEXT)) },
        { name: 'story', tokens: Int32Array.from(tokenizer.encode(PRETRAINING_TEXT)) },
      ],
      { seqLen: SEQ_LEN },
    );
    post({ type: 'sweep', points });
  } finally {
    trainer.dispose();
    lora.dispose(); // takes the adapters out: the model is the pretrained one again
  }
}

/** Trains up to `lastStep`, reporting every step and the tensor count (a leak would make it grow). */
async function trainLoop<M extends TrainableModel>(
  phase: Phase,
  trainer: Trainer<M>,
  loader: BatchSource,
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

export async function sample(
  phase: Phase,
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompt: string,
  options: RunOptions,
  post: (message: WorkerMessage) => void,
): Promise<void> {
  post({ type: 'status', text: `sampling ${options.sampleTokens} bytes` });
  const tokens: number[] = [];
  const { tokens: rows } = await generate(model, [tokenizer.encode(prompt)], {
    maxNewTokens: options.sampleTokens,
    temperature: 0.6, // a little below 1 and the 10 likeliest bytes: fewer stray letters from a tiny model
    topK: 10,
    seed: 0,
    onToken: ({ token }) => {
      tokens.push(token);
      post({ type: 'sample', phase, prompt, text: tokenizer.decode(tokens), done: false });
    },
  });
  post({ type: 'sample', phase, prompt, text: tokenizer.decode(rows[0]!), done: true });
}

/** Random windows of SEQ_LEN + 1 tokens of a text (targets are the inputs shifted by one). */
function windows(tokenizer: Tokenizer, text: string, seed: number): RandomWindows {
  return new RandomWindows(Int32Array.from(tokenizer.encode(text)), SEQ_LEN, seed);
}
