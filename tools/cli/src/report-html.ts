// A run as one self-contained HTML page (no scripts, no external files): the decision tree, the
// accuracy-versus-MACs curve, and the final model's widths and depth next to the parent's.
import { formatAssessmentTable } from './assessment-table.js';
import { assessedModels, describeSettings, widthLetter, type RunSummary } from './report.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number | undefined, digits = 1) =>
  x !== undefined && Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : '–';
const fixed = (x: number | undefined, digits = 3) => (x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : '–');

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** Half-heights of vertical error bars, one per point (e.g. a standard deviation over seeds). */
  errors?: number[];
}

/** A line chart as SVG: one polyline with markers per series, linear axes with ticks and labels. */
export function lineChartSvg(
  series: Series[],
  options: {
    xLabel: string;
    yLabel: string;
    width?: number;
    height?: number;
    xFormat?: (x: number) => string;
    yFormat?: (y: number) => string;
  },
): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const margin = { left: 64, right: 150, top: 16, bottom: 48 };
  const all = series.flatMap((s) =>
    s.points.flatMap(([x, y], i): [number, number][] => {
      const e = s.errors?.[i] ?? 0;
      return e > 0
        ? [
            [x, y - e],
            [x, y + e],
          ]
        : [[x, y]];
    }),
  );
  const extent = (values: number[]) => {
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    if (!(hi > lo)) [lo, hi] = [lo - 0.01, hi + 0.01];
    const pad = (hi - lo) * 0.08;
    return [lo - pad, hi + pad] as const;
  };
  const [x0, x1] = extent(all.length ? all.map((p) => p[0]) : [0, 1]);
  const [y0, y1] = extent(all.length ? all.map((p) => p[1]) : [0, 1]);
  const sx = (x: number) => margin.left + ((x - x0) / (x1 - x0)) * (width - margin.left - margin.right);
  const sy = (y: number) => height - margin.bottom - ((y - y0) / (y1 - y0)) * (height - margin.top - margin.bottom);
  const ticks = (lo: number, hi: number) => Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
  const xf = options.xFormat ?? ((x: number) => x.toFixed(2));
  const yf = options.yFormat ?? ((y: number) => y.toFixed(2));
  const parts: string[] = [];
  for (const t of ticks(x0, x1))
    parts.push(
      `<line x1="${sx(t)}" x2="${sx(t)}" y1="${margin.top}" y2="${height - margin.bottom}" class="grid"/><text x="${sx(t)}" y="${height - margin.bottom + 16}" text-anchor="middle">${escape(xf(t))}</text>`,
    );
  for (const t of ticks(y0, y1))
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${sy(t)}" y2="${sy(t)}" class="grid"/><text x="${margin.left - 6}" y="${sy(t) + 4}" text-anchor="end">${escape(yf(t))}</text>`,
    );
  series.forEach((s, i) => {
    const path = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2" class="series"/>`);
    s.points.forEach(([x, y], j) => {
      parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
      const e = s.errors?.[j] ?? 0;
      if (e > 0)
        parts.push(
          `<path d="M${sx(x).toFixed(1)},${sy(y - e).toFixed(1)}V${sy(y + e).toFixed(1)}M${(sx(x) - 4).toFixed(1)},${sy(y - e).toFixed(1)}h8M${(sx(x) - 4).toFixed(1)},${sy(y + e).toFixed(1)}h8" stroke="${s.color}" stroke-width="1.5" fill="none" class="error"/>`,
        );
    });
    const ly = margin.top + 14 + i * 18;
    parts.push(
      `<line x1="${width - margin.right + 12}" x2="${width - margin.right + 32}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"/><text x="${width - margin.right + 38}" y="${ly}">${escape(s.name)}</text>`,
    );
  });
  parts.push(
    `<text x="${(margin.left + width - margin.right) / 2}" y="${height - 8}" text-anchor="middle" class="label">${escape(options.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle" class="label">${escape(options.yLabel)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" class="chart">${CHART_STYLE}${parts.join('')}</svg>`;
}

const CHART_STYLE =
  '<style>.chart text{font:11px sans-serif;fill:#333}.chart .label{font-size:12px}.chart .grid{stroke:#e3e3e3}</style>';

/** The walk as a tree: each iteration branches into its two candidates; the kept one continues the path. */
function decisionTreeSvg(summary: RunSummary): string {
  const box = { w: 172, h: 62, gapX: 36, gapY: 18 };
  const columns = summary.iterations.length + 1;
  const width = columns * (box.w + box.gapX) + 16;
  const height = 2 * box.h + box.gapY + 24;
  const parts: string[] = [];
  const node = (x: number, y: number, title: string, lines: string[], kind: 'root' | 'kept' | 'dropped') =>
    `<g class="node ${kind}"><rect x="${x}" y="${y}" width="${box.w}" height="${box.h}" rx="6"/>` +
    `<text x="${x + 8}" y="${y + 16}" class="title">${escape(title)}</text>` +
    lines.map((l, i) => `<text x="${x + 8}" y="${y + 31 + 13 * i}">${escape(l)}</text>`).join('') +
    '</g>';
  const middle = 12 + (height - 24 - box.h) / 2;
  parts.push(
    node(
      8,
      middle,
      'parent',
      [`MACs ${(summary.initial.macs / 1e6).toFixed(2)}M`, `test ${pct(summary.initial.testAccuracy)}`],
      'root',
    ),
  );
  let from = { x: 8 + box.w, y: middle + box.h / 2 };
  const widthKind = widthLetter(summary.initial.widths);
  const units = widthKind === 'H' ? 'heads' : 'filters';
  summary.iterations.forEach((it, i) => {
    const x = 8 + (i + 1) * (box.w + box.gapX);
    const ys: Record<string, number> = { L: 12, [widthKind]: 12 + box.h + box.gapY };
    for (const kind of ['L', widthKind] as const) {
      const c = kind === 'L' ? it.layer : it.filter;
      const kept = it.choice === kind;
      const y = ys[kind]!;
      parts.push(
        `<path d="M${from.x},${from.y} C${from.x + box.gapX / 2},${from.y} ${x - box.gapX / 2},${y + box.h / 2} ${x},${y + box.h / 2}" class="edge ${kept ? 'kept' : 'dropped'}"/>`,
      );
      const lines = c
        ? [
            `sim ${fixed(c.similarity, 4)}  val ${pct(c.validationAccuracy)}`,
            kept
              ? `MACs ${(it.macs / 1e6).toFixed(2)}M  test ${pct(it.testAccuracy)}`
              : `MACs ${(c.macs / 1e6).toFixed(2)}M`,
            `removed ${c.removed.length === 1 ? c.removed[0] : `${c.removed.length} ${kind === 'L' ? 'blocks' : units}`}`,
          ]
        : ['not built by this policy'];
      parts.push(node(x, y, `${i + 1}${kind}${kept ? ' ✓ kept' : ''}`, lines, kept ? 'kept' : 'dropped'));
    }
    from = { x: x + box.w, y: ys[it.choice]! + box.h / 2 };
  });
  const style =
    '<style>.tree text{font:11px sans-serif;fill:#222}.tree .title{font-weight:bold}.tree rect{fill:#f4f4f4;stroke:#bbb}' +
    '.tree .kept rect{fill:#e3f1e6;stroke:#2e7d32;stroke-width:2}.tree .root rect{fill:#e8eef8;stroke:#3a5ba0}' +
    '.tree .dropped text{fill:#777}.tree .edge{fill:none;stroke:#bbb;stroke-width:1.5}.tree .edge.kept{stroke:#2e7d32;stroke-width:2.5}</style>';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" class="tree">${style}${parts.join('')}</svg>`;
}

/** Parent vs final filters per convolution (heads per attention layer); one that is gone was in a removed block. */
function widthsTable(summary: RunSummary): string {
  const [layers, units, layer] =
    widthLetter(summary.initial.widths) === 'H'
      ? ['Attention layers', 'heads', 'attention layer']
      : ['Convolutions', 'filters', 'convolution'];
  const final = new Map(summary.final.widths.map((w) => [w.layer, w.filters]));
  const max = Math.max(1, ...summary.initial.widths.map((w) => w.filters));
  const rows = summary.initial.widths.map((w) => {
    const after = final.get(w.layer);
    const bar = (filters: number, cls: string) =>
      `<div class="bar ${cls}" style="width:${((100 * filters) / max).toFixed(1)}%"></div>`;
    const status =
      after === undefined
        ? '<td class="removed">block removed</td>'
        : `<td>${after}${after < w.filters ? ` (−${w.filters - after})` : ''}</td>`;
    return `<tr><td><code>${escape(w.layer)}</code></td><td>${w.filters}</td>${status}<td class="bars">${bar(w.filters, 'parent')}${after === undefined ? '' : bar(after, 'final')}</td></tr>`;
  });
  const depth = (widths: { layer: string }[]) => widths.length;
  return (
    `<p>${layers}: parent ${depth(summary.initial.widths)}, final ${depth(summary.final.widths)}; ${units}: parent ${summary.initial.widths.reduce((a, w) => a + w.filters, 0)}, final ${summary.final.widths.reduce((a, w) => a + w.filters, 0)}.</p>` +
    `<table class="widths"><thead><tr><th>${layer}</th><th>parent</th><th>final</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

const PALETTE = ['#2e7d32', '#1565c0', '#6a1b9a', '#c62828', '#ef6c00', '#00838f', '#5d4037', '#37474f'];

/**
 * Robustness and cost of the parent and each kept model, when the run assessed them: the table of
 * the text report, accuracy (clean, each attack, corruptions) and speed/CO2 against MACs reduction.
 */
function assessmentSection(summary: RunSummary): string {
  const models = assessedModels(summary);
  if (!models.length) return '';
  const reduction = (macs: number) => 1 - macs / summary.initial.macs;
  const series = (name: string, value: (m: (typeof models)[number]) => number | undefined) => ({
    name,
    points: models.flatMap((m): [number, number][] => {
      const y = value(m);
      return y === undefined || !Number.isFinite(y) ? [] : [[reduction(m.macs), y]];
    }),
  });
  const colored = (list: { name: string; points: [number, number][] }[]) =>
    list.filter((s) => s.points.length).map((s, i) => ({ ...s, color: PALETTE[i % PALETTE.length]! }));
  const attacks = models[0]!.assessment.adversarial.map((a, k) =>
    series(`${a.attack} ${Math.round(a.epsilon * 255)}/255`, (m) => m.assessment.adversarial[k]?.accuracy),
  );
  const accuracy = lineChartSvg(
    colored([
      series('clean', (m) => m.assessment.clean),
      ...attacks,
      series('corruptions (mean)', (m) => m.assessment.meanCorruptionAccuracy),
    ]),
    { xLabel: 'MACs reduction', yLabel: 'test accuracy', xFormat: (x) => pct(x, 0), yFormat: (y) => pct(y, 0) },
  );
  // Speed and CO2 relative to the parent's, so both fit one axis (1 = the parent).
  const relative = (pick: (m: (typeof models)[number]) => number | undefined) => (m: (typeof models)[number]) => {
    const [ours, parent] = [pick(m), pick(models[0]!)];
    return ours !== undefined && parent ? ours / parent : undefined;
  };
  const latency = (engine: string, batch: number) => (m: (typeof models)[number]) =>
    m.assessment.latency.find((l) => l.engine.startsWith(engine) && l.batch === batch)?.medianMs;
  const co2 = (m: (typeof models)[number]) =>
    m.assessment.energy.find((e) => e.engine.startsWith('onnxruntime'))?.gramsCo2Per1000;
  const cost = lineChartSvg(
    colored([
      series('ONNX RT ms b64', relative(latency('onnxruntime', 64))),
      series('TF.js ms b64', relative(latency('tfjs', 64))),
      series('ONNX RT ms b1', relative(latency('onnxruntime', 1))),
      series('inference CO2', relative(co2)),
      series('MACs', (m) => m.macs / summary.initial.macs),
    ]),
    { xLabel: 'MACs reduction', yLabel: 'relative to the parent', xFormat: (x) => pct(x, 0), yFormat: fixed },
  );
  return `<h2>Robustness, speed and CO2</h2>
<p>Assessed on the test split (never used to decide): FGSM and PGD in pixel levels of 255, the mean over the CIFAR-10-C corruptions assessed, latency measured on the trainer, energy and CO2 as the ML Impact Calculator estimates them (assumptions under the table).</p>
<div class="scroll"><pre>${escape(formatAssessmentTable(models))}</pre></div>
${accuracy}
${cost}`;
}

export function renderRunHtml(summary: RunSummary): string {
  const curve = [
    {
      name: 'this run',
      color: '#2e7d32',
      points: [
        [0, summary.initial.testAccuracy] as [number, number],
        ...summary.iterations.map((i): [number, number] => [1 - i.macs / summary.initial.macs, i.testAccuracy]),
      ],
    },
  ];
  const chart = lineChartSvg(curve, {
    xLabel: 'MACs reduction',
    yLabel: 'test accuracy',
    xFormat: (x) => pct(x, 0),
    yFormat: (y) => pct(y, 1),
  });
  // The same lines as the text report: what the run was, where its result is, how long it took.
  const settings = [
    `result:    ${summary.final.model}`,
    ...describeSettings(summary.settings),
    `wall time: ${(summary.wallSeconds / 60).toFixed(1)} min (${summary.createdAt} to ${summary.updatedAt})`,
  ]
    .map((line) => {
      const [label, ...rest] = line.split(':');
      return `<tr><th>${escape(label!)}</th><td>${escape(rest.join(':').trim())}</td></tr>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>prune run ${escape(summary.id)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.facts{display:flex;gap:28px;margin:12px 0}.facts div{background:#f4f6f8;padding:8px 12px;border-radius:6px}
.facts b{display:block;font-size:18px}.scroll{overflow-x:auto}
table.widths{border-collapse:collapse}table.widths td,table.widths th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}
td.bars{width:320px}.bar{height:6px;margin:2px 0;border-radius:2px}.bar.parent{background:#9db3d9}.bar.final{background:#2e7d32}
td.removed{color:#b23c17}
table.settings th{text-align:left;padding:1px 12px 1px 0;vertical-align:top;font-weight:600;white-space:nowrap}
</style></head><body>
<h1>Run ${escape(summary.id)}: ${escape(summary.state)}</h1>
<div>${escape(summary.stopReason)}${summary.error ? ` — ${escape(summary.error)}` : ''}</div>
<table class="settings">${settings}</table>
<div class="facts">
<div>decisions<b>${escape(summary.decisions || '–')}</b></div>
<div>MACs<b>−${pct(summary.macsReduction)}</b>${(summary.initial.macs / 1e6).toFixed(2)}M → ${(summary.final.macs / 1e6).toFixed(2)}M</div>
<div>params<b>−${pct(summary.paramsReduction)}</b>${summary.initial.params} → ${summary.final.params}</div>
<div>test accuracy<b>${summary.testAccuracyDelta >= 0 ? '+' : ''}${(100 * summary.testAccuracyDelta).toFixed(2)} pts</b>${pct(summary.initial.testAccuracy, 2)} → ${pct(summary.final.testAccuracy, 2)}</div>
</div>
<h2>Decision tree</h2>
<p>Each iteration makes a layer (L) and a filter (F) candidate; “sim” is its similarity to the parent on validation data after the short fine-tune, “val” its validation accuracy. The kept candidate (green) is fine-tuned longer and becomes the next parent.</p>
<div class="scroll">${decisionTreeSvg(summary)}</div>
<h2>Accuracy versus MACs</h2>
${chart}
<h2>Widths and depth: parent vs final</h2>
${widthsTable(summary)}
${assessmentSection(summary)}
</body></html>
`;
}
