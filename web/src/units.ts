// Value formatting for Grafana's unit ids (fieldConfig.defaults.unit) and threshold colors.
import { cssColor } from './sanitize';

// Grafana's named colours (the classic palette's hues with their shades).
const NAMED_COLORS: Record<string, string> = {
  green: '#73BF69', 'dark-green': '#37872D', 'semi-dark-green': '#56A64B', 'light-green': '#96D98D', 'super-light-green': '#C8F2C2',
  red: '#F2495C', 'dark-red': '#C4162A', 'semi-dark-red': '#E02F44', 'light-red': '#FF7383', 'super-light-red': '#FFA6B0',
  yellow: '#FADE2A', 'dark-yellow': '#E0B400', 'semi-dark-yellow': '#F2CC0C', 'light-yellow': '#FFEE52', 'super-light-yellow': '#FFF899',
  orange: '#FF9830', 'dark-orange': '#FA6400', 'semi-dark-orange': '#FF780A', 'light-orange': '#FFB357', 'super-light-orange': '#FFCB7D',
  blue: '#5794F2', 'dark-blue': '#1F60C4', 'semi-dark-blue': '#3274D9', 'light-blue': '#8AB8FF', 'super-light-blue': '#C0D8FF',
  purple: '#B877D9', 'dark-purple': '#8F3BB8', 'semi-dark-purple': '#A352CC', 'light-purple': '#CA95E5', 'super-light-purple': '#DEB6F2',
  text: '#ccccdc', transparent: 'transparent',
};

// A colour from a dashboard as CSS: Grafana's names first, then hex, rgb(a)/hsl(a) and CSS
// names; anything else (a typo, or markup or url() smuggled into a colour) becomes the fallback,
// so the result is always safe to put in a style or an SVG attribute.
export function color(c: string | undefined, fallback = NAMED_COLORS.green): string {
  if (!c) return fallback;
  return NAMED_COLORS[c] ?? cssColor(c) ?? fallback;
}

// The colour with an opacity (0..1), for fills: hex gets an alpha byte, other forms are mixed
// with transparent.
export function withAlpha(c: string, alpha: number): string {
  const a = Math.round(Math.max(0, Math.min(1, alpha)) * 255).toString(16).padStart(2, '0');
  if (/^#[0-9a-f]{6}$/i.test(c)) return c + a;
  if (/^#[0-9a-f]{3}$/i.test(c)) return '#' + [...c.slice(1)].map((x) => x + x).join('') + a;
  return `color-mix(in srgb, ${c} ${Math.round(alpha * 100)}%, transparent)`;
}

export const PALETTE = ['#73BF69', '#F2CC0C', '#8AB8FF', '#FF780A', '#F2495C', '#5794F2', '#B877D9', '#705DA0', '#37872D', '#FADE2A', '#447EBC', '#C15C17'];

export interface Threshold {
  value: number | null;
  color: string;
}

export function thresholdColor(value: number | null, steps: Threshold[] | undefined, fallback = NAMED_COLORS.green): string {
  if (!steps || steps.length === 0 || value === null || isNaN(value)) return steps && steps[0] ? color(steps[0].color) : fallback;
  let c = steps[0].color;
  for (const s of steps) {
    if (s.value === null || s.value === undefined || value >= s.value) c = s.color;
  }
  return color(c);
}

function scaled(v: number, base: number, suffixes: string[], decimals?: number): string {
  let i = 0;
  let x = Math.abs(v);
  while (x >= base && i < suffixes.length - 1) {
    x /= base;
    i++;
  }
  return fixed(Math.sign(v) * x, decimals) + suffixes[i];
}

function fixed(v: number, decimals?: number): string {
  if (decimals !== undefined && decimals !== null) return v.toFixed(decimals);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1).replace(/\.0$/, '');
  if (a >= 1) return v.toFixed(2).replace(/\.?0+$/, '');
  return parseFloat(v.toPrecision(3)).toString();
}

function duration(sec: number, decimals?: number): string {
  const a = Math.abs(sec);
  if (a === 0) return '0 s';
  if (a < 1e-3) return fixed(sec * 1e6, decimals) + ' µs';
  if (a < 1) return fixed(sec * 1e3, decimals) + ' ms';
  if (a < 60) return fixed(sec, decimals) + ' s';
  if (a < 3600) return fixed(sec / 60, decimals) + ' min';
  if (a < 86400) return fixed(sec / 3600, decimals) + ' hour';
  if (a < 604800) return fixed(sec / 86400, decimals) + ' day';
  if (a < 31536000) return fixed(sec / 604800, decimals) + ' week';
  return fixed(sec / 31536000, decimals) + ' year';
}

export function formatValue(v: number | null | undefined, unit?: string, decimals?: number): string {
  if (v === null || v === undefined || isNaN(v)) return 'No data';
  if (!isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  switch (unit) {
    case 'percent':
      return fixed(v, decimals) + '%';
    case 'percentunit':
      return fixed(v * 100, decimals) + '%';
    case 's':
      return duration(v, decimals);
    case 'ms':
      return duration(v / 1000, decimals);
    case 'bytes':
      return scaled(v, 1024, [' B', ' KiB', ' MiB', ' GiB', ' TiB', ' PiB'], decimals);
    case 'decbytes':
      return scaled(v, 1000, [' B', ' kB', ' MB', ' GB', ' TB', ' PB'], decimals);
    case 'reqps':
      return scaled(v, 1000, [' req/s', 'K req/s', 'M req/s', 'B req/s'], decimals);
    case 'ops':
      return scaled(v, 1000, [' ops/s', 'K ops/s', 'M ops/s'], decimals);
    case 'none':
      return fixed(v, decimals);
    case 'short':
    case undefined:
    case '':
    default:
      return scaled(v, 1000, ['', ' K', ' Mil', ' Bil', ' Tri'], decimals);
  }
}

export const UNITS: [string, string][] = [
  ['short', 'Short'], ['none', 'None'], ['percent', 'Percent (0-100)'], ['percentunit', 'Percent (0.0-1.0)'],
  ['s', 'Seconds (s)'], ['ms', 'Milliseconds (ms)'], ['bytes', 'Bytes (IEC)'], ['decbytes', 'Bytes (SI)'], ['reqps', 'Requests/sec (rps)'],
];
