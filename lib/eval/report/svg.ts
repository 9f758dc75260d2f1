// Small inline-SVG charts for the HTML report: no scripts, no external assets.

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export const color = (i: number) => PALETTE[i % PALETTE.length]!;

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export interface ScatterPoint {
  x: number;
  y: number;
  /** Optional upper bound drawn as a tick above the point. */
  yUpper?: number;
}

/** Predicted (y) vs actual (x) with the y = x diagonal. */
export function scatterSvg(title: string, points: readonly ScatterPoint[], opts: { xLabel: string; yLabel: string; size?: number; color?: string }): string {
  const size = opts.size ?? 240;
  const m = { l: 42, r: 10, t: 22, b: 34 };
  const w = size - m.l - m.r;
  const h = size - m.t - m.b;
  const vals = points.flatMap((p) => [p.x, p.y, p.yUpper ?? p.y]).filter(Number.isFinite);
  const lo = vals.length ? Math.min(1, ...vals) : 1;
  const hi = vals.length ? Math.max(lo + 0.05, ...vals) : 2;
  const top = lo + niceMax(hi - lo);
  const sx = (v: number) => m.l + ((v - lo) / (top - lo)) * w;
  const sy = (v: number) => m.t + h - ((v - lo) / (top - lo)) * h;
  const c = opts.color ?? color(0);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img"><title>${escapeXml(title)}</title>`);
  parts.push(`<text x="${size / 2}" y="14" text-anchor="middle" font-size="12" font-weight="bold">${escapeXml(title)}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  parts.push(`<line x1="${sx(lo)}" y1="${sy(lo)}" x2="${sx(top)}" y2="${sy(top)}" stroke="#bbb" stroke-dasharray="4 3"/>`);
  for (const t of [lo, (lo + top) / 2, top]) {
    parts.push(`<text x="${sx(t)}" y="${m.t + h + 12}" text-anchor="middle" font-size="9">${fmt(t)}</text>`);
    parts.push(`<text x="${m.l - 3}" y="${sy(t) + 3}" text-anchor="end" font-size="9">${fmt(t)}</text>`);
  }
  parts.push(`<text x="${m.l + w / 2}" y="${size - 4}" text-anchor="middle" font-size="10">${escapeXml(opts.xLabel)}</text>`);
  parts.push(`<text x="10" y="${m.t + h / 2}" text-anchor="middle" font-size="10" transform="rotate(-90 10 ${m.t + h / 2})">${escapeXml(opts.yLabel)}</text>`);
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    if (p.yUpper !== undefined && Number.isFinite(p.yUpper)) {
      parts.push(`<line x1="${sx(p.x).toFixed(1)}" y1="${sy(p.y).toFixed(1)}" x2="${sx(p.x).toFixed(1)}" y2="${sy(Math.min(top, p.yUpper)).toFixed(1)}" stroke="${c}" stroke-opacity="0.25"/>`);
    }
    parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.2" fill="${c}" fill-opacity="0.7"/>`);
  }
  parts.push(`</svg>`);
  return parts.join("");
}

export interface BarGroup {
  label: string;
  values: readonly (number | null)[];
}

/** Grouped horizontal bars: one group per label, one bar per series. */
export function barChartSvg(title: string, series: readonly string[], groups: readonly BarGroup[], opts: { width?: number; unit?: string; min?: number; max?: number; reference?: number } = {}): string {
  const width = opts.width ?? 560;
  const barH = 12;
  const m = { l: 150, r: 60, t: 34, b: 10 };
  const groupH = series.length * barH + 8;
  const height = m.t + m.b + groups.length * groupH;
  const vals = groups.flatMap((g) => g.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const min = opts.min ?? 0;
  const max = opts.max ?? niceMax(Math.max(min + 1e-9, ...vals) - min) + min;
  const w = width - m.l - m.r;
  const sx = (v: number) => m.l + (Math.max(min, Math.min(max, v)) - min) / (max - min) * w;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img"><title>${escapeXml(title)}</title>`);
  parts.push(`<text x="${width / 2}" y="14" text-anchor="middle" font-size="12" font-weight="bold">${escapeXml(title)}</text>`);
  series.forEach((s, i) => {
    const x = m.l + i * 110;
    parts.push(`<rect x="${x}" y="20" width="9" height="9" fill="${color(i)}"/><text x="${x + 12}" y="28" font-size="10">${escapeXml(s)}</text>`);
  });
  groups.forEach((g, gi) => {
    const y0 = m.t + gi * groupH;
    parts.push(`<text x="${m.l - 6}" y="${y0 + (series.length * barH) / 2 + 4}" text-anchor="end" font-size="10">${escapeXml(g.label)}</text>`);
    g.values.forEach((v, si) => {
      const y = y0 + si * barH;
      if (v === null || !Number.isFinite(v)) {
        parts.push(`<text x="${m.l + 4}" y="${y + barH - 3}" font-size="9" fill="#888">n/a</text>`);
        return;
      }
      parts.push(`<rect x="${m.l}" y="${y}" width="${(sx(v) - m.l).toFixed(1)}" height="${barH - 2}" fill="${color(si)}"/>`);
      parts.push(`<text x="${(sx(v) + 3).toFixed(1)}" y="${y + barH - 3}" font-size="9">${fmt(v)}${escapeXml(opts.unit ?? "")}</text>`);
    });
  });
  if (opts.reference !== undefined) {
    const x = sx(opts.reference);
    parts.push(`<line x1="${x}" y1="${m.t - 2}" x2="${x}" y2="${height - m.b}" stroke="#444" stroke-dasharray="3 3"/>`);
  }
  parts.push(`</svg>`);
  return parts.join("");
}
