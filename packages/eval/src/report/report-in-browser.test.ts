import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReport } from './render-report.js';
import { exampleReport } from './test-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);

/** Opens a rendered report in headless Chromium, with every network request refused and recorded. */
describe.skipIf(!available)(
  `a rendered report in headless Chromium${available ? '' : ` (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`}`,
  () => {
    const directory = mkdtempSync(join(tmpdir(), 'mini-llama-report-'));
    afterAll(() => rmSync(directory, { recursive: true, force: true }));

    it('shows every chart as SVG with its marks and axis titles, loading nothing', async () => {
      const file = join(directory, 'report.html');
      writeFileSync(file, await renderReport(exampleReport));
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage();
        const requests: string[] = [];
        await page.route('**/*', (route) => {
          const url = route.request().url();
          if (url.startsWith('file:')) return route.continue();
          requests.push(url);
          return route.abort();
        });
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        page.on('console', (message) => {
          if (message.type() === 'error') errors.push(message.text());
        });
        await page.goto(`file://${file}`);
        const charts = await page.$$eval('figure.chart > svg', (svgs) =>
          svgs.map((svg) => {
            const box = svg.getBoundingClientRect();
            return {
              width: box.width,
              height: box.height,
              lines: svg.querySelectorAll('.mark-line.role-mark path').length,
              points: svg.querySelectorAll('.mark-symbol.role-mark path').length,
              rects: svg.querySelectorAll('.mark-rect.role-mark path').length,
              texts: svg.querySelectorAll('.mark-text.role-mark text').length,
              axisTitles: [...svg.querySelectorAll('.role-axis-title text')].map((text) => text.textContent),
            };
          }),
        );
        expect(charts).toHaveLength(3);
        const [loss, sweep, confusion] = charts;
        for (const chart of charts) {
          expect(chart.width).toBeGreaterThan(100);
          expect(chart.height).toBeGreaterThan(100);
        }
        expect(loss!.lines).toBe(2); // train and validation series
        expect(loss!.axisTitles).toEqual(expect.arrayContaining(['step', 'loss (nats per token)']));
        expect(sweep!.lines).toBe(2); // ID and the one OOD set (which is its own mean)
        expect(sweep!.points).toBe(6); // 3 α × 2 sets
        expect(sweep!.axisTitles).toEqual(
          expect.arrayContaining(['α (weight of the fine-tuned model)', 'accuracy']),
        );
        expect(confusion!.rects).toBe(9); // 3 × 3 cells
        expect(confusion!.texts).toBe(9); // a count in each
        expect(confusion!.axisTitles).toEqual(expect.arrayContaining(['predicted label', 'true label']));
        expect(await page.locator('table').first().locator('tbody tr').count()).toBe(5);
        expect(requests).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  },
);
