// Unit tests of the app's pure logic (run by `npm test` with vitest; ctest runs it as
// dashboards_web_unit): Grafana-compatible interpolation, time ranges, units, markdown escaping,
// value mappings and grid compaction.
import { describe, expect, it } from 'vitest';
import { builtins, interpolate, Scope } from './interpolate';
import { calcInterval, formatDuration, parseDuration, parseTime, resolveRange } from './time';
import { color, formatValue, thresholdColor, withAlpha } from './units';
import { parseMarkdown } from './panels/text';
import { fitFontSize, mapValue } from './panels/common';
import { cssColor, safeHref } from './sanitize';
import { seriesName, reduce } from './data';
import { compact, toggleRow } from './dashboard/layout';
import { kioskSearch } from './dashboard/state';
import { migrateRows } from './dashboard/model';

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
  it('markdown is a tree of text: HTML stays text, only http(s)/relative links', () => {
    const blocks = parseMarkdown('# T\n<img src=x onerror=alert(1)> **b** [l](javascript:x) [ok](https://x.test/a) [rel](/d/x)\n\n- a\n- `c`');
    expect(blocks[0]).toEqual({ t: 'h', level: 1, inline: [{ t: 'text', text: 'T' }] });
    expect(blocks[1]).toEqual({ t: 'p', inline: [
      { t: 'text', text: '<img src=x onerror=alert(1)> ' }, { t: 'strong', text: 'b' }, { t: 'text', text: ' ' },
      { t: 'text', text: 'l' }, { t: 'text', text: ' ' }, { t: 'link', text: 'ok', href: 'https://x.test/a' }, { t: 'text', text: ' ' },
      { t: 'link', text: 'rel', href: '/d/x' }] });
    expect(blocks[2]).toEqual({ t: 'ul', items: [[{ t: 'text', text: 'a' }], [{ t: 'code', text: 'c' }]] });
    expect(parseMarkdown('```\n<script>x</script>\n```')).toEqual([{ t: 'pre', text: '<script>x</script>' }]);
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
  it('a row collapses the panels below it up to the next row, and expands them again', () => {
    const p = (id: number, type: string, y: number, h = 4): any => ({ id, type, gridPos: { x: 0, y, w: 24, h } });
    const [r1, a, b, r2, c] = [p(1, 'row', 0, 1), p(2, 'stat', 1), p(3, 'stat', 5), p(4, 'row', 9, 1), p(5, 'stat', 10)];
    let panels = toggleRow([r1, a, b, r2, c], r1);
    expect(panels.map((x) => x.id)).toEqual([1, 4, 5]);
    expect(r1.collapsed && r1.panels.map((x: any) => x.id)).toEqual([2, 3]);
    expect([r2.gridPos.y, c.gridPos.y]).toEqual([1, 2]);
    panels = toggleRow(panels, r1);
    expect(r1.collapsed || r1.panels.length).toBe(0);
    expect(panels.map((x) => [x.id, x.gridPos.y])).toEqual([[1, 0], [4, 9], [5, 10], [2, 1], [3, 5]]);
  });
  it("kiosk is Grafana's bare flag in the query string", () => {
    expect(kioskSearch(new URLSearchParams('from=now-1h&to=now'), true)).toBe('?from=now-1h&to=now&kiosk');
    expect(kioskSearch(new URLSearchParams('kiosk&from=now-1h&var-kiosk='), false)).toBe('?from=now-1h&var-kiosk=');
    expect(kioskSearch(new URLSearchParams('var-kiosk=&from=x'), true)).toBe('?var-kiosk=&from=x&kiosk');
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

describe('dashboard values that reach styles and hrefs', () => {
  it.each([
    ['#abc', '#abc'], ['#AABBCC', '#AABBCC'], ['#aabbccdd', '#aabbccdd'], ['rgb(1, 2, 3)', 'rgb(1, 2, 3)'],
    ['rgba(10,20,30,0.5)', 'rgba(10,20,30,0.5)'], ['hsl(120deg 50% 50% / 0.3)', 'hsl(120deg 50% 50% / 0.3)'],
    ['hsla(120, 50%, 50%, .3)', 'hsla(120, 50%, 50%, .3)'], ['RebeccaPurple', 'rebeccapurple'], ['transparent', 'transparent'],
  ])('colour %s is accepted', (c, want) => expect(cssColor(c)).toBe(want));
  it.each([
    'red"/><img src=x onerror=window.__xss=1>', 'url(https://evil.test/x)', 'expression(alert(1))', '#12345', '#ggg',
    'rgb(1,2,3);background:url(x)', 'rgb(1,2,3)) ; x', 'notacolor', 'red;', '', 'javascript:alert(1)', 'var(--x)',
  ])('colour %s is refused', (c) => expect(cssColor(c)).toBeNull());
  it('color(): Grafana names, CSS colours, and a fallback for anything else', () => {
    expect(color('semi-dark-red')).toBe('#E02F44');
    expect(color('super-light-blue')).toBe('#C0D8FF');
    expect(color('#ff0000')).toBe('#ff0000');
    expect(color('red"/><img src=x onerror=alert(1)>')).toBe('#73BF69');
    expect(color('url(x)', '#000')).toBe('#000');
    expect(thresholdColor(5, [{ value: null, color: 'green' }, { value: 1, color: '"><script>' }])).toBe('#73BF69');
    expect(withAlpha('#112233', 0.2)).toBe('#11223333');
    expect(withAlpha('#123', 1)).toBe('#112233ff');
    expect(withAlpha('rgb(1,2,3)', 0.1)).toBe('color-mix(in srgb, rgb(1,2,3) 10%, transparent)');
  });
  it.each([
    ['https://grafana.com/x?a=1', 'https://grafana.com/x?a=1'], ['HTTP://x.test', 'HTTP://x.test'], ['/d/abc?var-x=1', '/d/abc?var-x=1'],
    ['d/abc', 'd/abc'], ['?from=now-1h', '?from=now-1h'], ['#top', '#top'], ['  /d/x  ', '/d/x'], ['/a:b', '/a:b'],
  ])('href %s is kept', (h, want) => expect(safeHref(h)).toBe(want));
  it.each(['javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'java\nscript:x',
    '\u0001javascript:x', 'data:text/html,<script>x</script>', 'vbscript:x', 'file:///etc/passwd', '', '   '])(
    'href %j is refused', (h) => expect(safeHref(h)).toBeNull());
  it('auto text size: the smaller of the width and height limits, capped', () => {
    // A text 300 px wide at 100 px in a 150 x 40 box: width allows 50 px, height 40/1.2 = 33.3 px.
    expect(fitFontSize(300, 150, 40, 1.2, 100)).toBeCloseTo(33.33, 1);
    expect(fitFontSize(300, 60, 400, 1.2, 100)).toBeCloseTo(20, 5);
    expect(fitFontSize(10, 1000, 1000, 1.2, 100)).toBe(100);
    expect(fitFontSize(300, 0, 0, 1.2, 100)).toBe(6);
  });
});
