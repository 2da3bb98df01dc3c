// Time series panel on uPlot: legend, hover tooltip, units, thresholds, stacking.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { Panel, QueryResult } from '../data';
import { color, formatValue, PALETTE, withAlpha } from '../units';
import { choice, defaults, el, field, noData, PanelType, thresholds } from './common';

function tooltipPlugin(unit: string, decimals: number | undefined): uPlot.Plugin {
  let tip: HTMLDivElement;
  return {
    hooks: {
      init: (u) => {
        tip = el('div', { class: 'uplot-tooltip' });
        tip.style.display = 'none';
        u.over.appendChild(tip);
        u.over.addEventListener('mouseleave', () => (tip.style.display = 'none'));
      },
      setCursor: (u) => {
        const idx = u.cursor.idx;
        if (idx === null || idx === undefined) {
          tip.style.display = 'none';
          return;
        }
        // Built from nodes: series names come from labels and legend formats of the dashboard.
        const rows: HTMLElement[] = [];
        for (let i = 1; i < u.series.length && rows.length < 12; i++) {
          const s = u.series[i];
          if (!s.show) continue;
          const v = (u.data[i] as (number | null)[])[idx];
          if (v === null || v === undefined) continue;
          const swatch = el('span', { class: 'swatch' });
          swatch.style.background = String(s.stroke);
          const row = el('div');
          row.append(swatch, String(s.label) + ': ', el('b', {}, formatValue((s as any)._raw ? (s as any)._raw[idx] : v, unit, decimals)));
          rows.push(row);
        }
        if (!rows.length) {
          tip.style.display = 'none';
          return;
        }
        tip.replaceChildren(el('div', { class: 'tt-time' }, new Date(u.data[0][idx] * 1000).toLocaleString()), ...rows);
        tip.style.display = 'block';
        const left = u.cursor.left ?? 0;
        const top = u.cursor.top ?? 0;
        const w = u.over.clientWidth;
        tip.style.left = (left > w / 2 ? left - tip.offsetWidth - 10 : left + 10) + 'px';
        tip.style.top = Math.max(0, top - 10) + 'px';
      },
    },
  };
}

// onZoom: called with a new absolute range (ms) when the user drags across the plot.
export function renderTimeseries(container: HTMLElement, panel: Panel, result: QueryResult, onZoom?: (from: number, to: number) => void): () => void {
  if (!result.frames.length || result.frames.every((f) => f.values.every((v) => v === null))) {
    noData(container);
    return () => {};
  }
  const d = defaults(panel);
  const custom = d.custom ?? {};
  // Legacy "graph" panels keep the unit in yaxes[0].format and stacking in `stack`.
  const unit: string = d.unit ?? panel.yaxes?.[0]?.format ?? 'short';
  const decimals: number | undefined = d.decimals ?? panel.decimals ?? undefined;
  const stacking = custom.stacking?.mode === 'normal' || custom.stacking?.mode === 'percent' || panel.stack === true;
  const fillOpacity = custom.fillOpacity ?? (stacking ? 30 : 10);
  const lineWidth = custom.lineWidth ?? 1;
  const steps = thresholds(panel);
  const thresholdStyle = custom.thresholdsStyle?.mode ?? 'off';
  const legendOpts = panel.options?.legend ?? {};
  const showLegend = legendOpts.showLegend !== false && legendOpts.displayMode !== 'hidden';

  const data: uPlot.AlignedData = [result.times, ...result.frames.map((f) => f.values)] as any;
  const raws = result.frames.map((f) => f.values);
  if (stacking) {
    const acc = new Array(result.times.length).fill(0);
    for (let i = 1; i < data.length; i++) {
      const col = (data[i] as (number | null)[]).map((v, j) => (v === null ? null : (acc[j] += v)));
      (data as any)[i] = col;
    }
  }
  const series: uPlot.Series[] = [{}];
  result.frames.forEach((f, i) => {
    const override = (panel.fieldConfig?.overrides ?? []).find((o: any) => o.matcher?.id === 'byName' && o.matcher.options === f.name);
    let c = PALETTE[i % PALETTE.length];
    if (d.color?.mode === 'fixed' && d.color.fixedColor) c = color(d.color.fixedColor);
    const oc = override?.properties?.find((p: any) => p.id === 'color');
    if (oc?.value?.fixedColor) c = color(oc.value.fixedColor);
    const s: any = {
      label: f.name,
      stroke: c,
      width: lineWidth,
      fill: fillOpacity > 0 ? withAlpha(c, fillOpacity / 100) : undefined,
      spanGaps: custom.spanNulls === true,
      points: { show: result.times.length < 50 },
      value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => (idx === null ? '' : formatValue(raws[i][idx], unit, decimals)),
    };
    s._raw = raws[i];
    series.push(s);
  });
  const legend = el('div', { class: 'ts-legend' });
  const plotBox = el('div', { class: 'ts-plot' });
  container.append(plotBox);
  if (showLegend) container.append(legend);

  const hooks: uPlot.Hooks.Arrays = {};
  if (onZoom) {
    hooks.setSelect = [
      (u: uPlot) => {
        if (u.select.width < 5) return;
        const from = u.posToVal(u.select.left, 'x') * 1000;
        const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        onZoom(Math.round(from), Math.round(to));
      },
    ];
  }
  if (thresholdStyle === 'line' || thresholdStyle === 'dashed' || thresholdStyle === 'line+area') {
    hooks.draw = [
      (u: uPlot) => {
        const ctx = u.ctx;
        ctx.save();
        for (const s of steps) {
          if (s.value === null || s.value === undefined) continue;
          const y = u.valToPos(s.value, 'y', true);
          if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
          ctx.strokeStyle = color(s.color);
          ctx.lineWidth = 1;
          ctx.setLineDash(thresholdStyle === 'dashed' ? [6, 4] : []);
          ctx.beginPath();
          ctx.moveTo(u.bbox.left, y);
          ctx.lineTo(u.bbox.left + u.bbox.width, y);
          ctx.stroke();
        }
        ctx.restore();
      },
    ];
  }
  const min = d.min ?? undefined;
  const max = d.max ?? undefined;
  const size = () => ({ width: Math.max(50, plotBox.clientWidth), height: Math.max(50, plotBox.clientHeight) });
  const opts: uPlot.Options = {
    ...size(),
    series,
    legend: { show: showLegend, live: false, mount: (_u: uPlot, l: HTMLElement) => legend.append(l) } as any,
    cursor: { drag: { x: !!onZoom, y: false, setScale: false }, points: { size: 5 } },
    scales: { x: { time: true }, y: { range: (_u, dmin, dmax) => [min ?? Math.min(dmin, 0 > dmin ? dmin : dmin), max ?? (dmax === dmin ? dmax + 1 : dmax)] } },
    axes: [
      { stroke: '#9fa7b3', grid: { stroke: '#2c3235', width: 1 }, ticks: { stroke: '#2c3235' } },
      {
        stroke: '#9fa7b3',
        grid: { stroke: '#2c3235', width: 1 },
        ticks: { stroke: '#2c3235' },
        size: (_u: uPlot, values: string[]) => 24 + 7.5 * Math.max(3, ...(values ?? []).map((v) => String(v).length)),
        values: (_u, vals) => vals.map((v) => formatValue(v, unit, decimals)),
      },
    ],
    hooks,
    plugins: [tooltipPlugin(unit, decimals)],
  };
  const plot = new uPlot(opts, data, plotBox);
  container.dataset.rendered = 'timeseries';
  container.dataset.series = String(result.frames.length);
  const ro = new ResizeObserver(() => plot.setSize(size()));
  ro.observe(plotBox);
  return () => {
    ro.disconnect();
    plot.destroy();
  };
}

export const timeseries: PanelType = {
  type: 'timeseries',
  label: 'Time series',
  aliases: ['graph'],
  needsQueries: true,
  render: (body, panel, { result, onZoom }) => renderTimeseries(body, panel, result, onZoom),
  editor(panel, changed) {
    const custom = (defaults(panel).custom ??= {});
    const stacking = choice([['none', 'Off'], ['normal', 'Normal']], custom.stacking?.mode ?? 'none', (mode) => {
      custom.stacking = { mode, group: 'A' };
      changed();
    }, { 'data-testid': 'panel-stacking' });
    const thresholdsStyle = choice(['off', 'line', 'dashed'].map((m) => [m, m] as const), custom.thresholdsStyle?.mode ?? 'off', (mode) => {
      custom.thresholdsStyle = { mode };
      changed();
    });
    return [field('Stacking', stacking), field('Show thresholds', thresholdsStyle)];
  },
};
