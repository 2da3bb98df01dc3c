// The dashboard page (/d/:uid, /dashboard/new): puts the toolbar, the variable bar and the grid
// together and owns what they share: the state, the refresh timer, kiosk and edit mode, and the
// panel editor. Each part is in its own module; this one only wires them.
import { settings } from '../api';
import { Panel } from '../data';
import { el } from '../panels/common';
import { Cleanup, navigate } from '../router';
import { parseDuration, resolveRange, TimeRange } from '../time';
import { VarState } from '../vars';
import { Grid, GridHost } from './grid';
import { compact } from './layout';
import { nextPanelId } from './model';
import { editJsonModel, exportJson, loadDashboard, saveDashboard, showVersions } from './persist';
import { DashboardState, initialState, kioskSearch, panelScope, variableScope, writeUrl } from './state';
import { Toolbar, ToolbarHost } from './toolbar';
import { evaluateVariables, selectValues, VariableBar } from './variables';

declare global {
  interface Window {
    __sremonLastRefreshMs?: number;  // how long the last refresh of all panels took, for tests
  }
}

export async function dashboardPage(root: HTMLElement, uid: string | null): Promise<Cleanup> {
  const cfg = await settings();
  const loaded = await loadDashboard(uid);
  // Navigation empties the app element: a root out of the document means the user went on
  // while the model loaded, and nothing of this page may touch the URL, title or timers.
  if (!root.isConnected) return () => {};
  if ('error' in loaded) {
    root.replaceChildren(el('div', { class: 'page-error', 'data-testid': 'page-error' }, loaded.error));
    return () => {};
  }
  const page = new DashboardPage(root, initialState(cfg, uid, loaded.dash, loaded.meta, new URLSearchParams(location.search)));
  try {
    await page.start();
  } catch (e) {
    page.destroy();
    throw e;
  }
  return () => page.destroy();
}

class DashboardPage implements GridHost, ToolbarHost {
  private readonly toolbar = new Toolbar(this);
  private readonly variables = new VariableBar((v, values) => void this.selectVariable(v, values));
  private readonly grid = new Grid(this);
  private timer: number | undefined;

  constructor(private readonly root: HTMLElement, readonly state: DashboardState) {
    root.replaceChildren(this.toolbar.el, this.variables.el, this.grid.el);
    root.classList.toggle('kiosk', state.kiosk);
    document.body.classList.toggle('kiosk', state.kiosk);
    window.addEventListener('keydown', this.onKey);
    window.addEventListener('beforeunload', this.beforeUnload);
  }

  async start() {
    document.title = this.state.dash.title + ' - sremon dashboards';
    this.toolbar.render();
    await this.reloadVariables();
    if (!this.root.isConnected) return;  // left while the variables loaded (see dashboardPage)
    writeUrl(this.state);
    this.grid.build();
    this.setTimer();
    await this.refresh();
  }

  destroy() {
    clearInterval(this.timer);
    window.removeEventListener('keydown', this.onKey);
    window.removeEventListener('beforeunload', this.beforeUnload);
    this.toolbar.destroy();
    this.grid.destroy();
    // The body's kiosk class is the router's to clear: it may already belong to the next page.
  }

  // Esc leaves kiosk mode.
  private readonly onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && this.state.kiosk) navigate(location.pathname + kioskSearch(new URLSearchParams(location.search), false));
  };

  private readonly beforeUnload = (e: BeforeUnloadEvent) => {
    if (this.state.dirty && this.state.editing) e.preventDefault();
  };

  async refresh() {
    const start = performance.now();
    const range = resolveRange(this.state.range);
    const onZoom = (from: number, to: number) => void this.setRange({ from: String(from), to: String(to) });
    await this.grid.refresh({ settings: this.state.settings, range, scope: panelScope(this.state, range, this.grid.widthPx()), onZoom });
    window.__sremonLastRefreshMs = performance.now() - start;
  }

  linkScope() {
    return variableScope(this.state, resolveRange(this.state.range), this.grid.widthPx());
  }

  async setRange(r: TimeRange) {
    this.state.range = r;
    writeUrl(this.state);
    this.toolbar.render();
    await this.reloadVariables();
    await this.refresh();
  }

  setRefresh(interval: string) {
    this.state.refresh = interval;
    writeUrl(this.state);
    this.setTimer();
  }

  setEditing(on: boolean) {
    this.state.editing = on;
    this.toolbar.render();
    this.grid.build();
    void this.refresh();
  }

  markDirty() {
    this.state.dirty = true;
    this.toolbar.render();
  }

  private setTimer() {
    clearInterval(this.timer);
    this.timer = undefined;
    const ms = this.state.refresh ? parseDuration(this.state.refresh) : null;
    if (ms && ms >= 1000) this.timer = window.setInterval(() => void this.refresh(), ms);
  }

  private async reloadVariables() {
    await evaluateVariables(this.state, this.grid.widthPx());
    this.variables.render(this.state.varStates);
  }

  private async selectVariable(v: VarState, values: string[]) {
    selectValues(this.state, v, values);
    await this.reloadVariables();
    this.toolbar.render();  // dashboard links may use the variables
    writeUrl(this.state);
    await this.refresh();
  }

  // A new panel goes on top, in the editor; discarding the editor drops it again.
  addPanel() {
    const dash = this.state.dash;
    const ds = { type: 'prometheus', uid: this.state.settings.defaultDatasource };
    const panel: Panel = {
      id: nextPanelId(dash.panels),
      type: 'timeseries',
      title: 'Panel title',
      gridPos: { x: 0, y: 0, w: 12, h: 8 },
      datasource: ds,
      targets: [{ refId: 'A', expr: '', datasource: { ...ds } }],
      fieldConfig: { defaults: {}, overrides: [] },
      options: {},
    };
    for (const p of dash.panels) p.gridPos.y += 8;
    dash.panels.unshift(panel);
    compact(dash.panels);
    void this.editPanel(panel, true);
  }

  addRow() {
    const dash = this.state.dash;
    for (const p of dash.panels) p.gridPos.y += 1;
    dash.panels.unshift({ id: nextPanelId(dash.panels), type: 'row', title: 'Row title', collapsed: false, gridPos: { x: 0, y: 0, w: 24, h: 1 }, panels: [] });
    this.markDirty();
    this.grid.build();
  }

  async editPanel(panel: Panel, isNew = false) {
    const { openPanelEditor } = await import('../editor');
    const range = resolveRange(this.state.range);
    const updated = await openPanelEditor(panel, { settings: this.state.settings, range, scope: panelScope(this.state, range, this.grid.widthPx()) });
    if (updated) {
      // In place: the panel object is the one in dash.panels.
      for (const k of Object.keys(panel)) delete panel[k];
      Object.assign(panel, updated);
      this.markDirty();
    } else if (isNew) {
      this.state.dash.panels = this.state.dash.panels.filter((p) => p !== panel);
    }
    this.grid.build();
    await this.refresh();
  }

  async openSettings() {
    if (!(await editJsonModel(this.state))) return;
    this.markDirty();
    await this.reloadVariables();
    this.grid.build();
    await this.refresh();
  }

  openVersions() {
    void showVersions(this.state.uid!, this.state.dash.version);
  }

  async save() {
    const url = await saveDashboard(this.state);
    if (url === null) return;
    if (!this.state.uid) navigate(url + location.search);  // the new dashboard's own URL
    else this.toolbar.render();
  }

  exportJson() {
    exportJson(this.state);
  }
}
