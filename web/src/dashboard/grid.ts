// The panels drawn on the grid (layout.ts): a wrapper per panel placed by its gridPos, row
// headers that collapse and expand, and in edit mode the panel menus, dragging and resizing.
import { Panel } from '../data';
import { createPanelView, PanelView } from '../panel';
import { el } from '../panels/common';
import { navigate } from '../router';
import { box, CELL_H, compact, MARGIN, toggleRow, visiblePanels } from './layout';
import { nextPanelId } from './model';
import { DashboardState } from './state';

// What the grid asks of its page.
export interface GridHost {
  readonly state: DashboardState;
  markDirty(): void;
  refresh(): Promise<void>;  // runs every panel's queries
  editPanel(panel: Panel): void;
}

interface Slot {
  panel: Panel;
  wrapper: HTMLElement;
  view?: PanelView;  // none for a row header
}

export class Grid {
  readonly el = el('div', { class: 'dash-grid', 'data-testid': 'dash-grid' });
  private slots: Slot[] = [];
  private readonly resizeObserver = new ResizeObserver(() => this.layout());

  constructor(private readonly host: GridHost) {
    this.resizeObserver.observe(this.el);
  }

  widthPx(): number {
    return this.el.clientWidth || 1200;
  }

  // Draws the panels of the model anew (after any change of panels or of edit mode).
  build() {
    const st = this.host.state;
    this.slots.forEach((s) => s.view?.destroy());
    this.slots = [];
    this.el.replaceChildren();
    for (const panel of visiblePanels(st.dash.panels)) {
      const wrapper = el('div', { class: 'panel-wrapper' });
      this.el.append(wrapper);
      if (panel.type === 'row') {
        const row = el('div', { class: 'row-header' }, (panel.collapsed ? '▸ ' : '▾ ') + (panel.title ?? 'Row'));
        row.addEventListener('click', () => {
          st.dash.panels = toggleRow(st.dash.panels, panel);
          this.rebuild();
        });
        wrapper.append(row);
        this.slots.push({ panel, wrapper });
        continue;
      }
      const header = el('div', { class: 'panel-header' });
      header.append(this.menu(panel));
      const view = createPanelView(panel, header);
      wrapper.append(view.root);
      if (st.editing) this.attachDragResize(wrapper, header, panel);
      this.slots.push({ panel, view, wrapper });
    }
    this.layout();
  }

  // Places the wrappers by their panels' gridPos at the grid's current width.
  layout() {
    const colW = (this.el.clientWidth + MARGIN) / 24;
    let maxBottom = 0;
    for (const { panel, wrapper } of this.slots) {
      const b = box(panel.gridPos, colW);
      wrapper.style.left = b.left + 'px';
      wrapper.style.top = b.top + 'px';
      wrapper.style.width = b.width + 'px';
      wrapper.style.height = b.height + 'px';
      maxBottom = Math.max(maxBottom, panel.gridPos.y + panel.gridPos.h);
    }
    this.el.style.height = maxBottom * (CELL_H + MARGIN) + 'px';
  }

  async refresh(ctx: Parameters<PanelView['refresh']>[0]) {
    this.el.dataset.state = 'loading';
    await Promise.all(this.slots.map((s) => s.view?.refresh(ctx)));
    this.el.dataset.state = 'done';
  }

  destroy() {
    this.resizeObserver.disconnect();
    this.slots.forEach((s) => s.view?.destroy());
  }

  private rebuild() {
    this.build();
    void this.host.refresh();
  }

  // Edit mode: edit, duplicate, remove. Otherwise: open the panel's first query in Explore.
  private menu(panel: Panel): HTMLElement {
    const st = this.host.state;
    const menu = el('div', { class: 'panel-menu' });
    const button = (attrs: Record<string, string>, label: string, onClick: () => void) => {
      const b = el('button', { class: 'btn-icon', ...attrs }, label);
      b.addEventListener('click', (e) => {
        e.stopPropagation();
        onClick();
      });
      menu.append(b);
    };
    const changePanels = (panels: Panel[]) => {
      st.dash.panels = panels;
      this.host.markDirty();
      compact(st.dash.panels);
      this.rebuild();
    };
    if (!st.editing) {
      button({ title: 'Explore' }, '⌕', () => {
        const t = panel.targets?.find((x) => x.expr);
        if (t) navigate('/explore?query=' + encodeURIComponent(t.expr!) + '&from=' + encodeURIComponent(st.range.from) + '&to=' + encodeURIComponent(st.range.to));
      });
      return menu;
    }
    button({ 'data-testid': 'panel-edit', title: 'Edit' }, '✎', () => this.host.editPanel(panel));
    button({ title: 'Duplicate' }, '⧉', () => {
      const copy: Panel = JSON.parse(JSON.stringify(panel));
      copy.id = nextPanelId(st.dash.panels);
      copy.gridPos = { ...panel.gridPos, y: panel.gridPos.y + panel.gridPos.h };
      changePanels([...st.dash.panels, copy]);
    });
    button({ 'data-testid': 'panel-remove', title: 'Remove' }, '✕', () => changePanels(st.dash.panels.filter((p) => p !== panel)));
    return menu;
  }

  // Dragging the header moves the panel, the corner handle resizes it, by whole grid cells;
  // on release the others make room and everything floats up.
  private attachDragResize(wrapper: HTMLElement, handle: HTMLElement, panel: Panel) {
    wrapper.classList.add('editable');
    const resize = el('div', { class: 'resize-handle', 'data-testid': 'panel-resize' });
    wrapper.append(resize);
    const start = (e: PointerEvent, mode: 'move' | 'resize') => {
      if ((e.target as HTMLElement).closest('button')) return;
      e.preventDefault();
      const colW = (this.el.clientWidth + MARGIN) / 24;
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
        this.layout();
      };
      const up = () => {
        window.removeEventListener('pointermove', move);
        window.removeEventListener('pointerup', up);
        wrapper.classList.remove('dragging');
        compact(this.host.state.dash.panels, panel);
        this.host.markDirty();
        this.layout();
      };
      window.addEventListener('pointermove', move);
      window.addEventListener('pointerup', up);
    };
    handle.addEventListener('pointerdown', (e) => start(e, 'move'));
    resize.addEventListener('pointerdown', (e) => start(e, 'resize'));
  }
}
