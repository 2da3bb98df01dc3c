// The panel registry (run by `npm test` with vitest; ctest runs it as dashboards_web_unit): what
// the panel view, the editor and the query runner ask of it.
import { describe, expect, it } from 'vitest';
import { Panel, Target } from '../data';
import { needsQueries, PANEL_TYPES, panelType } from './registry';

const panel = (type: string, targets: Target[]): Panel => ({ id: 1, type, gridPos: { x: 0, y: 0, w: 12, h: 8 }, targets });

describe('panel registry', () => {
  it('names every type once, with a label for the picker', () => {
    const ids = PANEL_TYPES.flatMap((t) => [t.type, ...(t.aliases ?? [])]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of PANEL_TYPES) {
      expect(t.label).not.toBe('');
      expect(panelType(t.type)).toBe(t);
    }
  });

  it("draws Grafana's older ids with their successors", () => {
    expect(panelType('graph')?.type).toBe('timeseries');
    expect(panelType('singlestat')?.type).toBe('stat');
    expect(panelType('table-old')?.type).toBe('table');
    expect(panelType('piechart')).toBeUndefined();
  });

  it('runs queries for types that show them, and for unsupported types unless they have none', () => {
    expect(needsQueries('timeseries')).toBe(true);
    expect(needsQueries('graph')).toBe(true);
    expect(needsQueries('text')).toBe(false);
    expect(needsQueries('alertlist')).toBe(false);
    expect(needsQueries('piechart')).toBe(true);
    for (const t of ['row', 'dashlist', 'news']) expect(needsQueries(t)).toBe(false);
  });

  it('asks one sample per series for a table unless a query wants a range', () => {
    const instant = (targets: Target[]) => panelType('table')!.instant!(panel('table', targets));
    expect(instant([{ expr: 'up' }])).toBe(true);
    expect(instant([{ expr: 'up', range: true }])).toBe(false);
    expect(instant([{ expr: 'up', range: true, format: 'table' }])).toBe(true);
    expect(instant([{ expr: 'up', range: true, instant: true }, { expr: 'x', format: 'table' }])).toBe(true);
    expect(panelType('timeseries')!.instant).toBeUndefined();
  });
});
