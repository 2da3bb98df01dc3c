// Alert list panel: firing and pending alerts of the rules service and of Alertmanager.
import { api } from '../api';
import { Panel } from '../data';
import { el, PanelType } from './common';

interface AlertRow {
  name: string;
  state: string;
  since?: string;
  summary?: string;
  source: string;
}

export async function renderAlertList(container: HTMLElement, panel: Panel): Promise<() => void> {
  const rows: AlertRow[] = [];
  const errors: string[] = [];
  const filter = panel.options?.stateFilter ?? {};
  const want = (state: string) => {
    const any = Object.values(filter).some(Boolean);
    if (!any) return state === 'firing' || state === 'pending' || state === 'active';
    return (state === 'firing' && filter.firing) || (state === 'pending' && filter.pending) || (state === 'active' && (filter.firing || filter.active)) || (state === 'inactive' && filter.normal);
  };
  await Promise.all([
    api<any>('GET', '/api/sremon/rules/api/v1/alerts', undefined, { noRedirect: true })
      .then((r) => {
        for (const a of r?.data?.alerts ?? []) {
          rows.push({ name: a.labels?.alertname ?? a.name ?? '?', state: a.state, since: a.activeAt, summary: a.annotations?.summary, source: 'rules' });
        }
      })
      .catch((e) => errors.push('rules: ' + e.message)),
    api<any>('GET', '/api/sremon/alertmanager/api/v2/alerts', undefined, { noRedirect: true })
      .then((r) => {
        for (const a of Array.isArray(r) ? r : []) {
          rows.push({ name: a.labels?.alertname ?? '?', state: a.status?.state === 'active' ? 'firing' : a.status?.state ?? 'firing', since: a.startsAt, summary: a.annotations?.summary, source: 'alertmanager' });
        }
      })
      .catch((e) => errors.push('alertmanager: ' + e.message)),
  ]);
  const shown = rows.filter((r) => want(r.state)).slice(0, panel.options?.maxItems ?? 20);
  const list = el('div', { class: 'alert-list', 'data-testid': 'alert-list' });
  if (!shown.length) list.append(el('div', { class: 'panel-nodata' }, errors.length === 2 ? 'Alert sources unreachable' : 'No alerts'));
  for (const r of shown) {
    const row = el('div', { class: 'alert-row state-' + r.state });
    row.append(el('span', { class: 'alert-state' }, r.state.toUpperCase()), el('span', { class: 'alert-name' }, r.name));
    if (r.summary) row.append(el('span', { class: 'alert-summary' }, r.summary));
    if (r.since) row.append(el('span', { class: 'alert-since' }, new Date(r.since).toLocaleString()));
    row.append(el('span', { class: 'alert-source' }, r.source));
    list.append(row);
  }
  if (errors.length && errors.length < 2) list.append(el('div', { class: 'alert-errors' }, errors.join('; ')));
  container.append(list);
  container.dataset.rendered = 'alertlist';
  return () => {};
}

export const alertList: PanelType = {
  type: 'alertlist',
  label: 'Alert list',
  needsQueries: false,
  render: (body, panel) => renderAlertList(body, panel),
};
