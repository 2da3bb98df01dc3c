// Table, text (markdown) and alert list panels.
import { api } from '../api';
import { Panel, QueryResult, reduce } from '../data';
import { formatValue } from '../units';
import { safeHref } from '../sanitize';
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

// A small markdown subset: headings, paragraphs, lists, code blocks, and inline code, emphasis
// and links. The text panel's content is written by whoever edits the dashboard, so it is
// parsed into this tree and built with DOM calls (text nodes, createElement, a checked href):
// no string of it is ever parsed as HTML.
export type Inline =
  | { t: 'text'; text: string }
  | { t: 'code' | 'strong' | 'em'; text: string }
  | { t: 'link'; text: string; href: string };
export type Block =
  | { t: 'h'; level: number; inline: Inline[] }
  | { t: 'p'; inline: Inline[] }
  | { t: 'ul' | 'ol'; items: Inline[][] }
  | { t: 'pre'; text: string };

const INLINE = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*|\[([^\]]+)\]\(([^)\s]+)\)/g;

export function parseInline(s: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const m of s.matchAll(INLINE)) {
    if (m.index! > last) out.push({ t: 'text', text: s.slice(last, m.index) });
    if (m[1] !== undefined) out.push({ t: 'code', text: m[1] });
    else if (m[2] !== undefined) out.push({ t: 'strong', text: m[2] });
    else if (m[3] !== undefined) out.push({ t: 'em', text: m[3] });
    else {
      const href = safeHref(m[5]);
      // A link with another scheme (javascript:...) keeps only its text.
      out.push(href ? { t: 'link', text: m[4], href } : { t: 'text', text: m[4] });
    }
    last = m.index! + m[0].length;
  }
  if (last < s.length) out.push({ t: 'text', text: s.slice(last) });
  return out;
}

export function parseMarkdown(src: string): Block[] {
  const out: Block[] = [];
  const lines = src.split('\n');
  let list: { t: 'ul' | 'ol'; items: Inline[][] } | null = null;
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push({ t: 'p', inline: parseInline(para.join(' ')) });
    para = [];
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('```')) {
      flush();
      const code: string[] = [];
      while (++i < lines.length && !lines[i].startsWith('```')) code.push(lines[i]);
      out.push({ t: 'pre', text: code.join('\n') });
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    const ul = /^\s*[-*]\s+(.*)$/.exec(line);
    const ol = /^\s*\d+\.\s+(.*)$/.exec(line);
    if (h) {
      flush();
      out.push({ t: 'h', level: h[1].length, inline: parseInline(h[2]) });
    } else if (ul || ol) {
      const kind = ul ? 'ul' : 'ol';
      if (para.length || (list && list.t !== kind)) flush();
      if (!list) {
        list = { t: kind, items: [] };
        out.push(list);
      }
      list.items.push(parseInline((ul ?? ol)![1]));
    } else if (!line.trim()) {
      flush();
    } else {
      if (list) flush();
      para.push(line);
    }
  }
  flush();
  return out;
}

function inlineNodes(parts: Inline[]): Node[] {
  return parts.map((p) => {
    if (p.t === 'text') return document.createTextNode(p.text);
    if (p.t === 'link') return el('a', { href: p.href, rel: 'noopener noreferrer', target: '_blank' }, p.text);
    return el(p.t, {}, p.text);
  });
}

export function renderMarkdown(blocks: Block[]): Node[] {
  return blocks.map((b) => {
    if (b.t === 'pre') {
      const pre = el('pre');
      pre.append(el('code', {}, b.text));
      return pre;
    }
    if ('items' in b) {
      const list = el(b.t);
      for (const item of b.items) {
        const li = el('li');
        li.append(...inlineNodes(item));
        list.append(li);
      }
      return list;
    }
    const e = b.t === 'h' ? document.createElement(`h${b.level}`) : el('p');
    e.append(...inlineNodes(b.inline));
    return e;
  });
}

// Markdown mode renders the subset above; html and code modes show the content as text (never
// as markup: Grafana sanitizes html mode, and showing the source is the safe subset of that).
export function renderText(container: HTMLElement, panel: Panel, interpolate: (s: string) => string): () => void {
  const content = interpolate(panel.options?.content ?? panel.content ?? '');
  const mode = panel.options?.mode ?? panel.mode ?? 'markdown';
  const div = el('div', { class: 'text-panel', 'data-testid': 'text-panel' });
  if (mode === 'markdown') div.append(...renderMarkdown(parseMarkdown(content)));
  else div.textContent = content;
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
