// The dashboard and the server: load, save (asking before overwriting a newer version),
// versions and restore, export as a file, and the JSON model editor.
import { api, ApiError } from '../api';
import { prompt2, showModal, toast } from '../dialogs';
import { el } from '../panels/common';
import { navigate } from '../router';
import { saveCurrent } from '../vars';
import { DashboardMeta, DashboardModel, emptyDashboard, normalize } from './model';
import { DashboardState } from './state';

// The saved dashboard uid, or for a new one (uid null) the one the import page left in
// sessionStorage or an empty one. The error is for the page to show.
export async function loadDashboard(uid: string | null): Promise<{ dash: DashboardModel; meta: DashboardMeta } | { error: string }> {
  let dash: DashboardModel;
  let meta: DashboardMeta = { canSave: true, provisioned: false };
  if (uid) {
    try {
      const r = await api<{ dashboard: DashboardModel; meta: DashboardMeta }>('GET', `/api/dashboards/uid/${encodeURIComponent(uid)}`);
      dash = r.dashboard;
      meta = r.meta;
    } catch (e: any) {
      return { error: e instanceof ApiError && e.status === 404 ? 'Dashboard not found' : e.message };
    }
  } else {
    const imported = sessionStorage.getItem('sremon-new-dashboard');
    sessionStorage.removeItem('sremon-new-dashboard');
    dash = imported ? JSON.parse(imported) : emptyDashboard();
  }
  normalize(dash);
  return { dash, meta };
}

// The model as saved and exported: the current time range, refresh and variable values.
export function modelForSave(st: DashboardState): DashboardModel {
  for (const v of st.varStates) saveCurrent(v);
  return { ...st.dash, time: { ...st.range }, refresh: st.refresh };
}

// Asks for a title and a change note and saves. Resolves with the dashboard's URL when saved.
export async function saveDashboard(st: DashboardState): Promise<string | null> {
  const form = await prompt2('Save dashboard', [
    ['title', 'Title', st.dash.title],
    ['message', 'Change note', ''],
  ]);
  if (!form) return null;
  st.dash.title = form.title || st.dash.title;
  const body = { dashboard: modelForSave(st), message: form.message, overwrite: false, folderUid: st.meta.folderUid ?? '' };
  type Saved = { id: number; uid: string; url: string; version: number };
  try {
    let r: Saved;
    try {
      r = await api<Saved>('POST', '/api/dashboards/db', body);
    } catch (e: any) {
      if (e instanceof ApiError && e.status === 412 && confirm(`${e.message}. Save anyway (overwrite)?`)) {
        r = await api<Saved>('POST', '/api/dashboards/db', { ...body, overwrite: true });
      } else throw e;
    }
    st.dash.version = r.version;
    st.dash.id = r.id;
    st.dash.uid = r.uid;
    st.dirty = false;
    toast('Dashboard saved');
    return r.url;
  } catch (e: any) {
    toast('Save failed: ' + e.message, true);
    return null;
  }
}

// The saved versions of the dashboard; restoring one reloads the page.
export async function showVersions(uid: string, currentVersion: number | undefined) {
  const list: { version: number; created: string; createdBy: string; message: string }[] = await api('GET', `/api/dashboards/uid/${encodeURIComponent(uid)}/versions`);
  const box = el('div', { class: 'modal', 'data-testid': 'versions' });
  box.append(el('h2', {}, 'Versions'));
  const table = el('table', { class: 'data-table' });
  const close = el('button', { class: 'btn' }, 'Close');
  box.append(table, close);
  const hide = showModal(box);
  close.addEventListener('click', hide);
  for (const v of list) {
    const tr = el('tr');
    tr.append(el('td', {}, 'v' + v.version), el('td', {}, new Date(v.created).toLocaleString()), el('td', {}, v.createdBy), el('td', {}, v.message));
    const td = el('td');
    if (v.version !== currentVersion) {
      const b = el('button', { class: 'btn' }, 'Restore');
      b.addEventListener('click', async () => {
        try {
          await api('POST', `/api/dashboards/uid/${encodeURIComponent(uid)}/restore`, { version: v.version });
          hide();
          navigate(location.pathname + location.search, true);
        } catch (e: any) {
          toast('Restore failed: ' + e.message, true);
        }
      });
      td.append(b);
    } else td.textContent = 'current';
    tr.append(td);
    table.append(tr);
  }
}

export function exportJson(st: DashboardState) {
  const blob = new Blob([JSON.stringify(modelForSave(st), null, 2)], { type: 'application/json' });
  const a = el('a', { href: URL.createObjectURL(blob), download: (st.dash.title || 'dashboard') + '.json' });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// The JSON model in an editor; resolves true when the user applied a new model to st.dash.
export async function editJsonModel(st: DashboardState): Promise<boolean> {
  const { openJsonEditor } = await import('../editor');
  const updated: DashboardModel | null = await openJsonEditor('Dashboard JSON model', modelForSave(st));
  if (!updated) return false;
  normalize(updated);
  st.dash = updated;
  return true;
}
