// Template variable interpolation as Grafana does it for Prometheus queries:
// $var, ${var}, ${var:format}, [[var]], and the built-ins $__interval, $__interval_ms,
// $__rate_interval, $__range, $__range_s, $__range_ms. Multi-value and "All" become a regex
// alternation (a|b) with the values regex-escaped, as Grafana's Prometheus data source does.

import { formatDuration } from './time';

export interface VarValue {
  // Selected values; ['$__all'] means "All".
  values: string[];
  // Every option of the variable (for All without a custom allValue).
  options: string[];
  allValue?: string | null;
  multi?: boolean;
}

export type Scope = Record<string, VarValue>;

export function escapeRegex(s: string): string {
  return s.replace(/[\\^$*+?.()|[\]{}]/g, '\\$&');
}

export function builtins(intervalMs: number, rangeMs: number, scrapeIntervalMs: number): Scope {
  const one = (v: string): VarValue => ({ values: [v], options: [v] });
  const rate = Math.max(intervalMs + scrapeIntervalMs, 4 * scrapeIntervalMs);
  return {
    __interval: one(formatDuration(intervalMs)),
    __interval_ms: one(String(intervalMs)),
    __rate_interval: one(formatDuration(rate)),
    __range: one(formatDuration(Math.round(rangeMs / 1000) * 1000)),
    __range_s: one(String(Math.round(rangeMs / 1000))),
    __range_ms: one(String(Math.round(rangeMs))),
  };
}

function format(v: VarValue, fmt: string | undefined, regexContext: boolean): string {
  let values = v.values;
  const isAll = values.length === 1 && values[0] === '$__all';
  if (isAll) {
    if (v.allValue) return v.allValue;
    values = v.options.filter((o) => o !== '$__all');
  }
  switch (fmt) {
    case 'raw':
      return values.join(',');
    case 'csv':
      return values.join(',');
    case 'pipe':
      return values.join('|');
    case 'json':
      return JSON.stringify(values);
    case 'text':
      return values.join(' + ');
    case 'regex':
      return values.length === 1 ? escapeRegex(values[0]) : '(' + values.map(escapeRegex).join('|') + ')';
    default:
      if (values.length === 1 && !isAll) return values[0];
      if (!regexContext) return values.join(',');
      return '(' + values.map(escapeRegex).join('|') + ')';
  }
}

const VAR_RE = /\$(\w+)|\[\[(\w+)(?::(\w+))?\]\]|\$\{(\w+)(?::(\w+))?\}/g;

export function interpolate(text: string, scope: Scope, regexContext = true): string {
  if (!text || text.indexOf('$') < 0 && text.indexOf('[[') < 0) return text;
  return text.replace(VAR_RE, (match, plain, bracket, bracketFmt, braced, bracedFmt) => {
    const name = plain ?? bracket ?? braced;
    const v = scope[name];
    if (!v) return match;
    return format(v, bracketFmt ?? bracedFmt, regexContext);
  });
}

// Names of the variables a text refers to (to know which queries a variable change affects).
export function referencedVariables(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(VAR_RE)) out.push(m[1] ?? m[2] ?? m[4]);
  return out;
}
