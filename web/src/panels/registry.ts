// The panel types the dashboards draw. A new type is its module (a PanelType) plus one line in
// PANEL_TYPES; the panel view, the editor and the query runner ask this registry.
import { alertList } from './alertlist';
import { PanelType } from './common';
import { barGauge, gauge, stat } from './stat';
import { table } from './table';
import { text } from './text';
import { timeseries } from './timeseries';

// In the order of the panel editor's type picker.
export const PANEL_TYPES: readonly PanelType[] = [
  timeseries,
  stat,
  gauge,
  barGauge,
  table,
  text,
  alertList,
];

const byId = new Map<string, PanelType>();
for (const t of PANEL_TYPES) for (const id of [t.type, ...(t.aliases ?? [])]) byId.set(id, t);

// The type that draws panels of this id (its own or an older alias); undefined: not supported.
export function panelType(id: string): PanelType | undefined {
  return byId.get(id);
}

// Grafana types we do not draw that have no queries either: querying for them would only cost
// requests. Other unsupported types run their queries (the panel shows what they asked).
const QUERYLESS_UNSUPPORTED = new Set(['row', 'dashlist', 'news']);

export function needsQueries(id: string): boolean {
  return panelType(id)?.needsQueries ?? !QUERYLESS_UNSUPPORTED.has(id);
}
