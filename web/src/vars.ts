// Dashboard variables (templating.list): query (label_values, query_result, metrics), custom,
// interval, constant, textbox and datasource, evaluated in order so later ones can use earlier.
import { promQuery, resolveDatasource, Settings } from './api';
import { builtins, interpolate, Scope, VarValue } from './interpolate';
import { formatDuration, parseDuration, ResolvedRange, calcInterval } from './time';

export interface VariableModel {
  name: string;
  type: string;
  label?: string;
  query?: any;
  definition?: string;
  datasource?: any;
  current?: { text?: any; value?: any };
  options?: { text: string; value: string; selected?: boolean }[];
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  regex?: string;
  sort?: number;
  hide?: number;
  auto?: boolean;
  auto_count?: number;
  auto_min?: string;
  [k: string]: any;
}

export interface VarState {
  model: VariableModel;
  options: string[];
  selected: string[];
  error?: string;
}

function queryText(v: VariableModel): string {
  if (typeof v.query === 'string') return v.query;
  if (v.query && typeof v.query === 'object') return v.query.query ?? '';
  return v.definition ?? '';
}

function applyRegex(values: string[], regex?: string): string[] {
  if (!regex) return values;
  const m = /^\/(.*)\/([gimsuy]*)$/.exec(regex);
  let re: RegExp;
  try {
    re = m ? new RegExp(m[1], m[2]) : new RegExp(regex);
  } catch {
    return values;
  }
  const out: string[] = [];
  for (const v of values) {
    re.lastIndex = 0;
    const r = re.exec(v);
    if (!r) continue;
    out.push(r.groups?.value ?? r.groups?.text ?? r[1] ?? r[0]);
  }
  return out;
}

function sortValues(values: string[], sort?: number): string[] {
  const uniq = [...new Set(values)];
  switch (sort) {
    case 1: return uniq.sort();
    case 2: return uniq.sort().reverse();
    case 3: return uniq.sort((a, b) => parseFloat(a) - parseFloat(b));
    case 4: return uniq.sort((a, b) => parseFloat(b) - parseFloat(a));
    case 5: return uniq.sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    case 6: return uniq.sort((a, b) => b.toLowerCase().localeCompare(a.toLowerCase()));
    default: return uniq;
  }
}

async function queryValues(v: VariableModel, settings: Settings, scope: Scope, range: ResolvedRange): Promise<string[]> {
  const ds = resolveDatasource(settings, v.datasource, (s) => interpolate(s, scope, false));
  if (!ds) throw new Error('no data source');
  const q = interpolate(queryText(v).trim(), scope);
  const start = String(Math.floor(range.from / 1000));
  const end = String(Math.ceil(range.to / 1000));
  let m: RegExpExecArray | null;
  if ((m = /^label_values\(\s*([a-zA-Z_][\w]*)\s*\)$/.exec(q))) {
    return promQuery(ds, `/api/v1/label/${encodeURIComponent(m[1])}/values`, { start, end });
  }
  if ((m = /^label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][\w]*)\s*\)$/.exec(q))) {
    return promQuery(ds, `/api/v1/label/${encodeURIComponent(m[2])}/values`, { 'match[]': m[1], start, end });
  }
  if ((m = /^metrics\(\s*(.*?)\s*\)$/.exec(q))) {
    const names: string[] = await promQuery(ds, '/api/v1/label/__name__/values', { start, end });
    const re = new RegExp(m[1] || '.*');
    return names.filter((n) => re.test(n));
  }
  if ((m = /^query_result\(\s*([\s\S]+)\s*\)$/.exec(q))) {
    const data = await promQuery(ds, '/api/v1/query', { query: m[1], time: end });
    if (data.resultType === 'scalar' || data.resultType === 'string') return [String(data.result[1])];
    return data.result.map((s: any) => {
      const { __name__, ...labels } = s.metric;
      const l = Object.entries(labels).map(([k, val]) => `${k}="${val}"`).join(', ');
      return `${__name__ ?? ''}{${l}} ${s.value[1]} ${s.value[0] * 1000}`;
    });
  }
  if (!q) return [];
  // A bare series selector lists the series, as Grafana does for non-function queries.
  const series: Record<string, string>[] = await promQuery(ds, '/api/v1/series', { 'match[]': q, start, end });
  return series.map((s) => {
    const { __name__, ...labels } = s;
    return `${__name__ ?? ''}{${Object.entries(labels).map(([k, val]) => `${k}="${val}"`).join(', ')}}`;
  });
}

function currentValues(v: VariableModel): string[] {
  const cur = v.current?.value;
  if (Array.isArray(cur)) return cur.map(String);
  if (cur === undefined || cur === null || cur === '') return [];
  return [String(cur)];
}

// Evaluates the variables in order. urlValues (var-NAME from the URL) win over saved values.
export async function loadVariables(models: VariableModel[], settings: Settings, range: ResolvedRange, urlValues: Record<string, string[]>, widthPx: number): Promise<VarState[]> {
  const states: VarState[] = [];
  const scope: Scope = { ...builtins(15000, range.to - range.from, 15000) };
  for (const model of models) {
    const st: VarState = { model, options: [], selected: [] };
    try {
      switch (model.type) {
        case 'custom':
          st.options = queryText(model).split(/(?<!\\),/).map((s) => s.trim().replace(/\\,/g, ',')).filter((s) => s !== '').map((s) => (s.includes(' : ') ? s.split(' : ')[1] : s));
          break;
        case 'interval': {
          st.options = queryText(model).split(',').map((s) => s.trim()).filter(Boolean);
          if (model.auto) st.options.unshift('$__auto_interval_' + model.name);
          break;
        }
        case 'constant':
        case 'textbox':
          st.options = [queryText(model)];
          break;
        case 'datasource':
          st.options = settings.datasources.filter((d) => !queryText(model) || d.type === queryText(model)).map((d) => d.name);
          break;
        case 'query':
          st.options = sortValues(applyRegex(await queryValues(model, settings, scope, range), model.regex), model.sort);
          break;
        default:
          st.options = currentValues(model);
      }
    } catch (e: any) {
      st.error = e.message ?? String(e);
    }
    if (model.includeAll && model.type !== 'constant') st.options.unshift('$__all');
    const wanted = urlValues[model.name] ?? currentValues(model);
    const valid = wanted.filter((w) => st.options.includes(w) || w === '$__all' && model.includeAll || model.type === 'textbox' || (model.allValue && w === model.allValue));
    st.selected = valid.length ? (model.multi ? valid : [valid[0]]) : st.options.length ? [st.options[0]] : [];
    if (model.type === 'textbox' && urlValues[model.name]) st.selected = urlValues[model.name];
    states.push(st);
    scope[model.name] = toVarValue(st, range, widthPx);
  }
  return states;
}

export function toVarValue(st: VarState, range: ResolvedRange, widthPx: number): VarValue {
  let values = st.selected;
  if (st.model.type === 'interval' && values[0]?.startsWith('$__auto_interval_')) {
    const iv = calcInterval(range.to - range.from, st.model.auto_count ?? 30, parseDuration(st.model.auto_min ?? '10s') ?? 10000);
    values = [formatDuration(iv)];
  }
  if (st.model.type === 'datasource') {
    values = values.map((v) => v);
  }
  void widthPx;
  return { values, options: st.options, allValue: st.model.allValue, multi: st.model.multi };
}

export function scopeOf(states: VarState[], range: ResolvedRange, widthPx: number): Scope {
  const scope: Scope = {};
  for (const st of states) scope[st.model.name] = toVarValue(st, range, widthPx);
  return scope;
}

// What the dashboard JSON keeps as the variable's current value.
export function saveCurrent(st: VarState) {
  const v = st.model.multi ? st.selected : st.selected[0] ?? '';
  const text = st.selected.map((s) => (s === '$__all' ? 'All' : s));
  st.model.current = { text: st.model.multi ? text : text[0] ?? '', value: v };
}
