// Seeded randomness for data order. Every shuffle in this package goes through here, so one seed fixes a
// whole run's data order on every platform (Math.random cannot be seeded).

/**
 * A uniform float in [0, 1) generator: mulberry32 (Tommy Ettinger, public domain), seeded through
 * SplitMix32's finaliser so that nearby seeds (0, 1, 2, …) give unrelated streams.
 */
export function seededRandom(seed: number): () => number {
  let state = mix32(seed >>> 0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded permutation of 0 … n-1 (Fisher–Yates; Knuth, TAOCP vol. 2, Algorithm P). */
export function permutation(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/** A shuffled copy of `items`; the input is left as it was. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  return Array.from(permutation(items.length, seed), (index) => items[index]!);
}

/** Two seeds → one (e.g. a run's seed and an epoch number → that epoch's shuffle seed). */
export function combineSeeds(seed: number, other: number): number {
  return mix32((Math.imul(seed >>> 0, 0x9e3779b1) ^ (other >>> 0)) >>> 0);
}

/** The 32-bit finaliser of MurmurHash3 (Appleby): every input bit flips each output bit with p ≈ 1/2. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A seeded sample with as many examples of each label (`perLabel`), in one shuffled order: a balanced set,
 * whose majority-class rate is 1 / labels. A label with fewer examples than asked is an error naming it.
 */
export function balancedSample<T extends { label: number }>(
  examples: readonly T[],
  perLabel: number,
  labels: number,
  seed: number,
): T[] {
  const taken = new Array<number>(labels).fill(0);
  const out = shuffle(examples, seed).filter((example) => {
    if (taken[example.label]! >= perLabel) return false;
    taken[example.label]!++;
    return true;
  });
  const short = taken.findIndex((count) => count < perLabel);
  if (short >= 0) {
    throw new Error(
      `balancedSample: label ${short} has ${taken[short]} examples, fewer than the ${perLabel} asked for`,
    );
  }
  return out;
}
