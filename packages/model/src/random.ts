/**
 * A small seeded generator (xoshiro128**, Blackman & Vigna 2018) whose whole state is four uint32 words, so a
 * checkpoint can store it and a resumed run draws the same numbers. Independent of the tfjs backend: the same
 * seed gives the same initial weights and the same samples on cpu, wasm and WebGPU.
 */
export class Random {
  private state: Uint32Array;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new Error(`Random: seed must be a finite number, got ${seed}`);
    // splitmix32 expands one seed into four well-mixed words (xoshiro's state must not be all zero).
    this.state = new Uint32Array(4);
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.state[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.state;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** A Float32Array of normals with the given standard deviation. */
  normalArray(length: number, std = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.normal() * std;
    return out;
  }

  /** An integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** The full state, for checkpoints. */
  getState(): RandomState {
    return { words: Array.from(this.state), spareNormal: this.spareNormal };
  }

  setState({ words, spareNormal }: RandomState): void {
    if (words.length !== 4 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new Error(`Random.setState: expected four uint32 words, got ${JSON.stringify(words)}`);
    }
    this.state = Uint32Array.from(words);
    this.spareNormal = spareNormal;
  }
}

export interface RandomState {
  words: number[];
  spareNormal: number | null;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
