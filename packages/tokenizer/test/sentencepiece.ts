// Runs the SentencePiece library (Debian's python3-sentencepiece) through test/sentencepiece_encode.py.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('sentencepiece_encode.py', import.meta.url));

export const haveSentencePiece =
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import sentencepiece'], { stdio: 'ignore' }).status === 0;

/** A describe title that says why it is skipped when SentencePiece cannot be run. */
export function needsSentencePiece(title: string): string {
  return haveSentencePiece ? title : `${title} (skipped: ${PYTHON} cannot import sentencepiece)`;
}

export interface SentencePieceResult {
  vocab_size: number;
  bos: number;
  eos: number;
  pad: number;
  unk: number;
  ids: number[][];
  decoded: string[];
}

/** SentencePiece's encode of each text (and decode of each id list) with the model file at `model`. */
export function sentencePiece(model: string, texts: string[], decode: number[][] = []): SentencePieceResult {
  const run = spawnSync(PYTHON, [SCRIPT], {
    input: JSON.stringify({ model, texts, decode }),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) throw new Error(`sentencepiece_encode.py failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as SentencePieceResult;
}
