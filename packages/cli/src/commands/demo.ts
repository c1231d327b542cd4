import { resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { loadBrownCorpus } from '@mini-llama/data/node';
import { generate, LLAMA_PRESETS, type LlamaConfigInput, LlamaModel, Random } from '@mini-llama/model';
import { saveModel } from '@mini-llama/model/node';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import { Trainer } from '@mini-llama/trainer';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import type { CliIo } from '../io.js';
import { BACKEND_HELP, backendRequest, oneOf, positiveNumber } from '../options.js';
import { TrainingProgress } from '../progress.js';
import { randomWindows } from '../training.js';

type ModelShape = Omit<LlamaConfigInput, 'vocabSize'>;

/** Byte-level models small enough to learn something in seconds on one CPU thread. */
const DEMO_SHAPES = {
  tiny: { dim: 64, nLayers: 4, nHeads: 4, nKvHeads: 2, maxSeqLen: 128, multipleOf: 32 },
  micro: { dim: 32, nLayers: 2, nHeads: 2, nKvHeads: 1, maxSeqLen: 64, multipleOf: 16 },
} as const satisfies Record<string, ModelShape>;

const PRESETS = [...Object.keys(DEMO_SHAPES), ...Object.keys(LLAMA_PRESETS)] as (
  | keyof typeof DEMO_SHAPES
  | keyof typeof LLAMA_PRESETS
)[];

const PROMPTS = ['The jury said ', 'In the morning ', 'It was the first time '];
const LEARNING_RATE = 3e-3;
// Short windows in small batches: many updates in a few seconds teach a byte model more than few large ones
// (20 s on one wasm thread: 8 × 48 reached a loss of ~2.3 nats/byte, 16 × 64 ~2.7).
const WINDOW = 48;
const BATCH = 8;
const SEED = 0;

interface DemoFlags {
  seconds?: number;
  preset?: (typeof PRESETS)[number];
  backend: BackendRequest;
  out?: string;
  quick?: boolean;
}

export function addDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'Train a tiny byte-level Llama for a few seconds on the Brown corpus (shipped with the CLI) and continue three prompts.',
    )
    .option('--seconds <s>', 'training time (default: 20, or 3 with --quick)', positiveNumber('--seconds'))
    .option(
      '--preset <name>',
      `model shape: ${PRESETS.join(', ')} (default: tiny, or micro with --quick; presets get a byte vocabulary)`,
      oneOf('--preset', PRESETS),
    )
    .option('--backend <name>', BACKEND_HELP, backendRequest, 'auto')
    .option('--out <dir>', 'save the trained model there (HF format: config.json + model.safetensors)')
    .option('--quick', 'a smoke run: the micro model, 3 s, a slice of the corpus, short continuations')
    .action((flags: DemoFlags) => runDemo(flags, io));
}

async function runDemo(flags: DemoFlags, io: CliIo): Promise<void> {
  const quick = flags.quick ?? false;
  const seconds = flags.seconds ?? (quick ? 3 : 20);
  const presetName = flags.preset ?? (quick ? 'micro' : 'tiny');
  const choice = await startBackend(flags.backend, io);

  const tokenizer = new ByteTokenizer();
  const documents = await loadBrownCorpus(quick ? { maxFiles: 20 } : {});
  const corpus = concatenate(documents.map((text) => tokenizer.encode(text, { bos: true, eos: true })));
  const shape: ModelShape =
    presetName in DEMO_SHAPES
      ? DEMO_SHAPES[presetName as keyof typeof DEMO_SHAPES]
      : LLAMA_PRESETS[presetName as keyof typeof LLAMA_PRESETS];
  const model = new LlamaModel({ ...shape, vocabSize: tokenizer.vocabSize }, { seed: SEED });
  const seqLen = Math.min(WINDOW, model.config.maxSeqLen);
  io.stderr.write(
    `demo: ${presetName} model, ${model.parameterCount().toLocaleString('en-US')} parameters, ` +
      `${corpus.length.toLocaleString('en-US')} tokens of the Brown corpus, ${seconds} s on ${choice.name}\n`,
  );

  // Adam as tfjs's tf.train.adam defaults it (no weight decay, no clipping): the quickest start for seconds of
  // training. The trainer package's AdamW with decay is what `mini-llama pretrain` uses.
  const trainer = new Trainer(model, {
    steps: Number.MAX_SAFE_INTEGER,
    batchSize: BATCH,
    clip: 0,
    optimizer: { beta1: 0.9, beta2: 0.999, eps: 1e-7, weightDecay: 0 },
    schedule: { name: 'constant', learningRate: LEARNING_RATE },
  });
  try {
    const random = new Random(SEED);
    const source = {
      nextBatch: () => randomWindows(corpus, BATCH, seqLen, random),
      getCursor: () => null,
      setCursor: () => {},
    };
    const progress = new TrainingProgress(io, seconds);
    const started = performance.now();
    let status = { step: 0, loss: Number.NaN, tokensPerSecond: 0, elapsedSeconds: 0 };
    // At least one step, however short --seconds is: the demo always trains.
    while (status.step === 0 || status.elapsedSeconds < seconds) {
      const { loss } = await trainer.trainStep(source);
      const elapsedSeconds = (performance.now() - started) / 1000;
      const step = status.step + 1;
      status = { step, loss, tokensPerSecond: (step * BATCH * seqLen) / elapsedSeconds, elapsedSeconds };
      progress.update(status);
    }
    progress.stop(status);

    io.stdout.write(`\nAfter ${status.step} steps (loss ${status.loss.toFixed(3)} nats/byte):\n`);
    for (const prompt of PROMPTS) {
      const ids = tokenizer.encode(prompt, { bos: true });
      const maxNewTokens = Math.min(quick ? 32 : 64, model.config.maxSeqLen - ids.length);
      const { tokens } = await generate(model, [ids], {
        maxNewTokens,
        temperature: 0.8,
        topK: 40,
        seed: SEED,
        eosTokenId: tokenizer.eosId,
      });
      const continuation = tokenizer.decode(tokens[0]!).replace(/\s+/g, ' ');
      io.stdout.write(`> ${prompt}${continuation}\n`);
    }
    if (flags.out) {
      const files = await saveModel(model, resolve(io.cwd, flags.out), { format: 'hf' });
      io.stdout.write(`\nsaved the model: ${files.join(', ')}\n`);
    }
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

/** Documents' ids end to end (BOS … EOS per document), as one typed array. */
function concatenate(documents: number[][]): Int32Array {
  const out = new Int32Array(documents.reduce((total, ids) => total + ids.length, 0));
  let offset = 0;
  for (const ids of documents) {
    out.set(ids, offset);
    offset += ids.length;
  }
  return out;
}
