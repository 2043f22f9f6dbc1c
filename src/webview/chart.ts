// Score and accuracy per step as an SVG line chart (two series, shared x axis; the score — a loss, lower is
// better, as the axis says — on the left, accuracy 0-100 % on the right). The score axis spans at least a tenth of
// the score's size, so 1.347 → 1.341 reads as the small change it is, not as a crash. Colours come from theme
// variables via CSS classes.
import { scoreAxis } from './axis';
import { svg } from './dom';

export interface ChartPoint {
  step: number;
  score: number;
  accuracy: number;
}

export function lineChart(points: readonly ChartPoint[], width = 520, height = 180): SVGElement {
  const pad = { l: 44, r: 44, t: 10, b: 24 };
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': 'score and accuracy per step' });
  const w = width - pad.l - pad.r, hh = height - pad.t - pad.b;
  root.appendChild(svg('rect', { x: pad.l, y: pad.t, width: w, height: hh, class: 'chart-frame' }));
  if (points.length === 0) {
    root.appendChild(svg('text', { x: width / 2, y: height / 2, class: 'chart-label', 'text-anchor': 'middle' }, 'waiting for the first step…'));
    return root;
  }
  const steps = points.map((p) => p.step);
  const x0 = Math.min(...steps), x1 = Math.max(...steps, x0 + 1);
  const [s0, s1] = scoreAxis(points.map((p) => p.score));
  const X = (s: number) => pad.l + ((s - x0) / (x1 - x0)) * w;
  const YS = (v: number) => pad.t + hh - ((v - s0) / (s1 - s0)) * hh;
  const YA = (v: number) => pad.t + hh - v * hh;
  const path = (f: (p: ChartPoint) => number) => points.map((p, i) => `${i ? 'L' : 'M'}${X(p.step).toFixed(1)},${f(p).toFixed(1)}`).join(' ');
  root.appendChild(svg('path', { d: path((p) => YS(p.score)), class: 'series-score' }));
  root.appendChild(svg('path', { d: path((p) => YA(p.accuracy)), class: 'series-accuracy' }));
  for (const p of points) {
    root.appendChild(svg('circle', { cx: X(p.step), cy: YS(p.score), r: 2.5, class: 'dot-score' }));
    root.appendChild(svg('circle', { cx: X(p.step), cy: YA(p.accuracy), r: 2.5, class: 'dot-accuracy' }));
  }
  const label = (x: number, y: number, t: string, anchor = 'start') => root.appendChild(svg('text', { x, y, class: 'chart-label', 'text-anchor': anchor }, t));
  // enough digits to tell the two ends apart
  const digits = Math.min(6, Math.max(2, Math.ceil(-Math.log10(s1 - s0)) + 1));
  label(pad.l - 4, pad.t + 8, s1.toFixed(digits), 'end');
  label(pad.l - 4, pad.t + hh, s0.toFixed(digits), 'end');
  label(pad.l + 4, pad.t + 12, 'score (lower is better)');
  label(width - pad.r + 4, pad.t + 8, '100%');
  label(width - pad.r + 4, pad.t + hh, '0%');
  label(pad.l, height - 6, `step ${x0}`);
  label(width - pad.r, height - 6, `step ${x1}`, 'end');
  return root;
}
