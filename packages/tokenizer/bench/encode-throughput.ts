// Encoding speed on TinyStories: `pnpm --filter @mini-llama/tokenizer bench`. Reports MB/s of UTF-8 input;
// the first pass starts with an empty word cache, the later ones find most words cached. The same text with
// its spaces removed is one long word, which takes the priority-queue path alone (no cache, no splitting).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadTokenizer } from '../src/node/index.js';

const data = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const textPath = `${data}tinystories/tinystories_v1_train_first1000.txt`;
const modelPath = `${data}llama2-tokenizer/tokenizer.model`;
if (!existsSync(textPath)) {
  console.log(`encode-throughput: skipped, ${textPath} is absent`);
  process.exit(0);
}
const text = readFileSync(textPath, 'utf8');
const megabytes = Buffer.byteLength(text) / 1e6;
const passes = 5;

for (const source of [existsSync(modelPath) ? modelPath : null, 'llama2'].filter((name) => name !== null)) {
  const tokenizer = await loadTokenizer(source);
  const rates: number[] = [];
  let tokens = 0;
  for (let pass = 0; pass < passes; pass++) {
    const start = performance.now();
    tokens = tokenizer.encode(text).length;
    rates.push(megabytes / ((performance.now() - start) / 1000));
  }
  const warm = rates.slice(1).sort((a, b) => a - b);
  console.log(
    `encode ${source}: ${megabytes.toFixed(2)} MB → ${tokens} tokens; first pass ${rates[0]!.toFixed(1)} MB/s,` +
      ` then median ${warm[Math.floor(warm.length / 2)]!.toFixed(1)} MB/s (${passes - 1} passes)`,
  );
  const unspaced = text.replaceAll(' ', '');
  const start = performance.now();
  const unspacedTokens = tokenizer.encode(unspaced).length;
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `encode ${source}, spaces removed (one ${(Buffer.byteLength(unspaced) / 1e6).toFixed(2)} MB word): ` +
      `${unspacedTokens} tokens, ${(Buffer.byteLength(unspaced) / 1e6 / seconds).toFixed(1)} MB/s`,
  );
}
