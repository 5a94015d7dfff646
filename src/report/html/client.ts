/**
 * The report's browser code. `clientMain` is serialised with
 * Function.prototype.toString into the page (page.ts), so it must not use
 * anything from outside its own body at run time: only the `echarts` global
 * (the bundled library) and the JSON data block. Type imports are erased.
 * Every text it puts in HTML (tooltips) is escaped; chart labels are canvas
 * text.
 */
import type * as EC from 'echarts';
import type { Band, BarChart, CdfChart, ReportData, SweepChart } from './data.js';

declare const echarts: typeof EC;

export function clientMain(): void {
  const state: { ready: boolean; charts: Array<{ id: string; series: number; points: number }>; errors: string[] } = { ready: false, charts: [], errors: [] };
  (window as unknown as { __faultline: typeof state }).__faultline = state;
  const el = document.getElementById('faultline-data');
  const data = JSON.parse(el?.textContent ?? '{}') as ReportData;
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
    '#393b79', '#ad494a', '#637939', '#8c6d31', '#7b4173'];
  const catColors: Record<string, string> = {
    running: '#4c9f38', runqueue: '#a6d96a', mmap_lock: '#d7301f', vma_lock: '#fc8d59', folio: '#fdcc8a', io: '#4575b4', other: '#bdbdbd',
  };
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
  const fmtNs = (ns: number): string => {
    if (!Number.isFinite(ns)) return '-';
    const a = Math.abs(ns);
    const p3 = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
    if (a < 1e3) return `${Math.round(ns)}ns`;
    if (a < 1e6) return `${p3(ns / 1e3)}us`;
    if (a < 1e9) return `${p3(ns / 1e6)}ms`;
    return `${p3(ns / 1e9)}s`;
  };
  const fmtUnit = (v: number, unit: string): string => {
    if (v === null || !Number.isFinite(v)) return '-';
    if (unit === 'ns') return fmtNs(v);
    if (unit === 'share') return `${(v * 100).toFixed(1)}%`;
    return Number.isInteger(v) ? String(v) : v.toFixed(1);
  };
  const color = (combo: number) => palette[combo % palette.length]!;
  const finite = (v: number | null) => v !== null && Number.isFinite(v);

  function make(id: string, option: Record<string, unknown>, points: number): void {
    const box = document.getElementById(id);
    if (box === null) throw new Error(`no element #${id}`);
    const chart = echarts.init(box, undefined, { renderer: 'canvas' });
    chart.setOption({ animation: false, ...option } as EC.EChartsOption);
    window.addEventListener('resize', () => chart.resize());
    state.charts.push({ id, series: (option.series as unknown[]).length, points });
  }

  function cdf(ch: CdfChart): void {
    const ps = data.cdf.percentiles;
    const series: unknown[] = [];
    let points = 0;
    for (const b of ch.series) {
      const name = data.combos[b.combo]!;
      const line = (vals: number[], main: boolean) => {
        const pts = ps.map((p, i) => [Math.max(1, vals[i]!), p]).filter((q) => finite(q[0]!));
        points += main ? pts.length : 0;
        return {
          type: 'line', name, data: pts, showSymbol: main, symbolSize: 4, color: color(b.combo), z: main ? 3 : 2,
          lineStyle: main ? { width: 2 } : { width: 1, type: 'dashed', opacity: 0.6 }, silent: !main,
        };
      };
      series.push(line(b.median, true));
      if (data.seeds > 1) series.push(line(b.min, false), line(b.max, false));
    }
    make(ch.id, {
      title: { text: ch.title, left: 'center', textStyle: { fontSize: 13 } },
      legend: { type: 'scroll', bottom: 0 },
      grid: { left: 55, right: 20, top: 40, bottom: 70 },
      tooltip: {
        trigger: 'item',
        formatter: (p: { seriesName: string; value: number[] }) => `${esc(p.seriesName)}<br>p${p.value[1]}: ${esc(fmtNs(p.value[0]!))}`,
      },
      xAxis: { type: 'log', name: 'latency', nameLocation: 'middle', nameGap: 25, axisLabel: { formatter: (v: number) => fmtNs(v) } },
      yAxis: { type: 'value', min: 0, max: 100, name: 'percentile', axisLabel: { formatter: '{value}%' } },
      dataZoom: [{ type: 'inside', xAxisIndex: 0 }, { type: 'slider', yAxisIndex: 0, right: 0, width: 14, startValue: 0, endValue: 100 }],
      series,
    }, points);
  }

  function bars(ch: BarChart): void {
    const series = ch.series.map((s) => ({
      type: 'bar', name: s.name, data: s.values, stack: ch.stacked ? 'total' : undefined,
      color: ch.stacked ? catColors[s.name] : undefined, barMaxWidth: 28,
    }));
    make(ch.id, {
      title: { text: ch.title, left: 'center', textStyle: { fontSize: 13 } },
      legend: { type: 'scroll', bottom: 0 },
      grid: { left: 10, right: 30, top: 40, bottom: 50, containLabel: true },
      tooltip: {
        trigger: 'item',
        formatter: (p: { seriesName: string; name: string; value: number }) => `${esc(p.name)}<br>${esc(p.seriesName)}: ${esc(fmtUnit(p.value, ch.unit))}`,
      },
      xAxis: {
        type: 'value', max: ch.unit === 'share' ? 1 : undefined, minInterval: ch.unit === 'share' ? undefined : 1,
        axisLabel: { formatter: (v: number) => fmtUnit(v, ch.unit) },
      },
      yAxis: { type: 'category', data: ch.categories, inverse: true },
      series,
    }, ch.series.reduce((n, s) => n + s.values.length, 0));
  }

  function sweep(ch: SweepChart): void {
    const series: unknown[] = [];
    let points = 0;
    const xs = ch.x;
    const all: number[] = [];
    for (const b of ch.series) {
      const name = data.combos[b.combo]!;
      const pts = xs.map((x, i) => [x, b.median[i]!]).filter((q) => finite(q[1]!));
      points += pts.length;
      for (const v of [...b.min, ...b.max]) if (finite(v)) all.push(v);
      series.push({ type: 'line', name, data: pts, color: color(b.combo), symbolSize: 6, z: 3 });
      if (data.seeds > 1) series.push(bandSeries(b, name));
    }
    const positive = all.length > 0 && all.every((v) => v > 0);
    const yLog = positive && Math.max(...all) / Math.min(...all) >= 50;
    make(ch.id, {
      title: { text: ch.title, left: 'center', textStyle: { fontSize: 13 } },
      legend: { type: 'scroll', bottom: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 70 },
      tooltip: {
        trigger: 'item',
        formatter: (p: { seriesName: string; value: number[] }) =>
          `${esc(p.seriesName)}<br>${esc(ch.xLabel)} = ${esc(ch.xUnit === 'ns' ? fmtNs(p.value[0]!) : String(p.value[0]))}<br>${esc(ch.figure)}: ${esc(fmtUnit(p.value[1]!, ch.unit))}`,
      },
      xAxis: {
        type: ch.xLog ? 'log' : 'value', name: ch.xLabel, nameLocation: 'middle', nameGap: 25, scale: true,
        axisLabel: { formatter: (v: number) => (ch.xUnit === 'ns' ? fmtNs(v) : String(v)) },
      },
      yAxis: { type: yLog ? 'log' : 'value', scale: true, axisLabel: { formatter: (v: number) => fmtUnit(v, ch.unit) } },
      series,
    }, points);

    function bandSeries(b: Band, name: string): unknown {
      const idx = xs.map((_, i) => i).filter((i) => finite(b.min[i]!) && finite(b.max[i]!));
      // Data points at the band's corners keep them inside the axis range; the polygon is drawn once.
      const corners = idx.flatMap((i) => [[xs[i]!, b.min[i]!], [xs[i]!, b.max[i]!]]);
      return {
        type: 'custom', name, silent: true, z: 1, data: corners, tooltip: { show: false },
        renderItem: (params: { dataIndex: number }, api: { coord: (v: number[]) => number[] }) => {
          if (params.dataIndex !== 0) return null;
          const upper = idx.map((i) => api.coord([xs[i]!, b.max[i]!]));
          const lower = idx.slice().reverse().map((i) => api.coord([xs[i]!, b.min[i]!]));
          return { type: 'polygon', shape: { points: [...upper, ...lower] }, style: { fill: color(b.combo), opacity: 0.18 } };
        },
      };
    }
  }

  const run = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      state.errors.push(`${what}: ${String(e)}`);
      console.error(`faultline report: ${what}:`, e);
    }
  };
  for (const ch of data.cdf.charts) run(ch.id, () => cdf(ch));
  for (const ch of data.bars) run(ch.id, () => bars(ch));
  for (const ch of data.sweep) run(ch.id, () => sweep(ch));
  state.ready = true;
  document.body.setAttribute('data-ready', 'true');
}
