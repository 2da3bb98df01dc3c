// Renders one panel (header, state, body) with the data of its queries.
import { Settings } from './api';
import { Panel, QueryContext, QueryResult, runQueries } from './data';
import { interpolate, Scope } from './interpolate';
import { el, linkNodes } from './panels/common';
import { needsQueries, panelType } from './panels/registry';
import { ResolvedRange } from './time';

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
        if (needsQueries(panel.type)) {
          const qctx: QueryContext = { settings: ctx.settings, range: ctx.range, scope: ctx.scope, widthPx: body.clientWidth || 600 };
          result = await runQueries(panel, qctx, panelType(panel.type)?.instant?.(panel) ?? false);
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

async function renderBody(body: HTMLElement, panel: Panel, result: QueryResult | undefined, interpolate: (s: string) => string, onZoom?: (from: number, to: number) => void): Promise<() => void> {
  const type = panelType(panel.type);
  if (!type) {
    body.append(el('div', { class: 'panel-error' }, `Panel type "${panel.type}" is not supported`));
    return () => {};
  }
  return type.render(body, panel, { result: result ?? { times: [], frames: [], instant: false, intervalMs: 0, queries: [] }, interpolate, onZoom });
}
