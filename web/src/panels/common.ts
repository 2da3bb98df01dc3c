// What a panel type is (PanelType, listed in registry.ts) and the helpers its modules share.
import { Panel, QueryResult } from '../data';
import { safeHref } from '../sanitize';
import { color, Threshold } from '../units';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

// What a panel type's render gets besides its body element and the panel.
export interface RenderContext {
  result: QueryResult;  // the queries' answers; empty for a type that needs no queries
  interpolate: (s: string) => string;  // the dashboard's variables
  onZoom?: (from: number, to: number) => void;  // a new absolute range (ms) picked on the panel
}

// One kind of panel, as the registry lists it. render draws into body and returns what undoes
// it (observers, plots). editor returns the type's own fields for the panel editor.
// REQUIRES (editor): panel.options and panel.fieldConfig.defaults exist (the editor makes them).
export interface PanelType {
  type: string;  // the id in Grafana's dashboard JSON
  label: string;  // shown in the panel editor's type picker
  aliases?: string[];  // Grafana's older ids that this type draws (graph, singlestat, table-old)
  needsQueries: boolean;  // false: no query runs, and the editor shows neither queries nor units
  instant?: (panel: Panel) => boolean;  // ask for one sample per series at the range's end
  render(body: HTMLElement, panel: Panel, ctx: RenderContext): (() => void) | Promise<() => void>;
  editor?: (panel: Panel, changed: () => void) => HTMLElement[];
}

// A labelled form field of the editors.
export function field(label: string, input: HTMLElement): HTMLElement {
  const l = el('label', { class: 'field' });
  l.append(el('span', {}, label), input);
  return l;
}

// A <select> of [value, label] pairs with current selected; onChange gets the chosen value.
export function choice(options: readonly (readonly [string, string])[], current: string, onChange: (value: string) => void, attrs: Record<string, string> = {}): HTMLSelectElement {
  const sel = el('select', attrs);
  for (const [value, label] of options) {
    const o = el('option', { value }, label);
    o.selected = value === current;
    sel.append(o);
  }
  sel.addEventListener('change', () => onChange(sel.value));
  return sel;
}

// The font size (px) at which a text that is textWidthAt100 px wide at 100 px fits a box of
// width x height with the given line height, at most max and at least min (Grafana's auto
// text size: the smaller of the width and the height limit).
export function fitFontSize(textWidthAt100: number, width: number, height: number, lineHeight: number, max: number, min = 6): number {
  const byWidth = textWidthAt100 > 0 ? (width / textWidthAt100) * 100 : max;
  const byHeight = height / lineHeight;
  return Math.max(min, Math.min(max, byWidth, byHeight));
}

export function defaults(panel: Panel): any {
  return panel.fieldConfig?.defaults ?? {};
}

export function thresholds(panel: Panel): Threshold[] {
  const steps = defaults(panel).thresholds?.steps;
  return Array.isArray(steps) && steps.length ? steps : [{ value: null, color: 'green' }, { value: 80, color: 'red' }];
}

export interface Mapped {
  text?: string;
  color?: string;
}

// Grafana value mappings: current ({type: value|range|special|regex}) and legacy ({type: 1|2}).
export function mapValue(panel: Panel, value: number | null): Mapped | null {
  const mappings: any[] = [...(defaults(panel).mappings ?? panel.mappings ?? [])];
  // Legacy singlestat: valueMaps [{op: '=', value: '1', text: 'UP'}].
  for (const vm of panel.valueMaps ?? []) mappings.push({ type: 1, value: vm.value, text: vm.text });
  const str = value === null ? 'null' : String(value);
  for (const m of mappings) {
    if (m.type === 'value' && m.options) {
      const r = m.options[str];
      if (r) return { text: r.text, color: r.color ? color(r.color) : undefined };
    } else if (m.type === 'range' && m.options && value !== null) {
      const { from, to, result } = m.options;
      if ((from === null || from === undefined || value >= from) && (to === null || to === undefined || value <= to)) {
        return { text: result?.text, color: result?.color ? color(result.color) : undefined };
      }
    } else if (m.type === 'special' && m.options) {
      const match = m.options.match;
      const hit = (match === 'null' && value === null) || (match === 'nan' && value !== null && isNaN(value)) || (match === 'null+nan' && (value === null || isNaN(value)));
      if (hit) return { text: m.options.result?.text, color: m.options.result?.color ? color(m.options.result.color) : undefined };
    } else if (m.type === 'regex' && m.options) {
      if (new RegExp(m.options.pattern).test(str)) return { text: m.options.result?.text, color: m.options.result?.color ? color(m.options.result.color) : undefined };
    } else if (m.type === 1 && String(m.value) === str) {
      return { text: m.text };
    } else if (m.type === 2 && value !== null && value >= parseFloat(m.from) && value <= parseFloat(m.to)) {
      return { text: m.text };
    }
  }
  return null;
}

// Grafana's dashboard and panel links ({title, url, targetBlank, tooltip}), variables
// interpolated. A url that is not http(s) or relative (javascript:...) leaves the title as
// plain text. Dashboard links of type "dashboards" (by tag) are not shown.
export function linkNodes(links: unknown, interpolate: (s: string) => string): HTMLElement[] {
  if (!Array.isArray(links)) return [];
  const out: HTMLElement[] = [];
  for (const l of links) {
    if (!l || typeof l !== 'object' || (l.type && l.type !== 'link')) continue;
    const title = interpolate(String(l.title ?? l.url ?? ''));
    const href = safeHref(interpolate(String(l.url ?? '')));
    const attrs: Record<string, string> = { class: 'dash-link-item', 'data-testid': 'model-link' };
    if (l.tooltip) attrs.title = String(l.tooltip);
    if (!href) {
      out.push(el('span', attrs, title));
      continue;
    }
    if (l.targetBlank) Object.assign(attrs, { target: '_blank', rel: 'noopener noreferrer' });
    out.push(el('a', { ...attrs, href }, title));
  }
  return out;
}

export function noData(container: HTMLElement, message = 'No data') {
  container.append(el('div', { class: 'panel-nodata', 'data-testid': 'panel-nodata' }, message));
}
