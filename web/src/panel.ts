// Renders one panel (header, state, body) with the data of its queries.
import { Settings } from './api';
import { Panel, QueryContext, QueryResult, runQueries } from './data';
import { interpolate, Scope } from './interpolate';
import { el, linkNodes } from './panels/common';
import { renderAlertList, renderTable, renderText } from './panels/other';
import { renderBarGauge, renderGauge, renderStat } from './panels/stat';
import { renderTimeseries } from './panels/timeseries';
import { ResolvedRange } from './time';

export const PANEL_TYPES: [string, string][] = [
  ['timeseries', 'Time series'], ['stat', 'Stat'], ['gauge', 'Gauge'], ['bargauge', 'Bar gauge'],
  ['table', 'Table'], ['text', 'Text'], ['alertlist', 'Alert list'],
];

const NO_QUERY_TYPES = new Set(['text', 'alertlist', 'row', 'dashlist', 'news']);

export interface PanelView {
  root: HTMLElement;
  body: HTMLElement;
  refresh(ctx: { settings: Settings; range: ResolvedRange; scope: Scope; onZoom?: (from: number, to: number) => void }): Promise<void>;
  destroy(): void;
  lastResult?: QueryResult;
}

export function createPanelView(panel: Panel, header: HTMLElement | null = null): PanelView {
  const root = el('div', { class: 'panel', 'data-testid': 'panel', 'data-panel-id': String(panel.id) });
  const head = header ?? el('div', { class: 'panel-header' });
  const title = el('div', { class: 'panel-title', 'data-testid': 'panel-title' });
  const status = el('span', { class: 'panel-status' });
  const links = el('span', { class: 'panel-links' });
  head.prepend(title, links, status);
  const body = el('div', { class: 'panel-body' });
  root.append(head, body);
  let cleanup: () => void = () => {};
  let generation = 0;
  const view: PanelView = {
    root,
    body,
    async refresh(ctx) {
      const gen = ++generation;
      const interp = (s: string) => interpolate(s, ctx.scope, false);
      title.textContent = interp(panel.title ?? '');
      if (panel.description) title.title = interp(String(panel.description));
      links.replaceChildren(...linkNodes(panel.links, interp));
      root.dataset.state = 'loading';
      status.textContent = '';
      status.className = 'panel-status loading';
      let result: QueryResult | undefined;
      let error: string | undefined;
      try {
        if (!NO_QUERY_TYPES.has(panel.type)) {
          const qctx: QueryContext = { settings: ctx.settings, range: ctx.range, scope: ctx.scope, widthPx: body.clientWidth || 600 };
          result = await runQueries(panel, qctx, panel.type === 'table' && !(panel.targets ?? []).some((t) => t.range));
          error = result.error;
          view.lastResult = result;
          root.dataset.queries = JSON.stringify(result.queries);
        }
      } catch (e: any) {
        error = e.message ?? String(e);
      }
      if (gen !== generation) return;
      cleanup();
      body.replaceChildren();
      root.dataset.rendered = '';
      status.className = 'panel-status';
      if (error) {
        status.className = 'panel-status error';
        status.textContent = '!';
        status.title = error;
        body.append(el('div', { class: 'panel-error', 'data-testid': 'panel-error' }, error));
        root.dataset.state = 'error';
        cleanup = () => {};
        return;
      }
      try {
        cleanup = await renderBody(body, panel, result, interp, ctx.onZoom);
        root.dataset.state = body.querySelector('.panel-nodata') ? 'nodata' : 'done';
      } catch (e: any) {
        body.replaceChildren(el('div', { class: 'panel-error', 'data-testid': 'panel-error' }, 'render failed: ' + (e.message ?? e)));
        root.dataset.state = 'error';
      }
    },
    destroy() {
      generation++;
      cleanup();
      root.remove();
    },
  };
  return view;
}

async function renderBody(body: HTMLElement, panel: Panel, result: QueryResult | undefined, interp: (s: string) => string, onZoom?: (from: number, to: number) => void): Promise<() => void> {
  const r = result ?? { times: [], frames: [], instant: false, intervalMs: 0, queries: [] };
  switch (panel.type) {
    case 'timeseries':
    case 'graph':
      return renderTimeseries(body, panel, r, onZoom);
    case 'stat':
    case 'singlestat':
      return renderStat(body, panel, r);
    case 'gauge':
      return renderGauge(body, panel, r);
    case 'bargauge':
      return renderBarGauge(body, panel, r);
    case 'table':
    case 'table-old':
      return renderTable(body, panel, r);
    case 'text':
      return renderText(body, panel, interp);
    case 'alertlist':
      return renderAlertList(body, panel);
    default:
      body.append(el('div', { class: 'panel-error' }, `Panel type "${panel.type}" is not supported`));
      return () => {};
  }
}
