// BPE training time: a 4096-piece vocabulary on ~10 MB of TinyStories (the 0.9 MB train sample and the
// 0.8 MB validation head, then the train sample repeated up to 10 MB). Run with the encode benchmark by
// `pnpm --filter @mini-llama/tokenizer bench`.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { trainBpe } from '../src/index.js';

const data = fileURLToPath(new URL('../../../../shared/data/tinystories/', import.meta.url));
const files = ['tinystories_v1_train_first1000.txt', 'tinystories_v1_valid_head.txt'].map(
  (name) => data + name,
);
if (!files.every((file) => existsSync(file))) {
  console.log(`train-time: skipped, ${data} is absent`);
  process.exit(0);
}
const texts = files.map((file) => readFileSync(file, 'utf8'));
let bytes = texts.reduce((total, text) => total + Buffer.byteLength(text), 0);
while (bytes < 10e6) {
  texts.push(texts[0]!);
  bytes += Buffer.byteLength(texts[0]!);
}
for (const vocabSize of [512, 4096]) {
  const start = performance.now();
  const model = trainBpe(texts, { vocabSize });
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `train ${vocabSize}: ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s → ${model.pieces.length} pieces`,
  );
}
