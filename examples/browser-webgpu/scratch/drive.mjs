import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { chromium } from 'playwright-core';
const root = new URL('../dist/', import.meta.url).pathname;
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const server = createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  try { const body = await readFile(join(root, path === '/' ? 'index.html' : path)); res.writeHead(200, { 'content-type': types[extname(path)] ?? 'text/html' }); res.end(body); }
  catch { res.writeHead(404); res.end(); }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage();
page.on('console', (m) => console.log('console', m.type(), m.text()));
page.on('pageerror', (e) => console.log('pageerror', e.message));
const t0 = Date.now();
await page.goto(`http://127.0.0.1:${port}/${process.argv[2] ?? '?steps=30&checkpointEvery=10&loraSteps=10&sampleTokens=40'}`);
let last = '';
for (;;) {
  const s = await page.evaluate(() => window.__miniLlama);
  const line = `${((Date.now()-t0)/1000).toFixed(1)}s ${s.phase} ${s.backend} step ${s.step} ${s.status}`;
  if (line.slice(line.indexOf(' ')) !== last) { console.log(line); last = line.slice(line.indexOf(' ')); }
  if (s.phase === 'done' || s.phase === 'error') { console.log(JSON.stringify(s, null, 1).slice(0, 3000)); break; }
  await new Promise((r) => setTimeout(r, 1000));
  if (Date.now() - t0 > 300000) { console.log('timeout'); break; }
}
await browser.close(); server.close();
