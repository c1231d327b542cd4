// End to end: builds the page with Vite, serves it on loopback, and drives Debian's Chromium (WebGPU on the
// SwiftShader software adapter) through a first visit and a reload, reading the state the page exposes as
// window.__miniLlama.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@mini-llama/backends';
import { LlamaModel, parameterCount, presetConfig } from '@mini-llama/model';
import { saveModel } from '@mini-llama/model/node';
import { type LoopbackHub, smolLm2LikeTokenizerFiles, startLoopbackHub } from '@mini-llama/test-utils';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageState } from './src/page-state.js';
import { type StaticServer, serveDirectory } from './src/static-server.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const skipReason = `skipped: no Chromium at ${CHROMIUM} (Debian: apt-get install chromium libvulkan1)`;
if (!available) console.warn(`browser-webgpu e2e: ${skipReason}`);

// Playwright adds --headless and a fresh --user-data-dir (a new profile, so an empty IndexedDB) itself.
const COMMON_FLAGS = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// WebGPU in headless Chromium on SwiftShader's software Vulkan (shared/docs/tfjs-notes.md).
const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  ...COMMON_FLAGS,
];
// No GPU process, so no WebGPU adapter: `auto` must fall back to wasm.
const WITHOUT_GPU_FLAGS = ['--disable-gpu', ...COMMON_FLAGS];

// SwiftShader runs WebGPU on the CPU: every kernel costs about a millisecond and the first pipelines take
// seconds to compile, so the test trains a one-layer model (fewer kernels per step) for a few steps.
const LAYERS = 1;
const STEPS = 8;
const LORA_STEPS = 2;
const QUERY = `?dim=32&layers=${LAYERS}&steps=${STEPS}&checkpointEvery=4&loraSteps=${LORA_STEPS}&sampleTokens=8`;
const VISIT_TIMEOUT_MS = 150_000;

const here = dirname(fileURLToPath(import.meta.url));
/** A page whose console output and errors are kept, to be printed when a visit fails. */
async function openPage(browser: Browser): Promise<{ page: Page; log: string[] }> {
  const page = await browser.newPage();
  const log: string[] = [];
  page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => log.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => log.push(`request failed: ${request.url()}`));
  return { page, log };
}

/** Waits until the page is done or has failed; fails with the error it shows and its console log. */
async function finished({ page, log }: { page: Page; log: string[] }, visit: string): Promise<PageState> {
  const started = performance.now();
  try {
    await page.waitForFunction(() => ['done', 'error'].includes(window.__miniLlama?.phase ?? ''), null, {
      timeout: VISIT_TIMEOUT_MS,
      polling: 250,
    });
  } catch (error) {
    const state = await page.evaluate(() => window.__miniLlama).catch(() => null);
    throw new Error(
      `${visit}: the page did not finish (${(error as Error).message.split('\n')[0]}); last status: ` +
        `${state?.status ?? 'no state'}\n${log.join('\n')}`,
    );
  }
  const state = await page.evaluate(() => window.__miniLlama);
  if (state.phase === 'error') {
    const shown = await page.textContent('#error');
    throw new Error(`${visit}: the page shows an error: ${shown}\n${log.join('\n')}`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const losses = state.losses.filter((point) => point.step >= (state.firstStepThisVisit ?? 0));
  const lora = state.lora?.losses.map((point) => point.loss.toFixed(3)).join(' → ');
  console.info(
    `${visit} (${seconds} s): ${state.backend}${state.backendAdapter ? ` on ${state.backendAdapter}` : ''}; ` +
      `steps ${losses[0]?.step}–${state.step}, loss ${losses[0]?.loss.toFixed(3)} → ${losses.at(-1)?.loss.toFixed(3)}; ` +
      `sample ${JSON.stringify(state.sample)}; LoRA ${state.lora?.percent.toFixed(2)}% trainable, loss ${lora}, ` +
      `sample ${JSON.stringify(state.lora?.sample)}`,
  );
  return state;
}

describe.skipIf(!available)(
  `the browser example in headless Chromium${available ? '' : ` (${skipReason})`}`,
  () => {
    let outDir = '';
    let server: StaticServer | undefined;
    let baseUrl = '';
    const browsers: Browser[] = [];
    let firstVisit: PageState | undefined;

    async function launch(args: string[]): Promise<Browser> {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args });
      browsers.push(browser);
      return browser;
    }

    beforeAll(async () => {
      outDir = mkdtempSync(join(tmpdir(), 'mini-llama-browser-webgpu-'));
      await build({
        root: here,
        logLevel: 'error',
        build: { outDir, emptyOutDir: true, minify: false, reportCompressedSize: false },
      });
      server = await serveDirectory(outDir);
      baseUrl = server.url;
    });

    afterAll(async () => {
      for (const browser of browsers) await browser.close();
      await server?.close();
      if (outDir) rmSync(outDir, { recursive: true, force: true });
    });

    describe('with WebGPU (SwiftShader)', () => {
      let tab: { page: Page; log: string[] };
      beforeAll(async () => {
        tab = await openPage(await launch(WEBGPU_FLAGS));
      });

      it('trains in a worker: the loss falls, text is generated, a LoRA adapter trains, nothing leaks', async () => {
        const { page } = tab;
        await page.goto(baseUrl + QUERY);
        const state = await finished(tab, 'first visit');
        firstVisit = state;

        expect(state.backend, `${state.backendReason}; passed over: ${state.passedOver.join('; ')}`).toBe(
          'webgpu',
        );
        expect(await page.getAttribute('body', 'data-backend')).toBe('webgpu');
        expect(await page.textContent('#backend')).toContain('webgpu');

        expect(state.resumedFromStep).toBeNull();
        expect(state.losses.map((point) => point.step)).toEqual(range(1, STEPS));
        const losses = state.losses.map((point) => point.loss);
        expect(losses[0]).toBeCloseTo(Math.log(259), 0); // an untrained model is uniform over the 259 bytes
        expect(losses.at(-1)!).toBeLessThan(losses[0]! - 1);
        expect(state.checkpointStep).toBe(STEPS);

        expect(state.sample.length).toBeGreaterThan(0);
        expect(await page.textContent('#sample')).toBe(state.samplePrompt + state.sample);

        const lora = state.lora!;
        expect(lora.modules).toBe(2 * LAYERS); // q_proj and v_proj of each layer
        // rank 4: A [in, 4] and B [4, out] for q_proj (32 → 32) and v_proj (32 → 16, the 2 KV heads)
        expect(lora.trainable).toBe(LAYERS * (4 * (32 + 32) + 4 * (32 + 16)));
        expect(lora.trainable).toBeLessThan(lora.total);
        expect(lora.percent).toBeCloseTo((100 * lora.trainable) / lora.total, 6);
        expect(lora.losses.map((point) => point.step)).toEqual(range(1, LORA_STEPS));
        expect(lora.losses.every((point) => Number.isFinite(point.loss))).toBe(true);
        expect(lora.sample.length).toBeGreaterThan(0);
        expect(await page.textContent('#lora')).toContain(`${lora.percent.toFixed(2)}%`);
        // the study's WiSE-FT of the adapter ran in the tab: one row per α, both texts scored
        expect(state.sweep.map((point) => point.alpha)).toEqual([0, 0.25, 0.5, 0.75, 1]);
        for (const point of state.sweep) {
          expect(Object.keys(point.loss)).toEqual(['recipe', 'story']);
          for (const value of Object.values(point.loss)) expect(Number.isFinite(value)).toBe(true);
        }
        expect(await page.$$eval('#sweep tr', (rows) => rows.length)).toBe(6);

        // the worker's training loops leave as many tensors after their last step as after their first
        expect(state.tensors.pretrain!.afterLastStep).toBe(state.tensors.pretrain!.afterFirstStep);
        expect(state.tensors.lora!.afterLastStep).toBe(state.tensors.lora!.afterFirstStep);
      });

      it('resumes after a reload from the checkpoint in IndexedDB: the step goes on, and so does the loss', async () => {
        expect(firstVisit, 'the first visit failed').toBeDefined();
        const before = firstVisit!;
        await tab.page.reload();
        const state = await finished(tab, 'after the reload');

        expect(state.backend).toBe('webgpu');
        expect(state.resumedFromStep).toBe(STEPS);
        expect(await tab.page.getAttribute('body', 'data-resumed-from-step')).toBe(String(STEPS));
        expect(state.firstStepThisVisit).toBe(STEPS + 1);
        expect(state.step).toBe(2 * STEPS);
        expect(state.checkpointStep).toBe(2 * STEPS);
        // the curve of the first visit came back with the checkpoint, and this visit's steps follow it
        expect(state.losses.slice(0, STEPS)).toEqual(before.losses);
        expect(state.losses.map((point) => point.step)).toEqual(range(1, 2 * STEPS));
        // the restored weights and optimizer state carry on where they were, far below an untrained model
        const resumedLoss = state.losses[STEPS]!.loss;
        expect(resumedLoss).toBeLessThan(before.losses[0]!.loss - 1);
        expect(Math.abs(resumedLoss - before.losses.at(-1)!.loss)).toBeLessThan(0.5);
        expect(state.tensors.pretrain!.afterLastStep).toBe(state.tensors.pretrain!.afterFirstStep);
      });
    });

    it('falls back to wasm, and says why, where WebGPU cannot start', async () => {
      const tab = await openPage(await launch(WITHOUT_GPU_FLAGS));
      await tab.page.goto(baseUrl + QUERY);
      const state = await finished(tab, 'without a GPU');

      expect(state.backend).toBe('wasm');
      expect(state.passedOver.some((line) => line.startsWith('webgpu: '))).toBe(true);
      expect(await tab.page.textContent('#backend')).toMatch(/^wasm \(auto: fell back to wasm after webgpu/);
      const losses = state.losses.map((point) => point.loss);
      expect(losses.at(-1)!).toBeLessThan(losses[0]! - 1);
      expect(state.lora?.losses).toHaveLength(LORA_STEPS);
      // the same seed and the same first batch: WebGPU's first loss is wasm's, to float32 rounding
      if (firstVisit) expect(firstVisit.losses[0]!.loss).toBeCloseTo(losses[0]!, 3);
    });

    it('fine-tunes a SmolLM2-shaped checkpoint from the Hub (?model=hf:…) with its BPE tokenizer, on wasm', async () => {
      const layers = 2;
      const hub = await hubWithSmolLm2(layers);
      try {
        const tab = await openPage(await launch(WITHOUT_GPU_FLAGS));
        const query = `?model=hf:${HUB_REPO}&hub=${encodeURIComponent(hub.endpoint)}&loraSteps=${LORA_STEPS}&sampleTokens=6`;
        await tab.page.goto(baseUrl + query);
        const state = await finished(tab, 'a model from the Hub');
        expect(state.backend).toBe('wasm');
        expect(state.model).toBe(
          `${HUB_REPO}@main (BF16): dim 576, ${layers} layers, 9 heads (3 KV), hidden 1536, vocab 49152`,
        );
        expect(state.parameters).toBe(parameterCount(presetConfig('SmolLM2-135M', { nLayers: layers })));
        expect(state.losses).toEqual([]); // nothing pretrained here
        expect(state.sample.length).toBeGreaterThan(0); // the checkpoint's own continuation, before the adapter
        const lora = state.lora!;
        expect(lora.modules).toBe(2 * layers);
        // rank 4: q_proj 576 → 576, v_proj 576 → 192 (3 KV heads of 64)
        expect(lora.trainable).toBe(layers * (4 * (576 + 576) + 4 * (576 + 192)));
        expect(lora.losses.map((point) => point.step)).toEqual(range(1, LORA_STEPS));
        // a random model of 49,152 tokens starts near ln 49152 ≈ 10.8 nats per token
        expect(lora.losses[0]!.loss).toBeGreaterThan(9);
        expect(lora.sample.length).toBeGreaterThan(0);
        expect(state.sweep.map((point) => point.alpha)).toEqual([0, 0.25, 0.5, 0.75, 1]);
        expect(state.tensors.lora!.afterLastStep).toBe(state.tensors.lora!.afterFirstStep);
        // the page fetched the files from the Hub itself, the weights through the CDN the Hub redirects to
        expect(
          hub.requests.some((request) => request.url.startsWith(`/${HUB_REPO}/resolve/main/config.json`)),
        ).toBe(true);
        expect(hub.requests.some((request) => request.url.startsWith('/cdn/'))).toBe(true);
      } finally {
        await hub.close();
      }
    });
  },
);

const HUB_REPO = 'HuggingFaceTB/SmolLM2-135M';

/**
 * A loopback Hub serving a checkpoint of SmolLM2-135M's shape cut to `layers` layers (random weights, bf16,
 * the HF layout) with a byte-level BPE tokenizer of its vocabulary size.
 */
async function hubWithSmolLm2(layers: number): Promise<LoopbackHub> {
  await useBackend('cpu');
  const model = new LlamaModel(presetConfig('SmolLM2-135M', { nLayers: layers }), { seed: 0 });
  const directory = mkdtempSync(join(tmpdir(), 'mini-llama-smollm2-'));
  try {
    await saveModel(model, directory, { format: 'hf', dtype: 'BF16' });
    const files: Record<string, Uint8Array | string> = { ...(await smolLm2LikeTokenizerFiles()) };
    for (const name of readdirSync(directory))
      files[name] = new Uint8Array(readFileSync(join(directory, name)));
    return await startLoopbackHub({ [HUB_REPO]: { commit: 'a'.repeat(40), files } });
  } finally {
    model.dispose();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** [first, first + 1, …, last] */
function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
