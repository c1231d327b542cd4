// Splits minllama's SST-5 training file into a part to fit on and a held-out part (a seeded tenth), so that a
// recipe can be chosen without the dev set: run.sh picks the learning rate and the number of epochs on the
// held-out part, then trains on the whole training file with them.
// Usage: node docs/experiments/minllama-tasks/holdout.mjs DATA_DIR/sst-train.txt OUT_DIR → OUT_DIR/sst-{fit,heldout}.txt
// and the label mapping beside them.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { permutation } from '../../../packages/data/dist/index.js';

const [train, out] = process.argv.slice(2);
if (!train || !out) throw new Error('usage: node holdout.mjs TRAIN.txt OUT_DIR');
const lines = readFileSync(train, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');
const order = permutation(lines.length, 20);
const heldOut = new Set(order.subarray(0, Math.round(lines.length / 10)));
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'sst-fit.txt'),
  lines
    .filter((_, i) => !heldOut.has(i))
    .map((line) => `${line}\n`)
    .join(''),
);
writeFileSync(
  join(out, 'sst-heldout.txt'),
  lines
    .filter((_, i) => heldOut.has(i))
    .map((line) => `${line}\n`)
    .join(''),
);
copyFileSync(join(dirname(train), 'sst-label-mapping.json'), join(out, 'sst-label-mapping.json'));
console.log(JSON.stringify({ fit: lines.length - heldOut.size, heldOut: heldOut.size }));
