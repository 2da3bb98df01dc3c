// Time ranges as Grafana writes them in URLs and dashboards: "now-6h", "now", "now/d",
// or epoch milliseconds; durations like "15s", "5m", "1h".

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000, M: 2592000000, y: 31536000000 };

export function parseDuration(s: string): number | null {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|M|y)/gy;
  let total = 0;
  let matched = false;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    total += parseFloat(m[1]) * UNITS[m[2]];
    matched = true;
    if (re.lastIndex === s.length) return total;
  }
  return matched && re.lastIndex === s.length ? total : null;
}

// Compound form as Grafana writes intervals ("1m15s"); valid in PromQL range selectors.
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return Math.max(1, Math.round(ms)) + 'ms';
  let rest = Math.round(ms / 1000) * 1000;
  let out = '';
  for (const [u, v] of [['d', UNITS.d], ['h', UNITS.h], ['m', UNITS.m], ['s', UNITS.s]] as [string, number][]) {
    if (rest >= v) {
      out += Math.floor(rest / v) + u;
      rest %= v;
    }
  }
  return out;
}

// Parses a time expression to epoch ms; roundUp applies to "/unit" rounding of the end time.
export function parseTime(expr: string, now: number, roundUp = false): number | null {
  expr = expr.trim();
  if (/^\d+$/.test(expr)) return parseInt(expr, 10);
  if (!expr.startsWith('now')) {
    const t = Date.parse(expr);
    return isNaN(t) ? null : t;
  }
  let t = now;
  let rest = expr.slice(3);
  const re = /^([+-])(\d+)(ms|s|m|h|d|w|M|y)/;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest))) {
    const d = parseInt(m[2], 10) * UNITS[m[3]];
    t += m[1] === '-' ? -d : d;
    rest = rest.slice(m[0].length);
  }
  const r = /^\/(s|m|h|d|w|M|y)$/.exec(rest);
  if (r) {
    const date = new Date(t);
    const unit = r[1];
    if (unit === 'd' || unit === 'w' || unit === 'M' || unit === 'y') {
      date.setHours(0, 0, 0, 0);
      if (unit === 'w') date.setDate(date.getDate() - date.getDay());
      if (unit === 'M' || unit === 'y') date.setDate(1);
      if (unit === 'y') date.setMonth(0);
      t = date.getTime();
      if (roundUp) {
        const end = new Date(t);
        if (unit === 'd') end.setDate(end.getDate() + 1);
        if (unit === 'w') end.setDate(end.getDate() + 7);
        if (unit === 'M') end.setMonth(end.getMonth() + 1);
        if (unit === 'y') end.setFullYear(end.getFullYear() + 1);
        t = end.getTime() - 1;
      }
    } else {
      const u = UNITS[unit];
      t = Math.floor(t / u) * u + (roundUp ? u - 1 : 0);
    }
    rest = '';
  }
  return rest === '' ? t : null;
}

export interface TimeRange {
  from: string;
  to: string;
}

export interface ResolvedRange {
  from: number;
  to: number;
}

export function resolveRange(r: TimeRange, now = Date.now()): ResolvedRange {
  const from = parseTime(r.from, now) ?? now - 6 * 3600000;
  const to = parseTime(r.to, now, true) ?? now;
  return { from, to: Math.max(to, from + 1000) };
}

export function describeRange(r: TimeRange): string {
  const preset = RELATIVE_RANGES.find((p) => p.from === r.from && p.to === r.to);
  if (preset) return preset.label;
  const fmt = (s: string) => (/^\d+$/.test(s) ? formatDateTime(parseInt(s, 10)) : s);
  return `${fmt(r.from)} to ${fmt(r.to)}`;
}

export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export const RELATIVE_RANGES = [
  { from: 'now-5m', to: 'now', label: 'Last 5 minutes' },
  { from: 'now-15m', to: 'now', label: 'Last 15 minutes' },
  { from: 'now-30m', to: 'now', label: 'Last 30 minutes' },
  { from: 'now-1h', to: 'now', label: 'Last 1 hour' },
  { from: 'now-3h', to: 'now', label: 'Last 3 hours' },
  { from: 'now-6h', to: 'now', label: 'Last 6 hours' },
  { from: 'now-12h', to: 'now', label: 'Last 12 hours' },
  { from: 'now-24h', to: 'now', label: 'Last 24 hours' },
  { from: 'now-2d', to: 'now', label: 'Last 2 days' },
  { from: 'now-7d', to: 'now', label: 'Last 7 days' },
  { from: 'now/d', to: 'now/d', label: 'Today' },
];

export const REFRESH_INTERVALS = ['', '5s', '10s', '30s', '1m', '5m'];

// Grafana's interval: range / maxDataPoints, not below the minimum, rounded to a nice step.
export function calcInterval(rangeMs: number, maxDataPoints: number, minIntervalMs: number): number {
  const raw = rangeMs / Math.max(1, maxDataPoints);
  const nice = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);
  let iv = nice.find((n) => n >= raw) ?? Math.ceil(raw / 86400000) * 86400000;
  return Math.max(iv, minIntervalMs);
}
