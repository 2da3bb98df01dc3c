// Helpers shared by the panel renderers.
import { Panel } from '../data';
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

export function noData(container: HTMLElement, message = 'No data') {
  container.append(el('div', { class: 'panel-nodata', 'data-testid': 'panel-nodata' }, message));
}
