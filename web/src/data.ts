// Runs a panel's Prometheus targets through the data source proxy and turns the answers into
// frames (one per series) on a shared time grid.

import { promQuery, resolveDatasource, Settings, DatasourceInfo } from './api';
import { builtins, interpolate, Scope } from './interpolate';
import { calcInterval, parseDuration, ResolvedRange } from './time';

export interface Target {
  refId?: string;
  expr?: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  format?: string;
  hide?: boolean;
  interval?: string;
  datasource?: any;
}

export interface Panel {
  id: number;
  type: string;
  title?: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: any;
  targets?: Target[];
  fieldConfig?: { defaults?: any; overrides?: any[] };
  options?: any;
  interval?: string;
  maxDataPoints?: number;
  panels?: Panel[];
  collapsed?: boolean;
  [k: string]: any;
}

export interface Frame {
  refId: string;
  name: string;
  labels: Record<string, string>;
  values: (number | null)[];  // aligned with QueryResult.times
}

export interface QueryResult {
  times: number[];  // seconds
  frames: Frame[];
  instant: boolean;
  intervalMs: number;
  error?: string;
  queries: string[];  // the interpolated expressions, for the UI and tests
}

export interface QueryContext {
  settings: Settings;
  range: ResolvedRange;
  scope: Scope;
  widthPx: number;
}

export function seriesName(metric: Record<string, string>, legend?: string): string {
  if (legend && legend !== '__auto') {
    return legend.replace(/\{\{\s*(.+?)\s*\}\}/g, (_, l) => metric[l] ?? '');
  }
  const { __name__, ...rest } = metric;
  const labels = Object.entries(rest).map(([k, v]) => `${k}="${v}"`).join(', ');
  if (!__name__ && !labels) return 'Value';
  return (__name__ ?? '') + (labels ? `{${labels}}` : '');
}

function parseSample(v: string): number | null {
  const n = parseFloat(v);
  return isNaN(n) && v !== 'NaN' ? null : n;
}

export function panelInterval(panel: Panel, ds: DatasourceInfo | undefined, ctx: QueryContext): number {
  const scrape = parseDuration(ds?.jsonData?.timeInterval ?? '') ?? 15000;
  const minIv = parseDuration(interpolate(panel.interval ?? '', ctx.scope, false)) ?? scrape;
  const maxPoints = panel.maxDataPoints ?? Math.max(100, Math.round(ctx.widthPx));
  return calcInterval(ctx.range.to - ctx.range.from, maxPoints, minIv);
}

// The targets that are queried: shown and with an expression.
export function activeTargets(panel: Panel): Target[] {
  return (panel.targets ?? []).filter((t) => !t.hide && t.expr && t.expr.trim());
}

// forceInstant: the panel's type asks for one sample per series (PanelType.instant).
export async function runQueries(panel: Panel, ctx: QueryContext, forceInstant = false): Promise<QueryResult> {
  const targets = activeTargets(panel);
  const scopeFor = (ds: DatasourceInfo | undefined) => {
    const iv = panelInterval(panel, ds, ctx);
    const scrape = parseDuration(ds?.jsonData?.timeInterval ?? '') ?? 15000;
    return { iv, scope: { ...ctx.scope, ...builtins(iv, ctx.range.to - ctx.range.from, scrape) } };
  };
  const defDs = resolveDatasource(ctx.settings, panel.datasource, (v) => interpolate(v, ctx.scope, false));
  const { iv } = scopeFor(defDs);
  const stepS = Math.max(1, Math.round(iv / 1000));
  const start = Math.floor(ctx.range.from / 1000 / stepS) * stepS;
  const end = Math.floor(ctx.range.to / 1000 / stepS) * stepS;
  const instantPanel = forceInstant || (targets.length > 0 && targets.every((t) => t.instant && !t.range));
  const result: QueryResult = { times: [], frames: [], instant: instantPanel, intervalMs: stepS * 1000, queries: [] };
  if (!instantPanel) {
    for (let t = start; t <= end; t += stepS) result.times.push(t);
  } else {
    result.times = [Math.floor(ctx.range.to / 1000)];
  }
  const index = new Map<number, number>();
  result.times.forEach((t, i) => index.set(t, i));
  const answers = await Promise.all(
    targets.map(async (t, i) => {
      const ds = resolveDatasource(ctx.settings, t.datasource ?? panel.datasource, (v) => interpolate(v, ctx.scope, false)) ?? defDs;
      if (!ds) throw new Error('no data source configured');
      const { scope } = scopeFor(ds);
      const expr = interpolate(t.expr!, scope);
      result.queries.push(expr);
      const refId = t.refId ?? String.fromCharCode(65 + i);
      if (instantPanel) {
        const data = await promQuery(ds, '/api/v1/query', { query: expr, time: String(ctx.range.to / 1000) });
        return { t, refId, data, expr };
      }
      const data = await promQuery(ds, '/api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(stepS) });
      return { t, refId, data, expr };
    }),
  ).catch((e: Error) => {
    result.error = e.message;
    return [];
  });
  for (const { t, refId, data, expr } of answers) {
    if (data.resultType === 'scalar' || data.resultType === 'string') {
      const v = parseSample(data.result[1]);
      result.frames.push({ refId, name: t.legendFormat || 'scalar', labels: {}, values: instantPanel ? [v] : result.times.map(() => v) });
      continue;
    }
    for (const s of data.result as { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[]) {
      const values: (number | null)[] = new Array(result.times.length).fill(null);
      if (instantPanel) {
        if (s.value) values[0] = parseSample(s.value[1]);
      } else if (s.values) {
        for (const [ts, v] of s.values) {
          const i = index.get(Math.round(ts));
          if (i !== undefined) values[i] = parseSample(v);
        }
      } else if (s.value) {
        values[values.length - 1] = parseSample(s.value[1]);
      }
      // A series without labels is named by its query, as Grafana does.
      const name = seriesName(s.metric, t.legendFormat);
      result.frames.push({ refId, name: name === 'Value' && !t.legendFormat ? expr : name, labels: s.metric, values });
    }
  }
  return result;
}

export type Reducer = 'lastNotNull' | 'last' | 'first' | 'firstNotNull' | 'mean' | 'max' | 'min' | 'sum' | 'count' | 'range' | 'delta';

export function reduce(values: (number | null)[], calc: string): number | null {
  const nn = values.filter((v): v is number => v !== null && !isNaN(v));
  switch (calc) {
    case 'last':
      return values.length ? values[values.length - 1] : null;
    case 'first':
      return values.length ? values[0] : null;
    case 'firstNotNull':
      return nn.length ? nn[0] : null;
    case 'mean':
      return nn.length ? nn.reduce((a, b) => a + b, 0) / nn.length : null;
    case 'max':
      return nn.length ? Math.max(...nn) : null;
    case 'min':
      return nn.length ? Math.min(...nn) : null;
    case 'sum':
      return nn.reduce((a, b) => a + b, 0);
    case 'count':
      return nn.length;
    case 'range':
      return nn.length ? Math.max(...nn) - Math.min(...nn) : null;
    case 'delta':
      return nn.length ? nn[nn.length - 1] - nn[0] : null;
    case 'lastNotNull':
    default:
      return nn.length ? nn[nn.length - 1] : null;
  }
}
