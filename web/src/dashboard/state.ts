// What the parts of an open dashboard page share, and its URL (from, to, refresh, var-NAME and
// kiosk, as Grafana's).
import { Settings } from '../api';
import { builtins, Scope } from '../interpolate';
import { ResolvedRange, TimeRange } from '../time';
import { scopeOf, VarState } from '../vars';
import { DashboardMeta, DashboardModel } from './model';

export interface DashboardState {
  readonly settings: Settings;
  readonly uid: string | null;  // null: a new dashboard, not saved yet
  readonly kiosk: boolean;
  dash: DashboardModel;
  meta: DashboardMeta;
  editing: boolean;
  dirty: boolean;  // changed since loaded or saved
  range: TimeRange;
  refresh: string;  // the auto-refresh interval, '' for off
  urlVars: Record<string, string[]>;  // the selections the variables get when next evaluated
  varStates: VarState[];
}

// The URL's values win over the model's. A new dashboard opens in edit mode, unsaved.
export function initialState(settings: Settings, uid: string | null, dash: DashboardModel, meta: DashboardMeta, params: URLSearchParams): DashboardState {
  const urlVars: Record<string, string[]> = {};
  for (const [k, v] of params) if (k.startsWith('var-')) (urlVars[k.slice(4)] ??= []).push(v);
  return {
    settings,
    uid,
    kiosk: params.has('kiosk'),
    dash,
    meta,
    editing: !uid,
    dirty: !uid,
    range: { from: params.get('from') ?? dash.time?.from ?? 'now-6h', to: params.get('to') ?? dash.time?.to ?? 'now' },
    refresh: params.get('refresh') ?? dash.refresh ?? '',
    urlVars,
    varStates: [],
  };
}

// The query string of params with Grafana's bare `kiosk` flag set or cleared.
export function kioskSearch(params: URLSearchParams, on: boolean): string {
  if (on) params.set('kiosk', '');
  else params.delete('kiosk');
  return '?' + params.toString().replace(/(^|&)kiosk=(?=&|$)/, '$1kiosk');
}

// Puts the state in the address bar (replacing the entry: every change would be too many).
export function writeUrl(st: DashboardState) {
  const p = new URLSearchParams();
  p.set('from', st.range.from);
  p.set('to', st.range.to);
  if (st.refresh) p.set('refresh', st.refresh);
  for (const v of st.varStates) for (const value of v.selected) p.append('var-' + v.model.name, value);
  const path = st.uid ? location.pathname : '/dashboard/new';
  history.replaceState(null, '', path + kioskSearch(p, st.kiosk));
}

// The dashboard's variables (for its links).
export function variableScope(st: DashboardState, range: ResolvedRange, widthPx: number): Scope {
  return scopeOf(st.varStates, range, widthPx);
}

// What a panel's texts and queries see: the built-in variables ($__interval, $__range...) and
// the dashboard's.
export function panelScope(st: DashboardState, range: ResolvedRange, widthPx: number): Scope {
  return { ...builtins(15000, range.to - range.from, 15000), ...variableScope(st, range, widthPx) };
}
