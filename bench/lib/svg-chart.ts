/**
 * Two small chart kinds as plain SVG strings (no chart library): a line chart with linear or log
 * axes, and a grouped bar chart. Each series is one `<g data-series="...">`, so the charts can be
 * checked by tests and styled or read by anyone without a renderer.
 */

export interface Point {
  x: number;
  y: number;
  /** Hover text for this point (an SVG `<title>`). */
  label?: string;
}

export interface LineSeries {
  name: string;
  points: Point[];
  dashed?: boolean;
  /** Write each point's value next to it (an `<img>` shows no hover text). */
  valueLabels?: boolean;
}

export interface ReferenceLine {
  y: number;
  label: string;
}

export interface LineChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xScale: 'linear' | 'log';
  yScale: 'linear' | 'log';
  series: LineSeries[];
  references?: ReferenceLine[];
  /** Stretch the x axis to at least this value (a lone point would sit on the right edge). */
  xMax?: number;
}

export interface BarChartSpec {
  title: string;
  subtitle?: string;
  yLabel: string;
  xLabel: string;
  seriesNames: string[];
  groups: { label: string; values: (number | undefined)[] }[];
  references?: ReferenceLine[];
}

const WIDTH = 720;
const HEIGHT = 440;
const M = { left: 72, right: 190, top: 78, bottom: 56 };
/** Characters of subtitle per line at 12 px over the chart's width. */
const SUBTITLE_CHARS = 105;
const PLOT_W = WIDTH - M.left - M.right;
const PLOT_H = HEIGHT - M.top - M.bottom;
/** Colour-blind-safe (Okabe-Ito) and readable on white and on GitHub's dark background. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const f = (v: number) => (Math.round(v * 10) / 10).toString();

export function formatTick(v: number): string {
  if (v >= 1_000_000) return `${trim(v / 1_000_000)}M`;
  if (v >= 10_000) return `${trim(v / 1000)}k`;
  if (v >= 1000) return v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return trim(v);
}
const trim = (v: number) => Number(v.toPrecision(3)).toString();

interface Axis {
  toPx: (v: number) => number;
  ticks: number[];
}

/** Round tick steps (1, 2, 5 x 10^k) over [min, max], starting at zero for a linear axis. */
export function linearTicks(max: number, count = 5): { top: number; ticks: number[] } {
  if (!(max > 0)) return { top: 1, ticks: [0, 1] };
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((s) => s * mag >= raw) ?? 10) * mag;
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { top, ticks };
}

/** 1, 2 and 5 times the powers of ten from below `min` to above `max`. */
function steps125(min: number, max: number): number[] {
  const out: number[] = [];
  for (let d = 10 ** (Math.floor(Math.log10(min)) - 1); d <= max * 100; d *= 10) {
    for (const m of [1, 2, 5]) out.push(Number((d * m).toPrecision(12)));
  }
  return out;
}

/**
 * Log axis over [min, max]: bounds at the nearest 1, 2 or 5 x 10^k outside the data, ticks at
 * 1-2-5 when the range is under three decades, else at the powers of ten.
 */
export function logTicks(min: number, max: number): { lo: number; hi: number; ticks: number[] } {
  const candidates = steps125(min, max);
  const lo = [...candidates].reverse().find((v) => v <= min) ?? min;
  let hi = candidates.find((v) => v >= max) ?? max;
  if (hi <= lo) hi = candidates.find((v) => v > lo) ?? lo * 10;
  const decades = Math.log10(hi / lo);
  const ticks = candidates.filter(
    (v) => v >= lo && v <= hi && (decades < 3 || Number.isInteger(Math.log10(v)) || v === lo || v === hi),
  );
  return { lo, hi, ticks };
}

function axis(values: number[], scale: 'linear' | 'log', lengthPx: number, invert: boolean): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (scale === 'linear' || v > 0));
  const place = (fraction: number) => (invert ? lengthPx * (1 - fraction) : lengthPx * fraction);
  if (scale === 'log') {
    const { lo, hi, ticks } = logTicks(
      Math.min(...finite, Number.POSITIVE_INFINITY) || 1,
      Math.max(...finite, 1),
    );
    const span = Math.log10(hi) - Math.log10(lo);
    return { toPx: (v) => place((Math.log10(v) - Math.log10(lo)) / span), ticks };
  }
  const { top, ticks } = linearTicks(Math.max(0, ...finite));
  return { toPx: (v) => place(v / top), ticks };
}

/** Greedy word wrap. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function frame(
  spec: { title: string; subtitle?: string; xLabel: string; yLabel: string },
  body: string[],
): string {
  const desc = spec.subtitle ? `<desc>${escapeXml(spec.subtitle)}</desc>` : '';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="chart-title" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<title id="chart-title">${escapeXml(spec.title)}</title>`,
    desc,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="26" font-size="16" font-weight="600" fill="#1f2328">${escapeXml(spec.title)}</text>`,
    ...wrap(spec.subtitle ?? '', SUBTITLE_CHARS)
      .slice(0, 2)
      .map(
        (line, i) =>
          `<text x="${M.left}" y="${46 + i * 15}" font-size="12" fill="#59636e">${escapeXml(line)}</text>`,
      ),
    `<text x="${M.left + PLOT_W / 2}" y="${HEIGHT - 14}" text-anchor="middle" fill="#1f2328">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(18 ${M.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle" fill="#1f2328">${escapeXml(spec.yLabel)}</text>`,
    ...body,
    '</svg>',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

function yGrid(y: Axis): string[] {
  return y.ticks.map((t) => {
    const py = f(M.top + y.toPx(t));
    return `<line x1="${M.left}" x2="${M.left + PLOT_W}" y1="${py}" y2="${py}" stroke="#d1d9e0" stroke-width="1"/><text x="${M.left - 8}" y="${py}" dy="4" text-anchor="end" fill="#59636e">${escapeXml(formatTick(t))}</text>`;
  });
}

function references(refs: ReferenceLine[] | undefined, y: Axis): string[] {
  return (refs ?? []).map((r) => {
    const py = f(M.top + y.toPx(r.y));
    return `<g data-reference="${escapeXml(r.label)}"><line x1="${M.left}" x2="${M.left + PLOT_W}" y1="${py}" y2="${py}" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="6 4"/><text x="${M.left + PLOT_W - 4}" y="${py}" dy="-5" text-anchor="end" fill="#cf222e">${escapeXml(r.label)}</text></g>`;
  });
}

function legend(names: string[], dashed: boolean[] = []): string[] {
  return names.map((name, i) => {
    const y = M.top + 8 + i * 22;
    const x = M.left + PLOT_W + 16;
    const colour = COLOURS[i % COLOURS.length];
    return `<g data-legend="${escapeXml(name)}"><line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="3"${dashed[i] ? ' stroke-dasharray="5 3"' : ''}/><text x="${x + 30}" y="${y}" dy="4" fill="#1f2328">${escapeXml(name)}</text></g>`;
  });
}

/** A value label this close to the right edge goes left of its point, clear of the legend. */
const nearRight = (px: string) => Number(px) > M.left + PLOT_W - 40;

export function lineChart(spec: LineChartSpec): string {
  const all = spec.series.flatMap((s) => s.points);
  const x = axis(
    [...all.map((p) => p.x), ...(spec.xMax !== undefined ? [spec.xMax] : [])],
    spec.xScale,
    PLOT_W,
    false,
  );
  const y = axis(
    [...all.map((p) => p.y), ...(spec.references ?? []).map((r) => r.y)],
    spec.yScale,
    PLOT_H,
    true,
  );
  const plotted = (p: Point) =>
    Number.isFinite(p.x) &&
    Number.isFinite(p.y) &&
    (spec.xScale === 'linear' || p.x > 0) &&
    (spec.yScale === 'linear' || p.y > 0);
  const body: string[] = [...yGrid(y)];
  for (const t of x.ticks) {
    const px = f(M.left + x.toPx(t));
    body.push(
      `<line x1="${px}" x2="${px}" y1="${M.top}" y2="${M.top + PLOT_H}" stroke="#eef1f4" stroke-width="1"/><text x="${px}" y="${M.top + PLOT_H + 18}" text-anchor="middle" fill="#59636e">${escapeXml(formatTick(t))}</text>`,
    );
  }
  body.push(
    `<rect x="${M.left}" y="${M.top}" width="${PLOT_W}" height="${PLOT_H}" fill="none" stroke="#8c959f" stroke-width="1"/>`,
  );
  body.push(...references(spec.references, y));
  spec.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = s.points.filter(plotted).sort((a, b) => a.x - b.x);
    const coords = pts.map((p) => [f(M.left + x.toPx(p.x)), f(M.top + y.toPx(p.y))] as const);
    const path = coords.map(([px, py], k) => `${k === 0 ? 'M' : 'L'}${px} ${py}`).join(' ');
    const dots = pts.map((p, k) => {
      const [px, py] = coords[k] as readonly [string, string];
      const label = p.label ?? `${s.name}: ${formatTick(p.y)} at ${formatTick(p.x)}`;
      const value = s.valueLabels
        ? `<text x="${px}" y="${py}" dx="${nearRight(px) ? -6 : 6}" dy="${i % 2 === 0 ? -7 : 15}"${nearRight(px) ? ' text-anchor="end"' : ''} fill="${colour}" font-size="11">${escapeXml(Math.round(p.y).toLocaleString('en-US'))}</text>`
        : '';
      return `<circle cx="${px}" cy="${py}" r="4" fill="${colour}"><title>${escapeXml(label)}</title></circle>${value}`;
    });
    body.push(
      `<g data-series="${escapeXml(s.name)}">${path ? `<path d="${path}" fill="none" stroke="${colour}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>` : ''}${dots.join('')}</g>`,
    );
  });
  body.push(
    ...legend(
      spec.series.map((s) => s.name),
      spec.series.map((s) => s.dashed ?? false),
    ),
  );
  return frame(spec, body);
}

export function barChart(spec: BarChartSpec): string {
  const values = spec.groups
    .flatMap((g) => g.values)
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  const y = axis([...values, ...(spec.references ?? []).map((r) => r.y)], 'linear', PLOT_H, true);
  const body: string[] = [...yGrid(y)];
  const groupW = PLOT_W / Math.max(1, spec.groups.length);
  const barW = Math.min(56, (groupW * 0.7) / Math.max(1, spec.seriesNames.length));
  const bars: string[][] = spec.seriesNames.map(() => []);
  spec.groups.forEach((g, gi) => {
    const left = M.left + gi * groupW + (groupW - barW * spec.seriesNames.length) / 2;
    body.push(
      `<text x="${f(M.left + gi * groupW + groupW / 2)}" y="${M.top + PLOT_H + 18}" text-anchor="middle" fill="#59636e">${escapeXml(g.label)}</text>`,
    );
    spec.seriesNames.forEach((name, si) => {
      const v = g.values[si];
      if (v === undefined || !Number.isFinite(v)) return;
      const top = M.top + y.toPx(v);
      const px = left + si * barW;
      (bars[si] as string[]).push(
        `<rect x="${f(px)}" y="${f(top)}" width="${f(barW - 4)}" height="${f(M.top + PLOT_H - top)}" fill="${COLOURS[si % COLOURS.length]}"><title>${escapeXml(`${name}, ${g.label}: ${v.toFixed(2)}`)}</title></rect><text x="${f(px + (barW - 4) / 2)}" y="${f(top - 5)}" text-anchor="middle" fill="#1f2328">${escapeXml(v.toFixed(2))}</text>`,
      );
    });
  });
  spec.seriesNames.forEach((name, si) => {
    body.push(`<g data-series="${escapeXml(name)}">${(bars[si] as string[]).join('')}</g>`);
  });
  body.push(
    `<rect x="${M.left}" y="${M.top}" width="${PLOT_W}" height="${PLOT_H}" fill="none" stroke="#8c959f" stroke-width="1"/>`,
  );
  body.push(...references(spec.references, y));
  body.push(...legend(spec.seriesNames));
  return frame(spec, body);
}
