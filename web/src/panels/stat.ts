// Stat, gauge and bar gauge panels: one reduced value per series, colored by thresholds or
// value mappings.
import { Panel, QueryResult, reduce } from '../data';
import { formatValue, thresholdColor } from '../units';
import { choice, defaults, el, field, fitFontSize, mapValue, noData, PanelType, thresholds } from './common';

// Text sizing as Grafana's auto text size does it: the value is as large as its box allows.
const LINE_HEIGHT = 1.2;
const VALUE_MAX_PX = 100;
const SPARKLINE_SHARE = 0.4;
const SPARKLINE_MIN_BOX = 70;  // px; below this the sparkline would squeeze the value

let measureCtx: CanvasRenderingContext2D | null = null;
// Sets the element's font size to the largest that fits its text in width x height; returns it.
function fitText(e: HTMLElement, width: number, height: number, max: number): number {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  const cs = getComputedStyle(e);
  let textWidth = (e.textContent ?? '').length * 60;  // without a canvas: about 0.6 em per glyph
  if (measureCtx) {
    measureCtx.font = `${cs.fontWeight} 100px ${cs.fontFamily}`;
    textWidth = measureCtx.measureText(e.textContent ?? '').width;
  }
  const size = fitFontSize(textWidth, width, height, LINE_HEIGHT, max);
  e.style.fontSize = size.toFixed(1) + 'px';
  e.style.lineHeight = String(LINE_HEIGHT);
  return size;
}

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

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
  const svg = svgEl('svg', { viewBox: '0 0 100 30', preserveAspectRatio: 'none', class: 'sparkline' });
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
  const area = svgEl('path', { d: dPath + 'L100,30L0,30Z', fill: stroke, 'fill-opacity': '0.2' });
  const line = svgEl('path', { d: dPath, fill: 'none', stroke, 'stroke-width': '1', 'vector-effect': 'non-scaling-stroke' });
  svg.append(area, line);
  return svg;
}

// The three panels share this frame: reduce each series, "No data" when there is none, else the
// panel's element built from the reduced items, marked with its kind for the browser tests.
// fit, when given, sizes the text to the element now and whenever the panel is resized.
function renderReduced(
  container: HTMLElement,
  panel: Panel,
  result: QueryResult,
  kind: string,
  build: (items: Reduced[]) => HTMLElement,
  fit?: (root: HTMLElement) => void,
): () => void {
  const items = reduced(panel, result);
  if (!items.length) {
    noData(container);
    return () => {};
  }
  const root = build(items);
  container.append(root);
  container.dataset.rendered = kind;
  if (!fit) return () => {};
  fit(root);
  // The observed box does not depend on the font sizes fit sets, so this cannot loop.
  const ro = new ResizeObserver(() => fit(root));
  ro.observe(root);
  return () => ro.disconnect();
}

// Where value lies between min and max, clamped to [0, 1] (0 for no value).
function fraction(value: number | null, min: number, max: number): number {
  return value === null ? 0 : Math.max(0, Math.min(1, (value - min) / (max - min || 1)));
}

export function renderStat(container: HTMLElement, panel: Panel, result: QueryResult): () => void {
  const colorMode = panel.options?.colorMode ?? 'value';
  const graphMode = panel.options?.graphMode ?? 'area';
  const textMode = panel.options?.textMode ?? 'auto';
  return renderReduced(container, panel, result, 'stat', (items) => {
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
  }, (grid) => {
    for (const box of grid.querySelectorAll<HTMLElement>('.stat-item')) {
      const name = box.querySelector<HTMLElement>('.stat-name');
      const spark = box.querySelector<SVGElement>('.sparkline');
      const value = box.querySelector<HTMLElement>('.stat-value')!;
      const h = box.clientHeight;
      // The sparkline takes the lower part of the box when the box is tall enough to show both.
      const chart = spark && h >= SPARKLINE_MIN_BOX ? SPARKLINE_SHARE * h : 0;
      if (spark) spark.style.display = chart ? '' : 'none';
      box.style.paddingBottom = chart + 'px';  // the value centres above the sparkline
      const nameH = name ? name.offsetHeight : 0;
      fitText(value, box.clientWidth * 0.9, (h - nameH - chart) * 0.95, VALUE_MAX_PX);
    }
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
      const svg = svgEl('svg', { viewBox: '0 0 100 90', class: 'gauge' });
      svg.append(svgEl('path', { d: arc(a0, a0 + Math.PI * 1.5), stroke: '#2c3235', 'stroke-width': '10', fill: 'none' }));
      if (frac > 0.001) svg.append(svgEl('path', { d: arc(a0, a1), stroke: it.color, 'stroke-width': '10', fill: 'none' }));
      box.append(svg);
      const label = el('div', { class: 'gauge-text' }, it.text);
      label.style.color = it.color;
      box.append(label);
      if (items.length > 1) box.append(el('div', { class: 'stat-name' }, it.name));
      grid.append(box);
    }
    return grid;
  }, (grid) => {
    for (const box of grid.querySelectorAll<HTMLElement>('.gauge-item')) {
      const svg = box.querySelector<SVGSVGElement>('svg.gauge')!;
      const label = box.querySelector<HTMLElement>('.gauge-text')!;
      // The drawing is scaled to fit the svg box (viewBox 100x90, centred); the text goes in
      // the arc's inner circle (radius 35 of the viewBox) around its centre (50, 50).
      const b = box.getBoundingClientRect();
      const r = svg.getBoundingClientRect();
      const scale = Math.min(r.width / 100, r.height / 90);
      const size = fitText(label, 56 * scale, 36 * scale, VALUE_MAX_PX);
      const cy = r.top - b.top + (r.height - 90 * scale) / 2 + 50 * scale;
      label.style.top = Math.max(0, cy - (size * LINE_HEIGHT) / 2) + 'px';
    }
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

const both = (values: string[]) => values.map((v) => [v, v] as const);

export const stat: PanelType = {
  type: 'stat',
  label: 'Stat',
  aliases: ['singlestat'],
  needsQueries: true,
  render: (body, panel, { result }) => renderStat(body, panel, result),
  editor(panel, changed) {
    const set = (key: string) => (value: string) => {
      panel.options[key] = value;
      changed();
    };
    return [
      field('Color mode', choice(both(['value', 'background', 'none']), panel.options.colorMode ?? 'value', set('colorMode'))),
      field('Graph mode', choice(both(['area', 'none']), panel.options.graphMode ?? 'area', set('graphMode'))),
    ];
  },
};

export const gauge: PanelType = {
  type: 'gauge',
  label: 'Gauge',
  needsQueries: true,
  render: (body, panel, { result }) => renderGauge(body, panel, result),
};

export const barGauge: PanelType = {
  type: 'bargauge',
  label: 'Bar gauge',
  needsQueries: true,
  render: (body, panel, { result }) => renderBarGauge(body, panel, result),
};
