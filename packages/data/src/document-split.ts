import { mix32 } from './shuffle.js';

export type SplitName = 'train' | 'val';

export interface DocumentSplitRule {
  /** Share of documents that go to validation, in [0, 1). */
  valFraction: number;
  seed: number;
}

/**
 * Train or validation for one document, from a seeded hash of its text: FNV-1a (Fowler–Noll–Vo) over the
 * UTF-16 code units, finished with MurmurHash3's fmix32 and read as a number in [0, 1); below `valFraction`
 * means validation. A hash instead of a shuffle lets a corpus stream (no need to hold every document to
 * decide), keeps each document's side when files are added or reordered, and sends exact duplicates to the
 * same side, so they cannot leak from train into validation. The price: the validation share is
 * `valFraction` only on average (a binomial draw), and a corpus of a handful of documents may get none.
 */
export function assignSplit(text: string, { valFraction, seed }: DocumentSplitRule): SplitName {
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new RangeError(`assignSplit: valFraction must be in [0, 1), got ${valFraction}`);
  }
  if (valFraction === 0) return 'train';
  return documentHash(text, seed) / 4294967296 < valFraction ? 'val' : 'train';
}

/** Seeded 32-bit hash of a string (FNV-1a, offset basis 2166136261 xor the mixed seed, prime 16777619). */
export function documentHash(text: string, seed: number): number {
  let hash = (2166136261 ^ mix32(seed >>> 0)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return mix32(hash);
}
