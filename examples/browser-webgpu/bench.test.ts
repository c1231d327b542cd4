// The browser bench end to end: bench.html built and served on loopback, timed in headless Chromium on wasm.
// Threads need a cross-origin-isolated page: served with COOP/COEP the page gets the two threads it asks for,
// without them tfjs runs its single-threaded build whatever is asked.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchRequest } from './src/bench-protocol.js';
import { buildPages, runBrowserBench } from './src/browser-bench.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const skipReason = `skipped: no Chromium at ${CHROMIUM} (Debian: apt-get install chromium)`;
if (!available) console.warn(`browser bench: ${skipReason}`);

// the smallest llama2.c shape, a short timed window: this checks the measurement, it does not measure
const REQUEST: BenchRequest = {
  preset: 'stories260K',
  modes: ['train', 'generate'],
  batch: 2,
  seqLen: 32,
  seconds: 0.5,
  threads: 2,
};

describe.skipIf(!available)(`bench.html in headless Chromium${available ? '' : ` (${skipReason})`}`, () => {
  let pages: { dir: string; remove: () => void } | undefined;
  let built = '';
  beforeAll(async () => {
    pages = await buildPages();
    built = pages.dir;
  });
  afterAll(() => pages?.remove());

  it('cross-origin isolated: wasm runs the threads asked for; the rows are measurements and nothing leaks', async () => {
    const state = await runBrowserBench({ request: REQUEST, executablePath: CHROMIUM, built });
    expect(state.crossOriginIsolated).toBe(true);
    expect(state.threads).toBe(2);
    expect(state.rows.map((row) => row.mode)).toEqual(['train', 'generate']);
    const [train, generate] = state.rows;
    expect(train).toMatchObject({ preset: 'stories260K', backend: 'wasm', threads: 2, batch: 2, seqLen: 32 });
    expect(train!.tokens % (2 * 32)).toBe(0); // whole steps of 2 × 32 tokens
    expect(train!.tokens).toBeGreaterThanOrEqual(2 * 2 * 32); // at least two timed steps
    expect(generate!.newTokens).toBe(255);
    expect(generate!.tokens % 255).toBe(0);
    expect(generate!.tokens).toBeGreaterThanOrEqual(2 * 255); // at least two timed runs
    for (const row of state.rows) {
      expect(row.tokensPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(row.tokensPerSecond)).toBe(true);
      expect(row.tensorsAfter).toBe(row.tensorsBefore);
    }
  });

  it('without COOP/COEP: no SharedArrayBuffer, so one thread whatever is asked', async () => {
    const state = await runBrowserBench({
      request: { ...REQUEST, modes: ['generate'] },
      executablePath: CHROMIUM,
      crossOriginIsolated: false,
      built,
    });
    expect(state.crossOriginIsolated).toBe(false);
    expect(state.threads).toBe(1);
    expect(state.rows[0]!.threads).toBe(1);
  });

  it('a bad query is refused by the page with the parameter named', async () => {
    await expect(
      runBrowserBench({ request: { ...REQUEST, batch: 0 }, executablePath: CHROMIUM, built }),
    ).rejects.toThrow(/batch: expected a positive integer, got '0'/);
  });
});
