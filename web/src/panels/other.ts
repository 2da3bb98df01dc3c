// Table, text (markdown) and alert list panels.
import { api } from '../api';
import { Panel, QueryResult, reduce } from '../data';
import { formatValue } from '../units';
import { defaults, el, mapValue, noData } from './common';

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

// A small markdown subset rendered from escaped text, so the content can never inject HTML:
// headings, emphasis, inline code, code blocks, links (http/https/relative only), lists.
export function markdown(src: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  const inline = (s: string) =>
    esc(s)
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/\*([^*]+)\*/g, '<em>$1</em>')
      .replace(/\[([^\]]+)\]\(((?:https?:\/\/|\/)[^)\s]*)\)/g, '<a href="$2" rel="noopener noreferrer" target="_blank">$1</a>');
  const out: string[] = [];
  const lines = src.split('\n');
  let list = '';
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push('<p>' + para.map(inline).join(' ') + '</p>');
    para = [];
    if (list) out.push(`</${list}>`);
    list = '';
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('```')) {
      flush();
      const code: string[] = [];
      while (++i < lines.length && !lines[i].startsWith('```')) code.push(lines[i]);
      out.push('<pre><code>' + esc(code.join('\n')) + '</code></pre>');
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    const ul = /^\s*[-*]\s+(.*)$/.exec(line);
    const ol = /^\s*\d+\.\s+(.*)$/.exec(line);
    if (h) {
      flush();
      out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
    } else if (ul || ol) {
      const kind = ul ? 'ul' : 'ol';
      if (para.length || (list && list !== kind)) flush();
      if (!list) out.push(`<${kind}>`);
      list = kind;
      out.push('<li>' + inline((ul ?? ol)![1]) + '</li>');
    } else if (!line.trim()) {
      flush();
    } else {
      if (list) flush();
      para.push(line);
    }
  }
  flush();
  return out.join('\n');
}

export function renderText(container: HTMLElement, panel: Panel, interpolate: (s: string) => string): () => void {
  const content = interpolate(panel.options?.content ?? panel.content ?? '');
  const mode = panel.options?.mode ?? panel.mode ?? 'markdown';
  const div = el('div', { class: 'text-panel', 'data-testid': 'text-panel' });
  if (mode === 'markdown') div.innerHTML = markdown(content);
  else div.textContent = content;  // html and code modes are shown as text, never as markup
  container.append(div);
  container.dataset.rendered = 'text';
  return () => {};
}

interface AlertRow {
  name: string;
  state: string;
  since?: string;
  summary?: string;
  source: string;
}

export async function renderAlertList(container: HTMLElement, panel: Panel): Promise<() => void> {
  const rows: AlertRow[] = [];
  const errors: string[] = [];
  const filter = panel.options?.stateFilter ?? {};
  const want = (state: string) => {
    const any = Object.values(filter).some(Boolean);
    if (!any) return state === 'firing' || state === 'pending' || state === 'active';
    return (state === 'firing' && filter.firing) || (state === 'pending' && filter.pending) || (state === 'active' && (filter.firing || filter.active)) || (state === 'inactive' && filter.normal);
  };
  await Promise.all([
    api<any>('GET', '/api/sremon/rules/api/v1/alerts', undefined, { noRedirect: true })
      .then((r) => {
        for (const a of r?.data?.alerts ?? []) {
          rows.push({ name: a.labels?.alertname ?? a.name ?? '?', state: a.state, since: a.activeAt, summary: a.annotations?.summary, source: 'rules' });
        }
      })
      .catch((e) => errors.push('rules: ' + e.message)),
    api<any>('GET', '/api/sremon/alertmanager/api/v2/alerts', undefined, { noRedirect: true })
      .then((r) => {
        for (const a of Array.isArray(r) ? r : []) {
          rows.push({ name: a.labels?.alertname ?? '?', state: a.status?.state === 'active' ? 'firing' : a.status?.state ?? 'firing', since: a.startsAt, summary: a.annotations?.summary, source: 'alertmanager' });
        }
      })
      .catch((e) => errors.push('alertmanager: ' + e.message)),
  ]);
  const shown = rows.filter((r) => want(r.state)).slice(0, panel.options?.maxItems ?? 20);
  const list = el('div', { class: 'alert-list', 'data-testid': 'alert-list' });
  if (!shown.length) list.append(el('div', { class: 'panel-nodata' }, errors.length === 2 ? 'Alert sources unreachable' : 'No alerts'));
  for (const r of shown) {
    const row = el('div', { class: 'alert-row state-' + r.state });
    row.append(el('span', { class: 'alert-state' }, r.state.toUpperCase()), el('span', { class: 'alert-name' }, r.name));
    if (r.summary) row.append(el('span', { class: 'alert-summary' }, r.summary));
    if (r.since) row.append(el('span', { class: 'alert-since' }, new Date(r.since).toLocaleString()));
    row.append(el('span', { class: 'alert-source' }, r.source));
    list.append(row);
  }
  if (errors.length && errors.length < 2) list.append(el('div', { class: 'alert-errors' }, errors.join('; ')));
  container.append(list);
  container.dataset.rendered = 'alertlist';
  return () => {};
}
