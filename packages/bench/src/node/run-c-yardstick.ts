// llama2.c's run.c as a generation yardstick: compiled here from its source (-O3 for one thread, -O3 -fopenmp
// for several), run on a random-weight checkpoint of the bench's shape in llama2.c's format, its own
// "achieved tok/s" read back. The source is not shipped with the package: the bench is given its path.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { seededRandom } from '@mini-llama/data';
import {
  expectedTensorShapes,
  type LlamaConfig,
  type StateDict,
  serializeLlama2c,
} from '@mini-llama/formats';

const run = promisify(execFile);

/** The two builds compared: one thread (-O3) and OpenMP (-O3 -fopenmp, OMP_NUM_THREADS threads). */
export type RunCBuild = 'single' | 'openmp';

/** Compiles run.c into `directory`; returns the executable. A failed compile is an error with the compiler's output. */
export async function buildRunC(
  source: string,
  directory: string,
  build: RunCBuild,
  compiler = process.env['CC'] ?? 'cc',
): Promise<string> {
  const executable = join(directory, build === 'single' ? 'run' : 'runomp');
  const flags = ['-O3', ...(build === 'openmp' ? ['-fopenmp'] : []), '-o', executable, source, '-lm'];
  try {
    await run(compiler, flags, { maxBuffer: 1 << 20 });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(
      `${compiler} ${flags.join(' ')} failed: ${(stderr || message).trim().split('\n').slice(-3).join(' ')}`,
    );
  }
  return executable;
}

/**
 * A random-weight llama2.c checkpoint (format v0, as run.c reads it) of `config` and a tokenizer.bin with a
 * piece per token. Token 1 (BOS) has a zero embedding row, so with the tied head its logit is always 0 and
 * greedy decoding never picks it: run.c stops at a generated BOS, and the timing needs every token generated.
 */
export async function writeRunCInputs(
  config: LlamaConfig,
  directory: string,
  seed = 0,
): Promise<{ checkpoint: string; tokenizer: string }> {
  if (!config.tieEmbeddings) {
    throw new Error('run.c yardstick: the shape must tie its embeddings (llama2.c shares the classifier)');
  }
  const random = seededRandom(seed);
  const normal = () => {
    // Box–Muller: N(0, 1) from two uniforms
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const state: StateDict = new Map();
  for (const [name, shape] of expectedTensorShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('norm.weight')) data.fill(1);
    else for (let i = 0; i < data.length; i++) data[i] = 0.02 * normal();
    if (name === 'model.embed_tokens.weight') data.fill(0, config.dim, 2 * config.dim); // token 1
    state.set(name, { shape, data });
  }
  const checkpoint = join(directory, 'model.bin');
  await writeFile(checkpoint, serializeLlama2c(state, config, 0));
  const tokenizer = join(directory, 'tokenizer.bin');
  await writeFile(tokenizer, runCTokenizer(config.vocabSize));
  return { checkpoint, tokenizer };
}

/** llama2.c's tokenizer.bin for `vocabSize` pieces: "<0x00>"…"<0xFF>" after three specials, then "tN ". */
export function runCTokenizer(vocabSize: number): Uint8Array {
  const pieces = Array.from({ length: vocabSize }, (_, id) =>
    id < 3
      ? ['<unk>', '<s>', '</s>'][id]!
      : id < 259
        ? `<0x${(id - 3).toString(16).toUpperCase().padStart(2, '0')}>`
        : `t${id} `,
  );
  const encoded = pieces.map((piece) => new TextEncoder().encode(piece));
  const bytes = new Uint8Array(4 + encoded.reduce((sum, piece) => sum + 8 + piece.length, 0));
  const view = new DataView(bytes.buffer);
  view.setInt32(0, Math.max(...encoded.map((piece) => piece.length)), true);
  let offset = 4;
  for (const piece of encoded) {
    view.setFloat32(offset, 0, true);
    view.setInt32(offset + 4, piece.length, true);
    bytes.set(piece, offset + 8);
    offset += 8 + piece.length;
  }
  return bytes;
}

/** run.c's own figure: greedy decoding from BOS for `newTokens` tokens, "achieved tok/s" (after the first token). */
export async function measureRunC(
  executable: string,
  inputs: { checkpoint: string; tokenizer: string },
  { newTokens, threads }: { newTokens: number; threads: number },
): Promise<{ tokensPerSecond: number }> {
  const args = [inputs.checkpoint, '-z', inputs.tokenizer, '-t', '0', '-n', String(newTokens + 1), '-i', ''];
  const { stderr } = await run(executable, args, {
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    maxBuffer: 16 << 20,
  });
  const match = /achieved tok\/s: ([\d.]+)/.exec(stderr);
  if (!match) throw new Error(`run.c printed no "achieved tok/s" (stderr: ${stderr.trim().slice(-200)})`);
  return { tokensPerSecond: Number(match[1]) };
}
