// Login (with the first-login password change), home (search, folders), import, explore.
import { api, ApiError, resolveDatasource, settings } from './api';
import { Panel } from './data';
import { createPanelView } from './panel';
import { el } from './panels/common';
import { Cleanup, navigate } from './router';
import { RELATIVE_RANGES, resolveRange } from './time';
import { builtins } from './interpolate';
import { toast } from './dialogs';

export function loginPage(root: HTMLElement) {
  document.title = 'Login - sremon dashboards';
  const params = new URLSearchParams(location.search);
  const redirect = params.get('redirectTo') ?? '/';
  const safeRedirect = redirect.startsWith('/') && !redirect.startsWith('//') ? redirect : '/';
  const box = el('div', { class: 'login-box' });
  box.append(el('h1', {}, 'Welcome to sremon dashboards'));
  const form = el('form', { class: 'login-form', 'data-testid': 'login-form' });
  const user = el('input', { name: 'user', autocomplete: 'username', placeholder: 'email or username', 'data-testid': 'login-user' });
  const pass = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', placeholder: 'password', 'data-testid': 'login-password' });
  const err = el('div', { class: 'form-error', 'data-testid': 'login-error' });
  const submit = el('button', { class: 'btn primary', type: 'submit', 'data-testid': 'login-submit' }, 'Log in');
  form.append(el('label', {}, 'Email or username'), user, el('label', {}, 'Password'), pass, err, submit);
  box.append(form);
  root.append(box);
  user.focus();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      const r = await api<any>('POST', '/login', { user: user.value, password: pass.value }, { noRedirect: true });
      if (r.needsPasswordChange) changePasswordForm(box, pass.value, safeRedirect);
      else navigate(safeRedirect, true);
    } catch (e: any) {
      err.textContent = e.message;
    }
  });
}

function changePasswordForm(box: HTMLElement, oldPassword: string, redirect: string) {
  box.replaceChildren(el('h1', {}, 'Update your password'));
  box.append(el('p', {}, 'You are using the default password. Choose a new one to keep your dashboards safe.'));
  const form = el('form', { class: 'login-form', 'data-testid': 'change-password-form' });
  const p1 = el('input', { type: 'password', autocomplete: 'new-password', 'data-testid': 'new-password' });
  const p2 = el('input', { type: 'password', autocomplete: 'new-password', 'data-testid': 'confirm-password' });
  const err = el('div', { class: 'form-error', 'data-testid': 'change-password-error' });
  const submit = el('button', { class: 'btn primary', type: 'submit', 'data-testid': 'change-password-submit' }, 'Submit');
  const skip = el('button', { class: 'btn', type: 'button', 'data-testid': 'change-password-skip' }, 'Skip');
  form.append(el('label', {}, 'New password'), p1, el('label', {}, 'Confirm new password'), p2, err, submit, skip);
  box.append(form);
  p1.focus();
  skip.addEventListener('click', () => navigate(redirect, true));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (p1.value !== p2.value) {
      err.textContent = 'Passwords must match';
      return;
    }
    try {
      await api('PUT', '/api/user/password', { oldPassword, newPassword: p1.value, confirmNew: p2.value });
      navigate(redirect, true);
    } catch (e: any) {
      err.textContent = e.message;
    }
  });
}

export function nav(root: HTMLElement, user?: any) {
  const bar = el('nav', { class: 'topnav' });
  const links: [string, string][] = [['/', 'Dashboards'], ['/dashboard/new', 'New dashboard'], ['/dashboard/import', 'Import'], ['/explore', 'Explore'], ['/profile/password', 'Change password']];
  bar.append(el('a', { href: '/', class: 'brand' }, 'sremon'));
  for (const [href, label] of links) bar.append(el('a', { href, 'data-testid': 'nav-' + label.toLowerCase().replace(/ /g, '-') }, label));
  const right = el('div', { class: 'nav-right' });
  if (user) right.append(el('span', { class: 'nav-user' }, user.login));
  const logout = el('a', { href: '/logout', 'data-testid': 'logout' }, 'Sign out');
  logout.addEventListener('click', (e) => {
    e.preventDefault();
    e.stopPropagation();
    location.href = '/logout';
  });
  right.append(logout);
  bar.append(right);
  root.append(bar);
}

export async function homePage(root: HTMLElement, folderUid?: string) {
  document.title = 'Dashboards - sremon dashboards';
  const page = el('div', { class: 'page' });
  root.append(page);
  page.append(el('h1', {}, 'Dashboards'));
  const tools = el('div', { class: 'home-tools' });
  const search = el('input', { type: 'search', placeholder: 'Search dashboards', 'data-testid': 'search' });
  const newFolder = el('button', { class: 'btn' }, 'New folder');
  const newDash = el('a', { href: '/dashboard/new', class: 'btn primary', 'data-testid': 'new-dashboard' }, 'New dashboard');
  tools.append(search, newFolder, newDash);
  const list = el('div', { class: 'dash-list', 'data-testid': 'dash-list' });
  page.append(tools, list);
  const load = async () => {
    const q = search.value.trim();
    const params = new URLSearchParams();
    if (q) params.set('query', q);
    const items: any[] = await api('GET', '/api/search?' + params.toString());
    const folders = items.filter((i) => i.type === 'dash-folder');
    const dashes = items.filter((i) => i.type === 'dash-db');
    list.replaceChildren();
    const groups = new Map<string, { title: string; items: any[] }>();
    groups.set('', { title: 'General', items: [] });
    for (const f of folders) groups.set(f.uid, { title: f.title, items: [] });
    for (const d of dashes) {
      const key = d.folderUid ?? '';
      if (!groups.has(key)) groups.set(key, { title: d.folderTitle ?? key, items: [] });
      groups.get(key)!.items.push(d);
    }
    for (const [uid, g] of groups) {
      if (folderUid !== undefined && uid !== folderUid) continue;
      if (!g.items.length && (q || uid === '')) continue;
      const sec = el('div', { class: 'folder', 'data-testid': 'folder' });
      sec.append(el('div', { class: 'folder-title' }, g.title));
      for (const d of g.items) {
        const row = el('a', { href: d.url, class: 'dash-row', 'data-testid': 'dash-link' });
        row.append(el('span', { class: 'dash-name' }, d.title));
        for (const t of d.tags ?? []) row.append(el('span', { class: 'tag' }, t));
        sec.append(row);
      }
      if (!g.items.length) sec.append(el('div', { class: 'muted' }, 'No dashboards in this folder'));
      list.append(sec);
    }
    if (!dashes.length) list.append(el('div', { class: 'muted', 'data-testid': 'no-dashboards' }, q ? 'No dashboards match' : 'No dashboards yet'));
  };
  let t: number | undefined;
  search.addEventListener('input', () => {
    clearTimeout(t);
    t = window.setTimeout(() => void load(), 150);
  });
  newFolder.addEventListener('click', async () => {
    const title = prompt('Folder name');
    if (!title) return;
    try {
      await api('POST', '/api/folders', { title });
      await load();
    } catch (e: any) {
      toast(e.message, true);
    }
  });
  await load();
}

export function importPage(root: HTMLElement) {
  document.title = 'Import - sremon dashboards';
  const page = el('div', { class: 'page' });
  page.append(el('h1', {}, 'Import dashboard'), el('p', {}, 'Paste a Grafana dashboard JSON model (exported dashboards with ${DS_...} inputs use the default data source).'));
  const file = el('input', { type: 'file', accept: '.json,application/json' });
  const ta = el('textarea', { class: 'json-text', 'data-testid': 'import-json', spellcheck: 'false' });
  const err = el('div', { class: 'form-error', 'data-testid': 'import-error' });
  const go = el('button', { class: 'btn primary', 'data-testid': 'import-submit' }, 'Import');
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (f) ta.value = await f.text();
  });
  go.addEventListener('click', async () => {
    err.textContent = '';
    let dash: any;
    try {
      dash = JSON.parse(ta.value);
      if (dash && dash.dashboard) dash = dash.dashboard;
      if (!dash || typeof dash !== 'object' || Array.isArray(dash)) throw new Error('expected a JSON object');
    } catch (e: any) {
      err.textContent = 'Invalid JSON: ' + e.message;
      return;
    }
    try {
      const inputs = (dash.__inputs ?? []).map((i: any) => ({ name: i.name, type: i.type, pluginId: i.pluginId, value: '' })).filter((i: any) => i.type !== 'datasource');
      const r = await api<any>('POST', '/api/dashboards/import', { dashboard: dash, overwrite: true, inputs, folderUid: '' });
      navigate(r.importedUrl);
    } catch (e: any) {
      err.textContent = e.message;
    }
  });
  page.append(file, ta, err, go);
  root.append(page);
}

export async function explorePage(root: HTMLElement): Promise<Cleanup> {
  document.title = 'Explore - sremon dashboards';
  const cfg = await settings();
  const params = new URLSearchParams(location.search);
  const page = el('div', { class: 'page explore' });
  const tools = el('div', { class: 'home-tools' });
  const dsSel = el('select', { 'data-testid': 'explore-datasource' });
  for (const d of cfg.datasources) {
    const o = el('option', { value: d.uid }, d.name);
    o.selected = d.uid === (params.get('ds') ?? cfg.defaultDatasource);
    dsSel.append(o);
  }
  const rangeSel = el('select', { 'data-testid': 'explore-range' });
  for (const r of RELATIVE_RANGES) {
    const o = el('option', { value: r.from }, r.label);
    o.selected = r.from === (params.get('from') ?? 'now-1h');
    rangeSel.append(o);
  }
  const run = el('button', { class: 'btn primary', 'data-testid': 'explore-run' }, 'Run query');
  tools.append(el('span', {}, 'Data source'), dsSel, rangeSel, run);
  const editorBox = el('div', { class: 'query-editor', 'data-testid': 'explore-editor' });
  const graph = el('div', { class: 'explore-graph' });
  const table = el('div', { class: 'explore-table' });
  page.append(el('h1', {}, 'Explore'), tools, editorBox, graph, table);
  root.append(page);
  let expr = params.get('query') ?? '';
  let views: { destroy(): void }[] = [];
  const exec = async () => {
    views.forEach((v) => v.destroy());
    views = [];
    graph.replaceChildren();
    table.replaceChildren();
    const p = new URLSearchParams({ query: expr, ds: dsSel.value, from: rangeSel.value });
    history.replaceState(null, '', '/explore?' + p.toString());
    if (!expr.trim()) return;
    const ds = resolveDatasource(cfg, dsSel.value)!;
    const mk = (type: string, h: number): Panel => ({ id: 1, type, title: type === 'table' ? 'Table' : 'Graph', gridPos: { x: 0, y: 0, w: 24, h }, datasource: { uid: ds.uid }, targets: [{ refId: 'A', expr, instant: type === 'table' }] });
    const range = resolveRange({ from: rangeSel.value, to: 'now' });
    const scope = builtins(15000, range.to - range.from, 15000);
    for (const [box, panel] of [[graph, mk('timeseries', 10)], [table, mk('table', 8)]] as [HTMLElement, Panel][]) {
      const v = createPanelView(panel);
      box.append(v.root);
      views.push(v);
      void v.refresh({ settings: cfg, range, scope });
    }
  };
  const { promqlEditor } = await import('./editor');
  if (!root.isConnected) return () => {};  // the user went on meanwhile (see dashboardPage)
  let editor = promqlEditor(editorBox, resolveDatasource(cfg, dsSel.value), expr, (s) => (expr = s), () => void exec());
  dsSel.addEventListener('change', () => {
    editor.destroy();
    editor = promqlEditor(editorBox, resolveDatasource(cfg, dsSel.value), expr, (s) => (expr = s), () => void exec());
    void exec();
  });
  rangeSel.addEventListener('change', () => void exec());
  run.addEventListener('click', () => void exec());
  const cleanup = () => {
    editor.destroy();
    views.forEach((v) => v.destroy());
  };
  try {
    await exec();
  } catch (e) {
    cleanup();
    throw e;
  }
  return cleanup;
}

export function passwordPage(root: HTMLElement) {
  const page = el('div', { class: 'page narrow' });
  const form = el('form', { class: 'login-form' });
  const old = el('input', { type: 'password', autocomplete: 'current-password' });
  const p1 = el('input', { type: 'password', autocomplete: 'new-password' });
  const p2 = el('input', { type: 'password', autocomplete: 'new-password' });
  const err = el('div', { class: 'form-error' });
  form.append(el('label', {}, 'Old password'), old, el('label', {}, 'New password'), p1, el('label', {}, 'Confirm password'), p2, err, el('button', { class: 'btn primary', type: 'submit' }, 'Change password'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (p1.value !== p2.value) {
      err.textContent = 'Passwords must match';
      return;
    }
    try {
      await api('PUT', '/api/user/password', { oldPassword: old.value, newPassword: p1.value, confirmNew: p2.value });
      toast('Password changed');
      navigate('/');
    } catch (e: any) {
      err.textContent = e instanceof ApiError ? e.message : String(e);
    }
  });
  page.append(el('h1', {}, 'Change password'), form);
  root.append(page);
}
