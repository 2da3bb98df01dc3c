// The dashboard JSON model (Grafana's documented shape) and what is made of it on load.
import { Panel } from '../data';
import { TimeRange } from '../time';
import { VariableModel } from '../vars';
import { CELL_H, MARGIN } from './layout';

export interface DashboardModel {
  id?: number | null;
  uid?: string;
  title: string;
  tags?: string[];
  panels: Panel[];
  time?: TimeRange;
  refresh?: string;
  templating?: { list: VariableModel[] };
  version?: number;
  schemaVersion?: number;
  timezone?: string;
  [k: string]: any;
}

// The "meta" of GET /api/dashboards/uid/:uid, the fields the page uses.
export interface DashboardMeta {
  canSave: boolean;
  provisioned: boolean;
  provisionedExternalId?: string;
  folderUid?: string;
}

export function emptyDashboard(): DashboardModel {
  // The fields of a new dashboard in Grafana's documented JSON model.
  return { id: null, uid: '', title: 'New dashboard', tags: [], timezone: 'browser', editable: true, graphTooltip: 0, panels: [], time: { from: 'now-6h', to: 'now' },
    timepicker: {}, templating: { list: [] }, annotations: { list: [] }, refresh: '', schemaVersion: 39, version: 0, links: [] };
}

// Dashboards older than schema 16 keep panels in rows[] with a 12-column span and a pixel
// height; Grafana migrates them to gridPos on load, and so do we.
export function migrateRows(dash: DashboardModel) {
  if (!Array.isArray(dash.rows) || (dash.panels && dash.panels.length)) return;
  const panels: Panel[] = [];
  let y = 0;
  let id = 1;
  for (const row of dash.rows) {
    const h = Math.max(2, Math.ceil((parseInt(String(row.height ?? 250), 10) || 250) / (CELL_H + MARGIN)));
    if (row.showTitle && row.title) panels.push({ id: 1000 + id++, type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y: y++, w: 24, h: 1 }, panels: [] });
    let x = 0;
    for (const p of row.panels ?? []) {
      const w = Math.min(24, Math.max(1, Math.round((p.span ?? 12) * 2)));
      if (x + w > 24) {
        x = 0;
        y += h;
      }
      panels.push({ ...p, id: p.id ?? id++, gridPos: { x, y, w, h } });
      x += w;
    }
    y += h;
  }
  dash.panels = panels;
  delete dash.rows;
}

// What the page relies on, for a loaded, imported or hand-edited model: panels on the grid
// (each with a gridPos) and a variables list.
export function normalize(dash: DashboardModel) {
  migrateRows(dash);
  dash.panels = dash.panels ?? [];
  dash.panels.forEach((p) => (p.gridPos = p.gridPos ?? { x: 0, y: 0, w: 12, h: 8 }));
  dash.templating = dash.templating ?? { list: [] };
}

// One more than the largest panel id, collapsed rows' panels included.
export function nextPanelId(panels: Panel[]): number {
  let max = 0;
  const walk = (ps: Panel[]) => ps.forEach((p) => {
    max = Math.max(max, p.id ?? 0);
    if (p.panels) walk(p.panels);
  });
  walk(panels);
  return max + 1;
}
