// Stat, gauge and bar gauge panels: one reduced value per series, colored by thresholds or
// value mappings.
import { Panel, QueryResult, reduce } from '../data';
import { formatValue, thresholdColor } from '../units';
import { defaults, el, mapValue, noData, thresholds } from './common';

interface Reduced {
  name: string;
  value: number | null;
  text: string;
  color: string;
  values: (number | null)[];
}

function reduced(panel: Panel, result: QueryResult): Reduced[] {
  const d = defaults(panel);
  const calc: string = panel.options?.reduceOptions?.calcs?.[0] ?? 'lastNotNull';
  const steps = thresholds(panel);
  return result.frames.map((f) => {
    const value = reduce(f.values, calc);
    const mapped = mapValue(panel, value);
    const text = mapped?.text ?? formatValue(value, d.unit ?? 'short', d.decimals ?? undefined);
    const c = mapped?.color ?? thresholdColor(value, steps);
    return { name: f.name, value, text, color: c, values: f.values };
  });
}

function sparkline(values: (number | null)[], stroke: string): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 100 30');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'sparkline');
  const nn = values.filter((v): v is number => v !== null);
  if (nn.length < 2) return svg;
  let lo = Math.min(...nn);
  let hi = Math.max(...nn);
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const step = Math.max(1, Math.floor(values.length / 300));
  let dPath = '';
  let first = true;
  for (let i = 0; i < values.length; i += step) {
    const v = values[i];
    if (v === null) continue;
    const x = (i / (values.length - 1)) * 100;
    const y = 30 - ((v - lo) / (hi - lo)) * 28 - 1;
    dPath += (first ? 'M' : 'L') + x.toFixed(2) + ',' + y.toFixed(2);
    first = false;
  }
  const area = document.createElementNS(ns, 'path');
  area.setAttribute('d', dPath + 'L100,30L0,30Z');
  area.setAttribute('fill', stroke);
  area.setAttribute('fill-opacity', '0.2');
  const line = document.createElementNS(ns, 'path');
  line.setAttribute('d', dPath);
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', stroke);
  line.setAttribute('stroke-width', '1');
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(area, line);
  return svg;
}

// The three panels share this frame: reduce each series, "No data" when there is none, else the
// panel's element built from the reduced items, marked with its kind for the browser tests.
function renderReduced(
  container: HTMLElement,
  panel: Panel,
  result: QueryResult,
  kind: string,
  build: (items: Reduced[]) => HTMLElement,
): () => void {
  const items = reduced(panel, result);
  if (!items.length) {
    noData(container);
    return () => {};
  }
  container.append(build(items));
  container.dataset.rendered = kind;
  return () => {};
}

// Where value lies between min and max, clamped to [0, 1] (0 for no value).
function fraction(value: number | null, min: number, max: number): number {
  return value === null ? 0 : Math.max(0, Math.min(1, (value - min) / (max - min || 1)));
}

export function renderStat(container: HTMLElement, panel: Panel, result: QueryResult): () => void {
  return renderReduced(container, panel, result, 'stat', (items) => {
    const colorMode = panel.options?.colorMode ?? 'value';
    const graphMode = panel.options?.graphMode ?? 'area';
    const textMode = panel.options?.textMode ?? 'auto';
    const grid = el('div', { class: 'stat-grid' });
    for (const it of items) {
      const box = el('div', { class: 'stat-item', 'data-testid': 'stat-value' });
      if (colorMode === 'background') {
        box.style.background = it.color;
        box.classList.add('stat-bg');
      }
      if ((textMode === 'auto' && items.length > 1) || textMode === 'value_and_name' || textMode === 'name') {
        box.append(el('div', { class: 'stat-name' }, it.name));
      }
      const v = el('div', { class: 'stat-value' }, textMode === 'name' ? '' : it.text);
      if (colorMode === 'value') v.style.color = it.color;
      box.append(v);
      if (graphMode === 'area' && !result.instant) box.append(sparkline(it.values, colorMode === 'background' ? '#ffffff' : it.color));
      grid.append(box);
    }
    return grid;
  });
}

export function renderGauge(container: HTMLElement, panel: Panel, result: QueryResult): () => void {
  return renderReduced(container, panel, result, 'gauge', (items) => {
    const d = defaults(panel);
    const min = d.min ?? 0;
    const max = d.max ?? (d.unit === 'percentunit' ? 1 : 100);
    const grid = el('div', { class: 'stat-grid' });
    for (const it of items) {
      const frac = fraction(it.value, min, max);
      const box = el('div', { class: 'gauge-item', 'data-testid': 'gauge-value' });
      const a0 = Math.PI * 0.75;
      const a1 = a0 + Math.PI * 1.5 * frac;
      const pt = (a: number) => `${50 + 40 * Math.cos(a)},${50 + 40 * Math.sin(a)}`;
      const arc = (from: number, to: number) => `M${pt(from)} A40,40 0 ${to - from > Math.PI ? 1 : 0} 1 ${pt(to)}`;
      box.innerHTML =
        `<svg viewBox="0 0 100 90" class="gauge"><path d="${arc(a0, a0 + Math.PI * 1.5)}" stroke="#2c3235" stroke-width="10" fill="none"/>` +
        (frac > 0.001 ? `<path d="${arc(a0, a1)}" stroke="${it.color}" stroke-width="10" fill="none"/>` : '') +
        `</svg>`;
      const label = el('div', { class: 'gauge-text' }, it.text);
      label.style.color = it.color;
      box.append(label);
      if (items.length > 1) box.append(el('div', { class: 'stat-name' }, it.name));
      grid.append(box);
    }
    return grid;
  });
}

export function renderBarGauge(container: HTMLElement, panel: Panel, result: QueryResult): () => void {
  return renderReduced(container, panel, result, 'bargauge', (items) => {
    const d = defaults(panel);
    const min = d.min ?? 0;
    const max = d.max ?? Math.max(...items.map((i) => i.value ?? 0), 1);
    const list = el('div', { class: 'bargauge' });
    for (const it of items) {
      const frac = fraction(it.value, min, max);
      const row = el('div', { class: 'bar-row', 'data-testid': 'bargauge-row' });
      row.append(el('div', { class: 'bar-name' }, it.name));
      const track = el('div', { class: 'bar-track' });
      const fill = el('div', { class: 'bar-fill' });
      fill.style.width = (frac * 100).toFixed(1) + '%';
      fill.style.background = it.color;
      track.append(fill);
      row.append(track);
      const v = el('div', { class: 'bar-value' }, it.text);
      v.style.color = it.color;
      row.append(v);
      list.append(row);
    }
    return list;
  });
}
