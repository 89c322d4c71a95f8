// The HTML report renders in a real browser: headless Chromium (Debian's `chromium`) loads the
// page, serializes its DOM and takes a screenshot, which the test checks is a non-blank image.
import { expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { lineChartSvg, renderRunHtml } from '../src/report-html.js';
import { summarizeRun } from '../src/report.js';
import { assessedRun } from './fixtures.js';

const outDir = path.resolve(import.meta.dirname, '../../../tmp/report-html-test');
const chromium = (...args: string[]) =>
  execFileSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--user-data-dir=' + path.join(outDir, 'profile'),
      ...args,
    ],
    { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] },
  );

it('renders the decision tree, the accuracy-vs-MACs curve, the widths and the assessment in headless Chromium', () => {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'report.html');
  fs.writeFileSync(file, renderRunHtml(summarizeRun(assessedRun())));

  const dom = chromium('--dump-dom', `file://${file}`);
  expect(dom).toContain('Run r1: succeeded');
  expect(dom).toContain('<th>result</th><td>store://dirs/a</td>');
  expect(dom).toContain('policy similarity, criterion kl, metric rbf_cka (threshold=0.5)');
  expect(dom).toContain('6.1 min (2026-11-25T10:00:00.000Z to 2026-11-25T10:06:06.000Z)');
  expect(dom).not.toMatch(/SELECTION_POLICY|FILTER_MATCH|LR_SCHEDULE/);
  expect(dom.match(/<g class="node (kept|dropped)">/g)).toHaveLength(4); // two iterations x two candidates
  expect(dom).toContain('1L ✓ kept');
  expect(dom).toContain('2F ✓ kept');
  expect(dom).toMatch(/<polyline points="[^"]+"/);
  expect(dom.match(/block removed/g)).toHaveLength(2); // layer2.1.conv1 and conv2
  expect(dom).toContain('−10.0%'); // MACs of the result (the first iteration's model)
  // the assessment: its table, accuracy (clean, two attacks, corruptions) and cost against MACs reduction
  expect(dom).toContain('Robustness, speed and CO2');
  expect(dom).toMatch(/iteration 2 \(F\) +30\.00M +61\.00%/);
  expect(dom.match(/<svg[^>]*class="chart"/g)).toHaveLength(3);
  for (const name of ['clean', 'fgsm 1/255', 'pgd 1/255', 'corruptions (mean)', 'inference CO2', 'MACs'])
    expect(dom).toContain(`>${name}</text>`);

  const screenshot = path.join(outDir, 'report.png');
  fs.rmSync(screenshot, { force: true });
  chromium(`--screenshot=${screenshot}`, '--window-size=1200,1400', `file://${file}`);
  const png = PNG.sync.read(fs.readFileSync(screenshot));
  expect([png.width, png.height]).toEqual([1200, 1400]);
  // not blank: the page paints text, boxes and lines in several colours
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4 * 97)
    colours.add((png.data[i]! << 16) | (png.data[i + 1]! << 8) | png.data[i + 2]!);
  expect(colours.size).toBeGreaterThan(20);
});

it('draws error bars (e.g. a standard deviation over seeds) and scales the axes to include them', () => {
  const svg = lineChartSvg(
    [
      {
        name: 'similarity',
        color: '#2e7d32',
        points: [
          [0, 0],
          [0.2, -1],
          [0.4, -3],
        ],
        errors: [0, 0.5, 2],
      },
    ],
    { xLabel: 'MACs reduction', yLabel: 'Δ (pts)', yFormat: (y) => y.toFixed(1) },
  );
  expect(svg.match(/class="error"/g)).toHaveLength(2); // none for a zero error
  // The lowest tick reaches below -3 - 2 = -5 (the bottom of the last bar).
  const ticks = [...svg.matchAll(/text-anchor="end">(-?\d+\.\d)</g)].map((m) => Number(m[1]));
  expect(Math.min(...ticks)).toBeLessThanOrEqual(-5);
});
