import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The main entry is meant to run in a browser. Bundled as a browser bundler would (the `browser` condition), it
// must not reach Node-only code: evaluated where there is no Buffer, process or require, it parses CSV and TSV.
// (csv-parse's Node build calls Buffer.from on every parse; package.json's "imports" maps #csv-parse-sync to
// its browser build under the `browser` condition.)
describe('@mini-llama/data in a browser bundle', () => {
  it('parses CSV and TSV without Node globals', async () => {
    const bundle = await build({
      entryPoints: [new URL('./index.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'iife',
      globalName: 'miniLlamaData',
      conditions: ['@mini-llama/source', 'browser'],
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0]!.text;
    const browserLike = { TextEncoder, TextDecoder, console, URL } as Record<string, unknown>;
    runInNewContext(code, browserLike);
    expect(browserLike).not.toHaveProperty('Buffer');
    const data = browserLike.miniLlamaData as typeof import('./index.js');
    expect(
      data.parseDelimited('sentence,label\n"a, quoted line",1\n', 'x.csv', { delimiter: ',', quoted: true }),
    ).toEqual([
      { fields: ['sentence', 'label'], line: 1 },
      { fields: ['a, quoted line', '1'], line: 2 },
    ]);
    const sst2 = data.parseSst2('sentence\tlabel\nit is " good\t1\n', 'train.tsv');
    expect(sst2.examples).toEqual([{ text: 'it is " good', label: 1 }]);
  });
});
