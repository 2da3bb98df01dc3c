// Text panel: markdown (a safe subset, built as DOM nodes) or the content as plain text.
import { Panel } from '../data';
import { safeHref } from '../sanitize';
import { el, field, PanelType } from './common';

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

export const text: PanelType = {
  type: 'text',
  label: 'Text',
  needsQueries: false,
  render: (body, panel, { interpolate }) => renderText(body, panel, interpolate),
  editor(panel, changed) {
    const content = el('textarea', { rows: '8', 'data-testid': 'text-content' });
    content.value = panel.options.content ?? '';
    content.addEventListener('change', () => {
      panel.options.content = content.value;
      panel.options.mode = 'markdown';
      changed();
    });
    return [field('Content (markdown)', content)];
  },
};
