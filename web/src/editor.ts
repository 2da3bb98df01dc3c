// Loaded on demand (dynamic import) so dashboards open without the editor's weight:
// the panel editor (type, queries in a PromQL editor with autocomplete fed by the data
// source proxy, options, live preview) and a JSON model editor.
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { autocompletion, closeBrackets, completionKeymap } from '@codemirror/autocomplete';
import { syntaxHighlighting, HighlightStyle } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { DatasourceInfo, proxyBase, resolveDatasource, Settings } from './api';
import { Panel } from './data';
import { showModal } from './dialogs';
import { Scope } from './interpolate';
import { createPanelView } from './panel';
import { choice, el, field } from './panels/common';
import { needsQueries, PANEL_TYPES, panelType } from './panels/registry';
import { ResolvedRange } from './time';
import { UNITS } from './units';

const promqlByDs = new Map<string, PromQLExtension>();

// Colors readable on the dark background.
const darkHighlight = HighlightStyle.define([
  { tag: tags.labelName, color: '#8ab8ff' },
  { tag: tags.string, color: '#96d98d' },
  { tag: tags.number, color: '#fade2a' },
  { tag: [tags.function(tags.variableName), tags.keyword], color: '#ff9830' },
  { tag: tags.operator, color: '#ca95e5' },
  { tag: tags.comment, color: '#8e8e9e', fontStyle: 'italic' },
]);

function promql(ds: DatasourceInfo | undefined): PromQLExtension {
  const key = ds?.uid ?? '';
  let ext = promqlByDs.get(key);
  if (!ext) {
    ext = new PromQLExtension();
    if (ds) {
      ext.setComplete({
        remote: {
          url: location.origin + proxyBase(ds),
          httpMethod: 'GET',
          requestHeaders: new Headers({ 'X-Grafana-Org-Id': '1' }),
          cache: { initialMetricList: undefined },
        },
      } as any);
    }
    promqlByDs.set(key, ext);
  }
  return ext;
}

// A PromQL editor; onChange gets the text; Shift+Enter calls onRun.
export function promqlEditor(parent: HTMLElement, ds: DatasourceInfo | undefined, doc: string, onChange: (s: string) => void, onRun?: () => void): EditorView {
  const runKey = keymap.of([{ key: 'Shift-Enter', run: () => (onRun?.(), true) }]);
  return new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        runKey,
        history(),
        closeBrackets(),
        autocompletion(),
        keymap.of([...defaultKeymap, ...historyKeymap, ...completionKeymap]),
        syntaxHighlighting(darkHighlight),
        placeholder('Enter a PromQL query (Shift+Enter to run)'),
        promql(ds).asExtension(),
        EditorView.lineWrapping,
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange(u.state.doc.toString());
        }),
        EditorView.theme({ '&': { background: '#111217', color: '#ccccdc' }, '.cm-content': { caretColor: '#fff', fontFamily: 'monospace' } }, { dark: true }),
      ],
    }),
  });
}

function stepsToText(steps: any[] | undefined): string {
  return (steps ?? []).map((s) => (s.value === null || s.value === undefined ? 'base' : String(s.value)) + '=' + s.color).join(', ');
}
function textToSteps(text: string): any[] {
  return text.split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
    const [v, c] = p.split('=').map((x) => x.trim());
    return { value: v === 'base' || v === '' ? null : parseFloat(v), color: c || 'green' };
  });
}
function mappingsToText(m: any[] | undefined): string {
  const out: string[] = [];
  for (const x of m ?? []) if (x.type === 'value') for (const [k, r] of Object.entries<any>(x.options ?? {})) out.push(`${k}=${r.text ?? ''}${r.color ? ':' + r.color : ''}`);
  return out.join(', ');
}
function textToMappings(text: string): any[] {
  const options: Record<string, any> = {};
  let i = 0;
  for (const p of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, rest] = p.split('=');
    if (rest === undefined) continue;
    const [t, c] = rest.split(':');
    options[k.trim()] = { text: t.trim(), index: i++, ...(c ? { color: c.trim() } : {}) };
  }
  return Object.keys(options).length ? [{ type: 'value', options }] : [];
}

export function openPanelEditor(source: Panel, ctx: { settings: Settings; range: ResolvedRange; scope: Scope }): Promise<Panel | null> {
  const panel: Panel = JSON.parse(JSON.stringify(source));
  panel.fieldConfig = panel.fieldConfig ?? { defaults: {}, overrides: [] };
  panel.fieldConfig.defaults = panel.fieldConfig.defaults ?? {};
  panel.options = panel.options ?? {};
  panel.targets = panel.targets ?? [];
  const d = panel.fieldConfig.defaults;
  return new Promise((resolve) => {
    const overlay = el('div', { class: 'editor-overlay', 'data-testid': 'panel-editor' });
    const top = el('div', { class: 'editor-top' });
    const previewBox = el('div', { class: 'editor-preview' });
    const side = el('div', { class: 'editor-side' });
    const queries = el('div', { class: 'editor-queries' });
    const bar = el('div', { class: 'editor-bar' });
    const apply = el('button', { class: 'btn primary', 'data-testid': 'panel-apply' }, 'Apply');
    const discard = el('button', { class: 'btn', 'data-testid': 'panel-discard' }, 'Discard');
    const refresh = el('button', { class: 'btn', 'data-testid': 'panel-preview-refresh' }, 'Refresh preview');
    bar.append(el('h2', {}, 'Edit panel'), refresh, discard, apply);
    top.append(previewBox, side);
    overlay.append(bar, top, queries);
    document.body.append(overlay);
    let preview = createPanelView(panel);
    const rerender = () => {
      preview.destroy();
      preview = createPanelView(panel);
      previewBox.replaceChildren(preview.root);
      void preview.refresh(ctx);
    };
    previewBox.append(preview.root);
    refresh.addEventListener('click', rerender);

    // Options: the title and description, the units, thresholds and mappings of a type that
    // shows query results, and the type's own fields.
    const typeSel = choice(PANEL_TYPES.map((t) => [t.type, t.label] as const), panel.type, (type) => {
      panel.type = type;
      renderSide();
      renderQueries();
      rerender();
    }, { 'data-testid': 'panel-type' });
    const renderSide = () => {
      side.replaceChildren();
      const title = el('input', { 'data-testid': 'panel-title-input', value: panel.title ?? '' });
      title.addEventListener('input', () => (panel.title = title.value));
      title.addEventListener('change', rerender);
      side.append(field('Visualization', typeSel), field('Title', title));
      const desc = el('input', { value: panel.description ?? '' });
      desc.addEventListener('change', () => (panel.description = desc.value));
      side.append(field('Description', desc));
      if (needsQueries(panel.type)) {
        const unit = choice(UNITS, d.unit ?? 'short', (v) => {
          d.unit = v;
          rerender();
        }, { 'data-testid': 'panel-unit' });
        const num = (key: string, label: string) => {
          const i = el('input', { type: 'number', value: d[key] ?? '', placeholder: 'auto' });
          i.addEventListener('change', () => {
            if (i.value === '') delete d[key];
            else d[key] = parseFloat(i.value);
            rerender();
          });
          return field(label, i);
        };
        const thr = el('input', { 'data-testid': 'panel-thresholds', value: stepsToText(d.thresholds?.steps ?? [{ value: null, color: 'green' }, { value: 80, color: 'red' }]) });
        thr.addEventListener('change', () => {
          d.thresholds = { mode: 'absolute', steps: textToSteps(thr.value) };
          rerender();
        });
        const maps = el('input', { 'data-testid': 'panel-mappings', value: mappingsToText(d.mappings), placeholder: '1=UP:green, 0=DOWN:red' });
        maps.addEventListener('change', () => {
          d.mappings = textToMappings(maps.value);
          rerender();
        });
        side.append(field('Unit', unit), num('min', 'Min'), num('max', 'Max'), num('decimals', 'Decimals'), field('Thresholds (value=color)', thr), field('Value mappings', maps));
      }
      side.append(...(panelType(panel.type)?.editor?.(panel, rerender) ?? []));
    };
    renderSide();

    // Queries
    const views: EditorView[] = [];
    const ds = resolveDatasource(ctx.settings, panel.datasource);
    const renderQueries = () => {
      views.splice(0).forEach((v) => v.destroy());
      queries.replaceChildren();
      if (!needsQueries(panel.type)) return;
      panel.targets!.forEach((t, i) => {
        const box = el('div', { class: 'query-row', 'data-testid': 'query-row' });
        const head = el('div', { class: 'query-head' });
        head.append(el('b', {}, t.refId ?? String.fromCharCode(65 + i)));
        const legend = el('input', { placeholder: 'Legend, e.g. {{instance}}', value: t.legendFormat ?? '', 'data-testid': 'query-legend' });
        legend.addEventListener('change', () => {
          t.legendFormat = legend.value || undefined;
          rerender();
        });
        const instant = el('input', { type: 'checkbox' });
        instant.checked = !!t.instant;
        instant.addEventListener('change', () => {
          t.instant = instant.checked;
          t.range = !instant.checked;
          rerender();
        });
        const il = el('label', { class: 'inline' });
        il.append(instant, document.createTextNode(' Instant'));
        const rm = el('button', { class: 'btn-icon', title: 'Remove query' }, '✕');
        rm.addEventListener('click', () => {
          panel.targets!.splice(i, 1);
          renderQueries();
          rerender();
        });
        head.append(legend, il, rm);
        const editorBox = el('div', { class: 'query-editor', 'data-testid': 'query-editor' });
        box.append(head, editorBox);
        queries.append(box);
        views.push(promqlEditor(editorBox, ds, t.expr ?? '', (s) => (t.expr = s), rerender));
        editorBox.addEventListener('focusout', () => rerender());
      });
      const add = el('button', { class: 'btn', 'data-testid': 'add-query' }, '+ Query');
      add.addEventListener('click', () => {
        const used = new Set(panel.targets!.map((t) => t.refId));
        let ref = 'A';
        for (let c = 65; used.has(ref); c++) ref = String.fromCharCode(c);
        panel.targets!.push({ refId: ref, expr: '', datasource: panel.datasource });
        renderQueries();
      });
      queries.append(add);
    };
    renderQueries();
    rerender();

    const close = (result: Panel | null) => {
      views.forEach((v) => v.destroy());
      preview.destroy();
      overlay.remove();
      resolve(result);
    };
    apply.addEventListener('click', () => close(panel));
    discard.addEventListener('click', () => close(null));
  });
}

export function openJsonEditor(title: string, value: any): Promise<any | null> {
  return new Promise((resolve) => {
    const box = el('div', { class: 'modal wide', 'data-testid': 'json-editor' });
    const ta = el('textarea', { class: 'json-text', spellcheck: 'false', 'data-testid': 'json-text' });
    ta.value = JSON.stringify(value, null, 2);
    const err = el('div', { class: 'form-error' });
    const ok = el('button', { class: 'btn primary', 'data-testid': 'json-apply' }, 'Apply');
    const cancel = el('button', { class: 'btn' }, 'Cancel');
    const buttons = el('div', { class: 'modal-buttons' });
    buttons.append(ok, cancel);
    box.append(el('h2', {}, title), ta, err, buttons);
    const hide = showModal(box);
    cancel.addEventListener('click', () => {
      hide();
      resolve(null);
    });
    ok.addEventListener('click', () => {
      try {
        const v = JSON.parse(ta.value);
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object');
        hide();
        resolve(v);
      } catch (e: any) {
        err.textContent = 'Invalid JSON: ' + e.message;
      }
    });
  });
}
