// The dashboard toolbar: title, links, the time picker, zoom out, refresh and its interval, and
// the buttons of view and edit mode.
import { toast } from '../dialogs';
import { Scope, interpolate } from '../interpolate';
import { choice, el, linkNodes } from '../panels/common';
import { navigate } from '../router';
import { describeRange, formatDateTime, parseTime, REFRESH_INTERVALS, RELATIVE_RANGES, resolveRange, TimeRange } from '../time';
import { DashboardState, kioskSearch } from './state';

// What the toolbar asks of its page.
export interface ToolbarHost {
  readonly state: DashboardState;
  linkScope(): Scope;
  setRange(r: TimeRange): void;
  setRefresh(interval: string): void;
  refresh(): void;
  setEditing(on: boolean): void;
  addPanel(): void;
  addRow(): void;
  openSettings(): void;
  openVersions(): void;
  save(): void;
  exportJson(): void;
}

export class Toolbar {
  readonly el = el('div', { class: 'dash-toolbar' });
  private readonly title = el('h1', { class: 'dash-title', 'data-testid': 'dashboard-title' });
  // A click anywhere else closes the time picker.
  private readonly closePopovers = () => this.el.querySelectorAll<HTMLElement>('.time-popover').forEach((p) => (p.style.display = 'none'));

  constructor(private readonly host: ToolbarHost) {
    document.addEventListener('click', this.closePopovers);
  }

  destroy() {
    document.removeEventListener('click', this.closePopovers);
  }

  // Draws the toolbar anew from the state (after any change it shows).
  render() {
    const { host } = this;
    const st = host.state;
    this.el.replaceChildren();
    this.title.textContent = st.dash.title + (st.dirty ? ' *' : '');
    const left = el('div', { class: 'toolbar-left' });
    left.append(this.title);
    if (st.meta.provisioned) left.append(el('span', { class: 'badge', title: 'provisioned from ' + (st.meta.provisionedExternalId ?? 'a file') }, 'provisioned'));
    const scope = host.linkScope();
    left.append(...linkNodes(st.dash.links, (s) => interpolate(s, scope, false)));
    const right = el('div', { class: 'toolbar-right' });
    const button = (attrs: Record<string, string>, label: string, onClick: () => void) => {
      const b = el('button', { class: 'btn', ...attrs }, label);
      b.addEventListener('click', onClick);
      right.append(b);
      return b;
    };
    right.append(timePicker(st.range, (r) => host.setRange(r)));
    button({ title: 'Zoom out' }, '−', () => host.setRange(zoomOut(st.range)));
    button({ 'data-testid': 'refresh', title: 'Refresh' }, '⟳', () => host.refresh());
    right.append(choice(REFRESH_INTERVALS.map((r) => [r, r || 'Off'] as const), st.refresh, (r) => host.setRefresh(r), { class: 'refresh-select', 'data-testid': 'refresh-interval' }));
    if (st.editing) {
      if (st.uid) button({ 'data-testid': 'dashboard-versions' }, 'Versions', () => host.openVersions());
      button({ 'data-testid': 'add-panel' }, '+ Add panel', () => host.addPanel());
      button({}, '+ Row', () => host.addRow());
      button({ 'data-testid': 'dashboard-settings' }, 'Settings / JSON', () => host.openSettings());
      const save = button({ class: 'btn primary', 'data-testid': 'save-dashboard' }, 'Save', () => host.save());
      if (!st.meta.canSave) {
        save.setAttribute('disabled', '');
        save.title = 'This provisioned dashboard cannot be saved from the UI (allowUiUpdates is off)';
      }
      button({ 'data-testid': 'exit-edit' }, 'Exit edit', () => host.setEditing(false));
    } else {
      button({ 'data-testid': 'edit-dashboard' }, 'Edit', () => host.setEditing(true));
    }
    button({ 'data-testid': 'export-dashboard' }, 'Export', () => host.exportJson());
    button({ title: 'Kiosk mode (Esc to leave)' }, 'Kiosk', () => navigate(location.pathname + kioskSearch(new URLSearchParams(location.search), true)));
    this.el.append(left, right);
  }
}

// Twice the span, centred on the same middle, not past now.
function zoomOut(range: TimeRange): TimeRange {
  const r = resolveRange(range);
  const span = r.to - r.from;
  return { from: String(Math.round(r.from - span / 2)), to: String(Math.round(Math.min(Date.now(), r.to + span / 2))) };
}

// A button showing the range that opens the presets and an absolute from/to form.
function timePicker(range: TimeRange, onRange: (r: TimeRange) => void): HTMLElement {
  const picker = el('div', { class: 'time-picker' });
  const btn = el('button', { class: 'btn', 'data-testid': 'time-picker' }, describeRange(range));
  const pop = el('div', { class: 'time-popover', 'data-testid': 'time-popover' });
  pop.style.display = 'none';
  const abs = el('form', { class: 'time-abs' });
  const shown = (s: string) => (/^\d+$/.test(s) ? formatDateTime(+s) : s);
  const fromIn = el('input', { name: 'from', 'data-testid': 'time-from', value: shown(range.from) });
  const toIn = el('input', { name: 'to', 'data-testid': 'time-to', value: shown(range.to) });
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
    onRange({ from: f, to: t });
  });
  const presets = el('div', { class: 'time-presets' });
  for (const r of RELATIVE_RANGES) {
    const b = el('button', { class: 'link', type: 'button' }, r.label);
    b.addEventListener('click', () => onRange({ from: r.from, to: r.to }));
    presets.append(b);
  }
  pop.append(abs, presets);
  btn.addEventListener('click', (e) => {
    e.stopPropagation();
    pop.style.display = pop.style.display === 'none' ? '' : 'none';
  });
  pop.addEventListener('click', (e) => e.stopPropagation());
  picker.append(btn, pop);
  return picker;
}
