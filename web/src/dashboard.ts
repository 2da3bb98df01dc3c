// The dashboard page: toolbar (time range, refresh, variables), panels laid out on Grafana's
// 24-column grid by gridPos, URL state, kiosk mode, and edit mode (add, edit, move, resize,
// remove panels; settings; save with versions; export).
import { api, ApiError, settings, Settings } from './api';
import { Panel } from './data';
import { createPanelView, PanelView } from './panel';
import { el, linkNodes } from './panels/common';
import { describeRange, formatDateTime, parseTime, REFRESH_INTERVALS, RELATIVE_RANGES, resolveRange, TimeRange, parseDuration } from './time';
import { loadVariables, saveCurrent, scopeOf, VarState } from './vars';
import { builtins, interpolate } from './interpolate';
import { navigate } from './router';

const CELL_H = 30;
const MARGIN = 8;

export interface DashboardModel {
  id?: number | null;
  uid?: string;
  title: string;
  tags?: string[];
  panels: Panel[];
  time?: TimeRange;
  refresh?: string;
  templating?: { list: any[] };
  version?: number;
  schemaVersion?: number;
  timezone?: string;
  [k: string]: any;
}

export function emptyDashboard(): DashboardModel {
  // The fields of a new dashboard in Grafana's documented JSON model.
  return { id: null, uid: '', title: 'New dashboard', tags: [], timezone: 'browser', editable: true, graphTooltip: 0, panels: [], time: { from: 'now-6h', to: 'now' },
    timepicker: {}, templating: { list: [] }, annotations: { list: [] }, refresh: '', schemaVersion: 39, version: 0, links: [] };
}

// Vertical compaction as Grafana's grid does: every panel moves up as far as it can.
// A pinned panel (the one being moved or resized) keeps its place and pushes the others down.
export function compact(panels: Panel[], pinned?: Panel) {
  const overlaps = (a: Panel['gridPos'], b: Panel['gridPos']) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  const pass = (order: Panel[], fixed?: Panel) => {
    const placed: Panel[] = [];
    for (const p of order) {
      const g = p.gridPos;
      g.w = Math.max(1, Math.min(24, g.w));
      g.x = Math.max(0, Math.min(24 - g.w, g.x));
      g.y = Math.max(0, g.y);
      if (p !== fixed) {
        while (g.y > 0 && !placed.some((q) => overlaps({ ...g, y: g.y - 1 }, q.gridPos))) g.y--;
        while (placed.some((q) => overlaps(g, q.gridPos))) g.y++;
      }
      placed.push(p);
    }
  };
  const byPos = (a: Panel, b: Panel) => a.gridPos.y - b.gridPos.y || a.gridPos.x - b.gridPos.x;
  if (pinned) pass([pinned, ...panels.filter((p) => p !== pinned).sort(byPos)], pinned);
  pass([...panels].sort(byPos));
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

function nextPanelId(panels: Panel[]): number {
  let max = 0;
  const walk = (ps: Panel[]) => ps.forEach((p) => {
    max = Math.max(max, p.id ?? 0);
    if (p.panels) walk(p.panels);
  });
  walk(panels);
  return max + 1;
}

export async function dashboardPage(root: HTMLElement, uid: string | null) {
  const cfg: Settings = await settings();
  let dash: DashboardModel;
  let meta: any = { canSave: true, provisioned: false };
  if (uid) {
    try {
      const r = await api<any>('GET', `/api/dashboards/uid/${encodeURIComponent(uid)}`);
      dash = r.dashboard;
      meta = r.meta;
    } catch (e: any) {
      root.replaceChildren(el('div', { class: 'page-error', 'data-testid': 'page-error' }, e instanceof ApiError && e.status === 404 ? 'Dashboard not found' : e.message));
      return;
    }
  } else {
    const imported = sessionStorage.getItem('sremon-new-dashboard');
    sessionStorage.removeItem('sremon-new-dashboard');
    dash = imported ? JSON.parse(imported) : emptyDashboard();
  }
  migrateRows(dash);
  dash.panels = dash.panels ?? [];
  dash.panels.forEach((p) => (p.gridPos = p.gridPos ?? { x: 0, y: 0, w: 12, h: 8 }));
  dash.templating = dash.templating ?? { list: [] };

  const params = new URLSearchParams(location.search);
  const kiosk = params.has('kiosk');
  let editing = !uid;
  let dirty = !uid;
  let range: TimeRange = { from: params.get('from') ?? dash.time?.from ?? 'now-6h', to: params.get('to') ?? dash.time?.to ?? 'now' };
  let refresh = params.get('refresh') ?? dash.refresh ?? '';
  const urlVars: Record<string, string[]> = {};
  for (const [k, v] of params) if (k.startsWith('var-')) (urlVars[k.slice(4)] ??= []).push(v);
  let varStates: VarState[] = [];
  let views: { panel: Panel; view: PanelView; wrapper: HTMLElement }[] = [];
  let timer: number | undefined;

  root.replaceChildren();
  root.classList.toggle('kiosk', kiosk);
  document.body.classList.toggle('kiosk', kiosk);
  const toolbar = el('div', { class: 'dash-toolbar' });
  const titleEl = el('h1', { class: 'dash-title', 'data-testid': 'dashboard-title' });
  const varBar = el('div', { class: 'var-bar', 'data-testid': 'var-bar' });
  const grid = el('div', { class: 'dash-grid', 'data-testid': 'dash-grid' });
  root.append(toolbar, varBar, grid);

  const syncUrl = () => {
    const p = new URLSearchParams();
    p.set('from', range.from);
    p.set('to', range.to);
    if (refresh) p.set('refresh', refresh);
    for (const st of varStates) for (const v of st.selected) p.append('var-' + st.model.name, v);
    if (kiosk) p.set('kiosk', '');
    const path = uid ? location.pathname : '/dashboard/new';
    history.replaceState(null, '', path + '?' + p.toString().replace(/kiosk=(&|$)/, 'kiosk$1'));
  };

  const widthPx = () => grid.clientWidth || 1200;

  const refreshAll = async () => {
    const start = performance.now();
    const resolved = resolveRange(range);
    const scope = { ...builtins(15000, resolved.to - resolved.from, 15000), ...scopeOf(varStates, resolved, widthPx()) };
    grid.dataset.state = 'loading';
    const onZoom = (from: number, to: number) => void setRange({ from: String(from), to: String(to) });
    await Promise.all(views.map((v) => v.view.refresh({ settings: cfg, range: resolved, scope, onZoom })));
    grid.dataset.state = 'done';
    (window as any).__sremonLastRefreshMs = performance.now() - start;
  };

  const reloadVariables = async () => {
    varStates = await loadVariables(dash.templating!.list, cfg, resolveRange(range), urlVars, widthPx());
    renderVarBar();
  };

  const renderVarBar = () => {
    varBar.replaceChildren();
    for (const st of varStates) {
      if (st.model.hide === 2) continue;
      const box = el('label', { class: 'var-item' });
      if (st.model.hide !== 1) box.append(el('span', { class: 'var-label' }, st.model.label || st.model.name));
      if (st.model.type === 'textbox') {
        const input = el('input', { 'data-testid': 'var-' + st.model.name, value: st.selected[0] ?? '' });
        input.addEventListener('change', () => onVarChange(st, [input.value]));
        box.append(input);
      } else {
        const sel = el('select', { 'data-testid': 'var-' + st.model.name });
        if (st.model.multi) sel.multiple = true;
        for (const o of st.options) {
          const opt = el('option', { value: o }, o === '$__all' ? 'All' : o);
          opt.selected = st.selected.includes(o);
          sel.append(opt);
        }
        sel.addEventListener('change', () => onVarChange(st, [...sel.selectedOptions].map((o) => o.value)));
        box.append(sel);
      }
      if (st.error) box.append(el('span', { class: 'var-error', title: st.error }, '!'));
      varBar.append(box);
    }
    varBar.style.display = varStates.some((s) => s.model.hide !== 2) ? '' : 'none';
  };

  const onVarChange = async (st: VarState, values: string[]) => {
    st.selected = values;
    urlVars[st.model.name] = values;
    // Variables after this one may depend on it.
    const idx = varStates.indexOf(st);
    for (const later of varStates.slice(idx + 1)) delete urlVars[later.model.name];
    for (const s of varStates) urlVars[s.model.name] = s.selected;
    varStates = await loadVariables(dash.templating!.list, cfg, resolveRange(range), urlVars, widthPx());
    renderVarBar();
    renderToolbar();  // dashboard links may use the variables
    syncUrl();
    await refreshAll();
  };

  const setTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    const ms = refresh ? parseDuration(refresh) : null;
    if (ms && ms >= 1000) timer = window.setInterval(() => void refreshAll(), ms);
  };

  // ---- layout ----
  const layout = () => {
    const colW = (grid.clientWidth + MARGIN) / 24;
    let maxBottom = 0;
    for (const { panel, wrapper } of views) {
      const g = panel.gridPos;
      wrapper.style.left = g.x * colW + 'px';
      wrapper.style.top = g.y * (CELL_H + MARGIN) + 'px';
      wrapper.style.width = g.w * colW - MARGIN + 'px';
      wrapper.style.height = g.h * (CELL_H + MARGIN) - MARGIN + 'px';
      maxBottom = Math.max(maxBottom, g.y + g.h);
    }
    grid.style.height = maxBottom * (CELL_H + MARGIN) + 'px';
  };

  const visiblePanels = (): Panel[] => {
    const out: Panel[] = [];
    for (const p of dash.panels) {
      out.push(p);
      if (p.type === 'row' && !p.collapsed && p.panels?.length) {
        // An expanded row keeps its panels at top level (Grafana moves them out on expand).
        dash.panels.push(...p.panels);
        p.panels = [];
      }
    }
    return out;
  };

  const buildPanels = () => {
    views.forEach((v) => v.view.destroy());
    views = [];
    grid.replaceChildren();
    for (const panel of visiblePanels()) {
      const wrapper = el('div', { class: 'panel-wrapper' });
      if (panel.type === 'row') {
        const row = el('div', { class: 'row-header' }, (panel.collapsed ? '▸ ' : '▾ ') + (panel.title ?? 'Row'));
        row.addEventListener('click', () => toggleRow(panel));
        wrapper.append(row);
        grid.append(wrapper);
        views.push({ panel, wrapper, view: { root: row, body: row, refresh: async () => {}, destroy: () => wrapper.remove() } });
        continue;
      }
      const header = el('div', { class: 'panel-header' });
      const menu = el('div', { class: 'panel-menu' });
      if (editing) {
        const edit = el('button', { class: 'btn-icon', 'data-testid': 'panel-edit', title: 'Edit' }, '✎');
        edit.addEventListener('click', (e) => {
          e.stopPropagation();
          void openEditor(panel);
        });
        const dup = el('button', { class: 'btn-icon', title: 'Duplicate' }, '⧉');
        dup.addEventListener('click', (e) => {
          e.stopPropagation();
          const copy: Panel = JSON.parse(JSON.stringify(panel));
          copy.id = nextPanelId(dash.panels);
          copy.gridPos = { ...panel.gridPos, y: panel.gridPos.y + panel.gridPos.h };
          dash.panels.push(copy);
          markDirty();
          compact(dash.panels);
          buildPanels();
          void refreshAll();
        });
        const rm = el('button', { class: 'btn-icon', 'data-testid': 'panel-remove', title: 'Remove' }, '✕');
        rm.addEventListener('click', (e) => {
          e.stopPropagation();
          dash.panels = dash.panels.filter((p) => p !== panel);
          markDirty();
          compact(dash.panels);
          buildPanels();
          void refreshAll();
        });
        menu.append(edit, dup, rm);
      } else {
        const view = el('button', { class: 'btn-icon', title: 'Explore' }, '⌕');
        view.addEventListener('click', () => {
          const t = panel.targets?.find((x) => x.expr);
          if (t) navigate('/explore?query=' + encodeURIComponent(t.expr!) + '&from=' + encodeURIComponent(range.from) + '&to=' + encodeURIComponent(range.to));
        });
        menu.append(view);
      }
      header.append(menu);
      const view = createPanelView(panel, header);
      wrapper.append(view.root);
      if (editing) attachDragResize(wrapper, header, panel);
      grid.append(wrapper);
      views.push({ panel, view, wrapper });
    }
    layout();
  };

  const toggleRow = (row: Panel) => {
    if (row.collapsed) {
      row.collapsed = false;
      const inner = row.panels ?? [];
      row.panels = [];
      const shift = inner.reduce((m, p) => Math.max(m, p.gridPos.h), 0);
      for (const p of dash.panels) if (p.gridPos.y > row.gridPos.y) p.gridPos.y += shift;
      dash.panels.push(...inner);
    } else {
      const idx = dash.panels.indexOf(row);
      const sorted = [...dash.panels].sort((a, b) => a.gridPos.y - b.gridPos.y);
      const inner: Panel[] = [];
      for (const p of sorted.slice(sorted.indexOf(row) + 1)) {
        if (p.type === 'row') break;
        inner.push(p);
      }
      void idx;
      row.collapsed = true;
      row.panels = inner;
      dash.panels = dash.panels.filter((p) => !inner.includes(p));
    }
    compact(dash.panels);
    buildPanels();
    void refreshAll();
  };

  const attachDragResize = (wrapper: HTMLElement, handle: HTMLElement, panel: Panel) => {
    wrapper.classList.add('editable');
    const resize = el('div', { class: 'resize-handle', 'data-testid': 'panel-resize' });
    wrapper.append(resize);
    const start = (e: PointerEvent, mode: 'move' | 'resize') => {
      if ((e.target as HTMLElement).closest('button')) return;
      e.preventDefault();
      const colW = (grid.clientWidth + MARGIN) / 24;
      const rowH = CELL_H + MARGIN;
      const g0 = { ...panel.gridPos };
      const x0 = e.clientX;
      const y0 = e.clientY;
      wrapper.classList.add('dragging');
      const move = (ev: PointerEvent) => {
        const dx = Math.round((ev.clientX - x0) / colW);
        const dy = Math.round((ev.clientY - y0) / rowH);
        if (mode === 'move') {
          panel.gridPos.x = Math.max(0, Math.min(24 - g0.w, g0.x + dx));
          panel.gridPos.y = Math.max(0, g0.y + dy);
        } else {
          panel.gridPos.w = Math.max(2, Math.min(24 - g0.x, g0.w + dx));
          panel.gridPos.h = Math.max(2, g0.h + dy);
        }
        layout();
      };
      const up = () => {
        window.removeEventListener('pointermove', move);
        window.removeEventListener('pointerup', up);
        wrapper.classList.remove('dragging');
        // Panels pushed down by the moved one make room, then everything floats up.
        compact(dash.panels, panel);
        markDirty();
        layout();
      };
      window.addEventListener('pointermove', move);
      window.addEventListener('pointerup', up);
    };
    handle.addEventListener('pointerdown', (e) => start(e, 'move'));
    resize.addEventListener('pointerdown', (e) => start(e, 'resize'));
  };

  // ---- editing ----
  const markDirty = () => {
    dirty = true;
    renderToolbar();
  };

  const openEditor = async (panel: Panel, isNew = false) => {
    const { openPanelEditor } = await import('./editor');
    const resolved = resolveRange(range);
    const scope = { ...builtins(15000, resolved.to - resolved.from, 15000), ...scopeOf(varStates, resolved, widthPx()) };
    const updated = await openPanelEditor(panel, { settings: cfg, range: resolved, scope });
    if (updated) {
      Object.keys(panel).forEach((k) => delete (panel as any)[k]);
      Object.assign(panel, updated);
      markDirty();
    } else if (isNew) {
      dash.panels = dash.panels.filter((p) => p !== panel);
    }
    buildPanels();
    await refreshAll();
  };

  const addPanel = () => {
    const panel: Panel = {
      id: nextPanelId(dash.panels),
      type: 'timeseries',
      title: 'Panel title',
      gridPos: { x: 0, y: 0, w: 12, h: 8 },
      datasource: { type: 'prometheus', uid: cfg.defaultDatasource },
      targets: [{ refId: 'A', expr: '', datasource: { type: 'prometheus', uid: cfg.defaultDatasource } }],
      fieldConfig: { defaults: {}, overrides: [] },
      options: {},
    };
    for (const p of dash.panels) p.gridPos.y += 8;
    dash.panels.unshift(panel);
    compact(dash.panels);
    void openEditor(panel, true);
  };

  const modelForSave = (): DashboardModel => {
    for (const st of varStates) saveCurrent(st);
    return { ...dash, time: { ...range }, refresh };
  };

  const save = async () => {
    const title = await prompt2('Save dashboard', [
      ['title', 'Title', dash.title],
      ['message', 'Change note', ''],
    ]);
    if (!title) return;
    dash.title = title.title || dash.title;
    const body = { dashboard: modelForSave(), message: title.message, overwrite: false, folderUid: meta.folderUid ?? '' };
    try {
      let r;
      try {
        r = await api<any>('POST', '/api/dashboards/db', body);
      } catch (e: any) {
        if (e instanceof ApiError && e.status === 412 && confirm(`${e.message}. Save anyway (overwrite)?`)) {
          r = await api<any>('POST', '/api/dashboards/db', { ...body, overwrite: true });
        } else throw e;
      }
      dash.version = r.version;
      dash.id = r.id;
      dash.uid = r.uid;
      dirty = false;
      toast('Dashboard saved');
      if (!uid) {
        navigate(r.url + location.search.replace(/^\?/, '?'));
        return;
      }
      renderToolbar();
    } catch (e: any) {
      toast('Save failed: ' + e.message, true);
    }
  };

  const settingsDialog = async () => {
    const { openJsonEditor } = await import('./editor');
    const updated = await openJsonEditor('Dashboard JSON model', modelForSave());
    if (updated) {
      Object.keys(dash).forEach((k) => delete dash[k]);
      Object.assign(dash, updated);
      dash.panels = dash.panels ?? [];
      dash.templating = dash.templating ?? { list: [] };
      markDirty();
      await reloadVariables();
      buildPanels();
      await refreshAll();
    }
  };

  const versionsDialog = async () => {
    const list: any[] = await api('GET', `/api/dashboards/uid/${encodeURIComponent(uid!)}/versions`);
    const overlay = el('div', { class: 'modal-overlay' });
    const box = el('div', { class: 'modal', 'data-testid': 'versions' });
    box.append(el('h2', {}, 'Versions'));
    const table = el('table', { class: 'data-table' });
    for (const v of list) {
      const tr = el('tr');
      tr.append(el('td', {}, 'v' + v.version), el('td', {}, new Date(v.created).toLocaleString()), el('td', {}, v.createdBy), el('td', {}, v.message));
      const td = el('td');
      if (v.version !== dash.version) {
        const b = el('button', { class: 'btn' }, 'Restore');
        b.addEventListener('click', async () => {
          try {
            await api('POST', `/api/dashboards/uid/${encodeURIComponent(uid!)}/restore`, { version: v.version });
            overlay.remove();
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
    const close = el('button', { class: 'btn' }, 'Close');
    close.addEventListener('click', () => overlay.remove());
    box.append(table, close);
    overlay.append(box);
    document.body.append(overlay);
  };

  const exportJson = () => {
    const blob = new Blob([JSON.stringify(modelForSave(), null, 2)], { type: 'application/json' });
    const a = el('a', { href: URL.createObjectURL(blob), download: (dash.title || 'dashboard') + '.json' });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };

  // ---- toolbar ----
  const renderToolbar = () => {
    toolbar.replaceChildren();
    titleEl.textContent = dash.title + (dirty ? ' *' : '');
    const left = el('div', { class: 'toolbar-left' });
    left.append(titleEl);
    if (meta.provisioned) left.append(el('span', { class: 'badge', title: 'provisioned from ' + (meta.provisionedExternalId ?? 'a file') }, 'provisioned'));
    const scope = scopeOf(varStates, resolveRange(range), widthPx());
    left.append(...linkNodes(dash.links, (s) => interpolate(s, scope, false)));
    const right = el('div', { class: 'toolbar-right' });
    // Time picker: presets plus absolute from/to.
    const picker = el('div', { class: 'time-picker' });
    const btn = el('button', { class: 'btn', 'data-testid': 'time-picker' }, describeRange(range));
    const pop = el('div', { class: 'time-popover', 'data-testid': 'time-popover' });
    pop.style.display = 'none';
    const abs = el('form', { class: 'time-abs' });
    const fromIn = el('input', { name: 'from', 'data-testid': 'time-from', value: /^\d+$/.test(range.from) ? formatDateTime(+range.from) : range.from });
    const toIn = el('input', { name: 'to', 'data-testid': 'time-to', value: /^\d+$/.test(range.to) ? formatDateTime(+range.to) : range.to });
    const apply = el('button', { class: 'btn primary', type: 'submit', 'data-testid': 'time-apply' }, 'Apply time range');
    abs.append(el('div', {}, 'Absolute time range'), el('label', {}, 'From'), fromIn, el('label', {}, 'To'), toIn, apply);
    abs.addEventListener('submit', (e) => {
      e.preventDefault();
      const conv = (s: string) => (s.startsWith('now') ? s : String(parseTime(s.replace(' ', 'T'), Date.now()) ?? s));
      const f = conv(fromIn.value.trim());
      const t = conv(toIn.value.trim());
      if (parseTime(f, Date.now()) === null || parseTime(t, Date.now()) === null) {
        toast('Invalid time range', true);
        return;
      }
      setRange({ from: f, to: t });
    });
    const presets = el('div', { class: 'time-presets' });
    for (const r of RELATIVE_RANGES) {
      const b = el('button', { class: 'link', type: 'button' }, r.label);
      b.addEventListener('click', () => setRange({ from: r.from, to: r.to }));
      presets.append(b);
    }
    pop.append(abs, presets);
    btn.addEventListener('click', (e) => {
      e.stopPropagation();
      pop.style.display = pop.style.display === 'none' ? '' : 'none';
    });
    pop.addEventListener('click', (e) => e.stopPropagation());
    picker.append(btn, pop);
    const zoomOut = el('button', { class: 'btn', title: 'Zoom out' }, '−');
    zoomOut.addEventListener('click', () => {
      const r = resolveRange(range);
      const span = r.to - r.from;
      setRange({ from: String(Math.round(r.from - span / 2)), to: String(Math.round(Math.min(Date.now(), r.to + span / 2))) });
    });
    const refreshBtn = el('button', { class: 'btn', 'data-testid': 'refresh', title: 'Refresh' }, '⟳');
    refreshBtn.addEventListener('click', () => void refreshAll());
    const refreshSel = el('select', { class: 'refresh-select', 'data-testid': 'refresh-interval' });
    for (const r of REFRESH_INTERVALS) {
      const o = el('option', { value: r }, r || 'Off');
      o.selected = r === refresh;
      refreshSel.append(o);
    }
    refreshSel.addEventListener('change', () => {
      refresh = refreshSel.value;
      syncUrl();
      setTimer();
    });
    right.append(picker, zoomOut, refreshBtn, refreshSel);
    if (editing) {
      const add = el('button', { class: 'btn', 'data-testid': 'add-panel' }, '+ Add panel');
      add.addEventListener('click', addPanel);
      const addRow = el('button', { class: 'btn' }, '+ Row');
      addRow.addEventListener('click', () => {
        for (const p of dash.panels) p.gridPos.y += 1;
        dash.panels.unshift({ id: nextPanelId(dash.panels), type: 'row', title: 'Row title', collapsed: false, gridPos: { x: 0, y: 0, w: 24, h: 1 }, panels: [] });
        markDirty();
        buildPanels();
      });
      const set = el('button', { class: 'btn', 'data-testid': 'dashboard-settings' }, 'Settings / JSON');
      set.addEventListener('click', () => void settingsDialog());
      const vers = el('button', { class: 'btn', 'data-testid': 'dashboard-versions' }, 'Versions');
      vers.addEventListener('click', () => void versionsDialog());
      if (uid) right.append(vers);
      const sv = el('button', { class: 'btn primary', 'data-testid': 'save-dashboard' }, 'Save');
      if (!meta.canSave) {
        sv.setAttribute('disabled', '');
        sv.title = 'This provisioned dashboard cannot be saved from the UI (allowUiUpdates is off)';
      }
      sv.addEventListener('click', () => void save());
      const done = el('button', { class: 'btn', 'data-testid': 'exit-edit' }, 'Exit edit');
      done.addEventListener('click', () => {
        editing = false;
        renderToolbar();
        buildPanels();
        void refreshAll();
      });
      right.append(add, addRow, set, sv, done);
    } else {
      const edit = el('button', { class: 'btn', 'data-testid': 'edit-dashboard' }, 'Edit');
      edit.addEventListener('click', () => {
        editing = true;
        renderToolbar();
        buildPanels();
        void refreshAll();
      });
      right.append(edit);
    }
    const exp = el('button', { class: 'btn', 'data-testid': 'export-dashboard' }, 'Export');
    exp.addEventListener('click', exportJson);
    const kioskBtn = el('button', { class: 'btn', title: 'Kiosk mode (Esc to leave)' }, 'Kiosk');
    kioskBtn.addEventListener('click', () => {
      const p = new URLSearchParams(location.search);
      p.set('kiosk', '');
      navigate(location.pathname + '?' + p.toString().replace(/kiosk=(&|$)/, 'kiosk$1'));
    });
    right.append(exp, kioskBtn);
    toolbar.append(left, right);
  };

  const setRange = async (r: TimeRange) => {
    range = r;
    syncUrl();
    renderToolbar();
    await reloadVariables();
    await refreshAll();
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && kiosk) {
      const p = new URLSearchParams(location.search);
      p.delete('kiosk');
      navigate(location.pathname + '?' + p.toString());
    }
  };
  window.addEventListener('keydown', onKey);
  const closePopovers = () => toolbar.querySelectorAll<HTMLElement>('.time-popover').forEach((p) => (p.style.display = 'none'));
  document.addEventListener('click', closePopovers);
  const ro = new ResizeObserver(() => layout());
  ro.observe(grid);
  const beforeUnload = (e: BeforeUnloadEvent) => {
    if (dirty && editing) e.preventDefault();
  };
  window.addEventListener('beforeunload', beforeUnload);
  (root as any).__cleanup = () => {
    if (timer) clearInterval(timer);
    window.removeEventListener('keydown', onKey);
    document.removeEventListener('click', closePopovers);
    window.removeEventListener('beforeunload', beforeUnload);
    ro.disconnect();
    views.forEach((v) => v.view.destroy());
    document.body.classList.remove('kiosk');
  };

  document.title = dash.title + ' - sremon dashboards';
  renderToolbar();
  await reloadVariables();
  syncUrl();
  buildPanels();
  setTimer();
  await refreshAll();
}

// A small modal form; resolves with the values or null when cancelled.
export function prompt2(title: string, fields: [string, string, string][]): Promise<Record<string, string> | null> {
  return new Promise((resolve) => {
    const overlay = el('div', { class: 'modal-overlay' });
    const form = el('form', { class: 'modal', 'data-testid': 'modal' });
    form.append(el('h2', {}, title));
    const inputs: Record<string, HTMLInputElement> = {};
    for (const [name, label, value] of fields) {
      const l = el('label', {}, label);
      const i = el('input', { name, 'data-testid': 'modal-' + name, value });
      inputs[name] = i;
      form.append(l, i);
    }
    const ok = el('button', { class: 'btn primary', type: 'submit', 'data-testid': 'modal-ok' }, 'Save');
    const cancel = el('button', { class: 'btn', type: 'button' }, 'Cancel');
    form.append(el('div', { class: 'modal-buttons' }));
    form.lastElementChild!.append(ok, cancel);
    overlay.append(form);
    document.body.append(overlay);
    inputs[fields[0][0]]?.focus();
    const close = (v: Record<string, string> | null) => {
      overlay.remove();
      resolve(v);
    };
    cancel.addEventListener('click', () => close(null));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const out: Record<string, string> = {};
      for (const [k, i] of Object.entries(inputs)) out[k] = i.value;
      close(out);
    });
  });
}

export function toast(message: string, error = false) {
  const t = el('div', { class: 'toast' + (error ? ' error' : ''), 'data-testid': 'toast' }, message);
  document.body.append(t);
  setTimeout(() => t.remove(), 4000);
}
