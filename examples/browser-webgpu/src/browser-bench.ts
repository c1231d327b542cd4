// Node side of the browser bench: builds the pages with Vite, serves them cross-origin isolated on loopback,
// opens bench.html in headless Chromium and returns what the page measured (window.__miniLlamaBench).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import type { BenchRequest, BenchState } from './bench-protocol.js';
import { serveDirectory } from './static-server.js';

export interface BrowserBenchOptions {
  request: BenchRequest;
  /** Chromium's executable (default /usr/bin/chromium). */
  executablePath?: string;
  /** Serve with COOP/COEP (default true): without it the page gets no SharedArrayBuffer, so one thread. */
  crossOriginIsolated?: boolean;
  /** How long the page may take, in ms (default 10 minutes). */
  timeoutMs?: number;
  /** The page's status lines as they change. */
  onStatus?: (text: string) => void;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The query string bench.html reads for a request. */
export function benchQuery(request: BenchRequest): string {
  const query = new URLSearchParams({
    preset: request.preset,
    modes: request.modes.join(','),
    batch: String(request.batch),
    seq: String(request.seqLen),
    seconds: String(request.seconds),
  });
  if (request.threads !== null) query.set('threads', String(request.threads));
  return `?${query}`;
}

/** The pages built by Vite into a temporary folder; `remove` deletes it. */
export async function buildPages(): Promise<{ dir: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'mini-llama-browser-bench-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    await build({
      root,
      logLevel: 'error',
      build: { outDir: dir, emptyOutDir: true, minify: false, reportCompressedSize: false },
    });
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, remove };
}

/**
 * Serves the built pages (`built`, from buildPages; default: built now and removed after) and runs bench.html
 * once in headless Chromium; throws with the page's error and console when it fails.
 */
export async function runBrowserBench(
  options: BrowserBenchOptions & { built?: string },
): Promise<BenchState> {
  const pages = options.built === undefined ? await buildPages() : null;
  const log: string[] = [];
  try {
    const server = await serveDirectory(options.built ?? pages!.dir, {
      crossOriginIsolated: options.crossOriginIsolated ?? true,
    });
    const browser = await chromium
      .launch({
        executablePath: options.executablePath ?? '/usr/bin/chromium',
        args: ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-gpu'],
      })
      .catch(async (error: unknown) => {
        await server.close();
        throw error;
      });
    try {
      const page = await browser.newPage();
      page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => log.push(`page error: ${error.message}`));
      await page.goto(`${server.url}bench.html${benchQuery(options.request)}`);
      let last = '';
      const deadline = Date.now() + (options.timeoutMs ?? 600_000);
      for (;;) {
        const state = await page.evaluate(() => window.__miniLlamaBench ?? null);
        if (state && state.status !== last) {
          last = state.status;
          options.onStatus?.(last);
        }
        if (state?.phase === 'done') return state;
        if (state?.phase === 'error') throw new Error(`bench.html: ${state.error}\n${log.join('\n')}`);
        if (Date.now() > deadline) throw new Error(`bench.html did not finish: ${last}\n${log.join('\n')}`);
        await new Promise((done) => setTimeout(done, 250));
      }
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    pages?.remove();
  }
}
