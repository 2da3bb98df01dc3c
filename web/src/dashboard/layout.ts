// Grafana's grid as data: 24 columns of rows CELL_H px high with MARGIN px between panels,
// vertical compaction, and rows that collapse the panels below them. No DOM here (grid.ts
// draws it).
import { Panel } from '../data';

export const CELL_H = 30;
export const MARGIN = 8;

type GridPos = Panel['gridPos'];

// Where a gridPos lies in px on a grid whose columns are colW px wide (margins included).
export function box(g: GridPos, colW: number): { left: number; top: number; width: number; height: number } {
  return { left: g.x * colW, top: g.y * (CELL_H + MARGIN), width: g.w * colW - MARGIN, height: g.h * (CELL_H + MARGIN) - MARGIN };
}

// Vertical compaction as Grafana's grid does: every panel moves up as far as it can.
// A pinned panel (the one being moved or resized) keeps its place and pushes the others down.
export function compact(panels: Panel[], pinned?: Panel) {
  const overlaps = (a: GridPos, b: GridPos) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
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

// The panels to draw. An expanded row keeps its panels at top level (Grafana moves them out
// on expand), so any still inside one are moved out here; they are drawn too.
export function visiblePanels(panels: Panel[]): Panel[] {
  const out: Panel[] = [];
  for (const p of panels) {  // also visits the panels pushed below
    out.push(p);
    if (p.type === 'row' && !p.collapsed && p.panels?.length) {
      panels.push(...p.panels);
      p.panels = [];
    }
  }
  return out;
}

// Collapsing a row takes the panels below it, up to the next row, into row.panels. Expanding
// puts them back just below the row, as laid out among themselves, wherever the row is now, and
// pushes the panels below down by their whole height (as Grafana's toggleRow). Returns the new
// panel list.
export function toggleRow(panels: Panel[], row: Panel): Panel[] {
  if (row.collapsed) {
    row.collapsed = false;
    const inner = row.panels ?? [];
    row.panels = [];
    const top = Math.min(...inner.map((p) => p.gridPos.y));
    let bottom = row.gridPos.y + 1;
    for (const p of inner) {
      p.gridPos.y = row.gridPos.y + 1 + (p.gridPos.y - top);
      bottom = Math.max(bottom, p.gridPos.y + p.gridPos.h);
    }
    for (const p of panels) if (p.gridPos.y > row.gridPos.y) p.gridPos.y += bottom - (row.gridPos.y + 1);
    panels = [...panels, ...inner];
  } else {
    const sorted = [...panels].sort((a, b) => a.gridPos.y - b.gridPos.y);
    const inner: Panel[] = [];
    for (const p of sorted.slice(sorted.indexOf(row) + 1)) {
      if (p.type === 'row') break;
      inner.push(p);
    }
    row.collapsed = true;
    row.panels = inner;
    panels = panels.filter((p) => !inner.includes(p));
  }
  compact(panels);
  return panels;
}
