// Table panel: one row per series (its labels and its last value).
import { activeTargets, Panel, QueryResult, reduce } from '../data';
import { formatValue } from '../units';
import { defaults, el, mapValue, noData, PanelType } from './common';

export function renderTable(container: HTMLElement, panel: Panel, result: QueryResult): () => void {
  if (!result.frames.length) {
    noData(container);
    return () => {};
  }
  const d = defaults(panel);
  const labelSet = new Set<string>();
  for (const f of result.frames) Object.keys(f.labels).forEach((l) => labelSet.add(l));
  const labels = [...labelSet].sort((a, b) => (a === '__name__' ? -1 : b === '__name__' ? 1 : a.localeCompare(b)));
  const table = el('table', { class: 'data-table', 'data-testid': 'table' });
  const head = el('tr');
  for (const l of [...labels, 'Value']) head.append(el('th', {}, l));
  table.append(el('thead'));
  table.tHead!.append(head);
  const body = el('tbody');
  for (const f of result.frames) {
    const tr = el('tr');
    for (const l of labels) tr.append(el('td', {}, f.labels[l] ?? ''));
    const v = reduce(f.values, 'lastNotNull');
    tr.append(el('td', { class: 'num' }, mapValue(panel, v)?.text ?? formatValue(v, d.unit ?? 'none', d.decimals ?? undefined)));
    body.append(tr);
  }
  table.append(body);
  const wrap = el('div', { class: 'table-wrap' });
  wrap.append(table);
  container.append(wrap);
  container.dataset.rendered = 'table';
  return () => {};
}

export const table: PanelType = {
  type: 'table',
  label: 'Table',
  aliases: ['table-old'],
  needsQueries: true,
  // The table shows one value per series, so it asks for one sample unless a query wants a range.
  instant: (panel) => !(panel.targets ?? []).some((t) => t.range) || activeTargets(panel).every((t) => t.format === 'table' || t.instant),
  render: (body, panel, { result }) => renderTable(body, panel, result),
};
