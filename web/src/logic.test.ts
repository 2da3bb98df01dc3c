// Unit tests of the app's pure logic (run by `npm test` with vitest; ctest runs it as
// dashboards_web_unit): Grafana-compatible interpolation, time ranges, units, markdown escaping,
// value mappings and grid compaction.
import { describe, expect, it } from 'vitest';
import { builtins, interpolate, Scope } from './interpolate';
import { calcInterval, formatDuration, parseDuration, parseTime, resolveRange } from './time';
import { formatValue, thresholdColor } from './units';
import { markdown } from './panels/other';
import { mapValue } from './panels/common';
import { seriesName, reduce } from './data';
import { compact, migrateRows } from './dashboard';

const v = (...values: string[]) => ({ values, options: ['a.b', 'c', 'd'] });

describe('interpolate', () => {
  const scope: Scope = {
    job: v('sre_app'),
    multi: { values: ['a.b', 'c'], options: ['a.b', 'c', 'd'], multi: true },
    all: { values: ['$__all'], options: ['$__all', 'x', 'y'] },
    allv: { values: ['$__all'], options: ['$__all', 'x'], allValue: '.*' },
    ...builtins(60000, 3600000, 15000),
  };
  it.each([
    ['up{job="$job"}', 'up{job="sre_app"}'],
    ['up{job="${job}"}', 'up{job="sre_app"}'],
    ['up{job="[[job]]"}', 'up{job="sre_app"}'],
    ['up{x=~"$multi"}', 'up{x=~"(a\\.b|c)"}'],
    ['up{x=~"$all"}', 'up{x=~"(x|y)"}'],
    ['up{x=~"$allv"}', 'up{x=~".*"}'],
    ['${multi:csv}', 'a.b,c'],
    ['${multi:pipe}', 'a.b|c'],
    ['${job:regex}', 'sre_app'],
    ['rate(x[$__rate_interval])', 'rate(x[1m15s])'],
    ['rate(x[$__interval])', 'rate(x[1m])'],
    ['increase(x[$__range])', 'increase(x[1h])'],
    ['$__range_s $__interval_ms', '3600 60000'],
    ['$unknown and ${unknown}', '$unknown and ${unknown}'],
    ['$jobs', '$jobs'],
  ])('%s', (input, want) => expect(interpolate(input, scope)).toBe(want));
  it('rate interval is at least four scrape intervals', () => {
    expect(interpolate('$__rate_interval', builtins(15000, 3600000, 15000))).toBe('1m');
  });
  it('text context joins multi values with commas', () => expect(interpolate('$multi', scope, false)).toBe('a.b,c'));
});

describe('time', () => {
  const now = Date.UTC(2024, 0, 10, 12, 30, 0);
  it.each([
    ['now', now],
    ['now-6h', now - 6 * 3600000],
    ['now-1d-30m', now - 86400000 - 1800000],
    ['1700000000000', 1700000000000],
    ['2024-01-10T00:00:00Z', Date.UTC(2024, 0, 10)],
  ])('parseTime(%s)', (s, want) => expect(parseTime(s as string, now)).toBe(want));
  it('rejects garbage', () => {
    expect(parseTime('now-xyz', now)).toBeNull();
    expect(parseTime('yesterday', now)).toBeNull();
    expect(parseDuration('5x')).toBeNull();
    expect(parseDuration('')).toBeNull();
  });
  it('durations', () => {
    expect(parseDuration('1m30s')).toBe(90000);
    expect(parseDuration('15s')).toBe(15000);
    expect(formatDuration(90000)).toBe('1m30s');
    expect(formatDuration(86400000 * 7)).toBe('7d');
    expect(formatDuration(3600000)).toBe('1h');
  });
  it('resolves ranges and intervals', () => {
    const r = resolveRange({ from: 'now-24h', to: 'now' }, now);
    expect(r.to - r.from).toBe(86400000);
    expect(calcInterval(86400000, 10000, 15000)).toBe(15000);
    expect(calcInterval(86400000, 1000, 15000)).toBe(120000);
    expect(calcInterval(3600000, 1000, 1000)).toBe(5000);
  });
});

describe('units and thresholds', () => {
  it.each([
    [0.5, 'percentunit', '50%'],
    [42, 'percent', '42%'],
    [1536, 'bytes', '1.5 KiB'],
    [90, 's', '1.5 min'],
    [0.25, 's', '250 ms'],
    [1234, 'reqps', '1.23K req/s'],
    [1500000, 'short', '1.5 Mil'],
    [null, 'short', 'No data'],
  ])('formatValue(%s, %s)', (val, unit, want) => expect(formatValue(val as number | null, unit as string)).toBe(want));
  it('picks the last threshold reached', () => {
    const steps = [{ value: null, color: 'green' }, { value: 80, color: 'red' }];
    expect(thresholdColor(50, steps)).toBe('#73BF69');
    expect(thresholdColor(80, steps)).toBe('#F2495C');
  });
});

describe('panels', () => {
  it('value mappings 1 -> UP, 0 -> DOWN', () => {
    const panel: any = { fieldConfig: { defaults: { mappings: [{ type: 'value', options: { '1': { text: 'UP', color: 'green' }, '0': { text: 'DOWN', color: 'red' } } }] } } };
    expect(mapValue(panel, 1)?.text).toBe('UP');
    expect(mapValue(panel, 0)?.text).toBe('DOWN');
    expect(mapValue(panel, 2)).toBeNull();
  });
  it('markdown never passes HTML through', () => {
    const html = markdown('# T\n<img src=x onerror=alert(1)> **b** [l](javascript:alert(1)) [ok](https://x.test/a)');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img');
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('<a href="https://x.test/a"');
    expect(html).toContain('<h1>T</h1>');
  });
  it('legend format and reducers', () => {
    expect(seriesName({ __name__: 'up', job: 'a' }, '{{job}} up')).toBe('a up');
    expect(seriesName({ __name__: 'up', job: 'a' })).toBe('up{job="a"}');
    expect(reduce([1, null, 3], 'lastNotNull')).toBe(3);
    expect(reduce([1, null, 3], 'mean')).toBe(2);
    expect(reduce([], 'max')).toBeNull();
  });
  it('grid compaction floats panels up and pushes overlaps down', () => {
    const a: any = { id: 1, gridPos: { x: 0, y: 5, w: 12, h: 4 } };
    const b: any = { id: 2, gridPos: { x: 0, y: 20, w: 12, h: 4 } };
    compact([a, b]);
    expect([a.gridPos.y, b.gridPos.y]).toEqual([0, 4]);
    b.gridPos.y = 0;  // dragged on top of a
    compact([a, b], b);
    expect([b.gridPos.y, a.gridPos.y]).toEqual([0, 4]);
  });
  it('old rows[] dashboards migrate to gridPos', () => {
    const d: any = { title: 'old', rows: [{ height: '300px', panels: [{ id: 1, type: 'graph', span: 6 }, { id: 2, type: 'singlestat', span: 6 }, { id: 3, type: 'graph', span: 12 }] }] };
    migrateRows(d);
    expect(d.rows).toBeUndefined();
    expect(d.panels.map((p: any) => [p.gridPos.x, p.gridPos.y, p.gridPos.w, p.gridPos.h])).toEqual([[0, 0, 12, 8], [12, 0, 12, 8], [0, 8, 24, 8]]);
  });
  it('legacy singlestat valueMaps', () => {
    expect(mapValue({ valueMaps: [{ op: '=', value: '1', text: 'UP' }] } as any, 1)?.text).toBe('UP');
  });
});
