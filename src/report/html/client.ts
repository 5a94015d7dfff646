/**
 * The report's browser code. `clientMain` is serialised with
 * Function.prototype.toString into the page (page.ts), so it must not use
 * anything from outside its own body at run time: only the `echarts` global
 * (the bundled library) and the JSON data block. Type imports are erased.
 * Every text it puts in HTML (tooltips) is escaped; chart labels are canvas
 * text.
 */
import type * as EC from 'echarts';
import type { Band, BarChart, CdfChart, DecadeChart, ReportData, SweepChart } from './data.js';

declare const echarts: typeof EC;

export function clientMain(): void {
  interface ChartState { id: string; series: number; points: number; legend: { type: string; names: string[] } }
  const state: { ready: boolean; charts: ChartState[]; errors: string[] } = { ready: false, charts: [], errors: [] };
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

  const symbols = ['circle', 'rect', 'triangle', 'diamond', 'roundRect', 'pin', 'arrow'];
  const symbol = (combo: number) => symbols[combo % symbols.length]!;

  /**
   * A legend name broken into lines that fit `chars` characters: at ` = `
   * (identical lines) first, then at ` / ` and `+`; never cut.
   */
  function wrapName(name: string, chars: number): string {
    if (name.length <= chars) return name;
    const pieces = name.split(/(?<= = )|(?<= \/ )|(?=\+)/);
    const lines: string[] = [];
    let line = '';
    for (const p of pieces) {
      if (line !== '' && (line + p).length > chars) {
        lines.push(line.trimEnd());
        line = '';
      }
      line += p;
    }
    if (line !== '') lines.push(line);
    return lines.join('\n');
  }

  /**
   * Height in px of a plain legend of `names` in a box `width` px wide (a
   * conservative estimate: 7 px per character at 12 px, plus the icon; 16 px
   * per text line, 6 px between rows).
   */
  function legendHeight(names: readonly string[], width: number): number {
    let height = 0, rowLines = 0, x = 0;
    for (const n of names) {
      const lines = n.split('\n');
      const w = 40 + 7 * Math.max(...lines.map((l) => l.length));
      if (x > 0 && x + w > width - 20) {
        height += rowLines * 16 + 6;
        x = 0;
        rowLines = 0;
      }
      x += w;
      rowLines = Math.max(rowLines, lines.length);
    }
    return height + rowLines * 16 + 6;
  }

  /**
   * Draw a chart. Legends are plain (never paged, every name shown in full,
   * long names on several lines): the box grows by the legend's height and
   * the plot keeps its own.
   */
  function make(id: string, option: Record<string, unknown>, points: number, legendNames: string[], gridBottom: number, minHeight = 0): void {
    const box = document.getElementById(id);
    if (box === null) throw new Error(`no element #${id}`);
    const chars = Math.max(20, Math.floor((box.clientWidth - 80) / 7));
    const shown = legendNames.map((n) => wrapName(n, chars));
    const extra = legendNames.length === 0 ? 0 : legendHeight(shown, box.clientWidth);
    box.style.height = `${Math.max(box.clientHeight, minHeight) + Math.max(0, extra - 22)}px`;
    const chart = echarts.init(box, undefined, { renderer: 'canvas' });
    const legend = legendNames.length === 0 ? { show: false } : {
      type: 'plain', bottom: 4, left: 10, right: 10, data: legendNames, textStyle: { fontSize: 12, lineHeight: 16 },
      formatter: (name: string) => wrapName(name, chars),
    };
    const grid = { ...(option.grid as Record<string, unknown>), bottom: gridBottom + extra };
    chart.setOption({ animation: false, ...option, legend, grid } as EC.EChartsOption);
    window.addEventListener('resize', () => chart.resize());
    state.charts.push({ id, series: (option.series as unknown[]).length, points, legend: { type: legendNames.length === 0 ? 'none' : 'plain', names: legendNames } });
  }

  /** -log10(1 - p/100): 90% -> 1, 99% -> 2, 99.9% -> 3 (the "nines" of HdrHistogram plots). */
  const nines = (p: number) => -Math.log10(1 - p / 100);
  const ninesLabel = (v: number) => {
    const p = 100 * (1 - Math.pow(10, -v));
    return `${Number(p.toFixed(4))}%`;
  };

  function cdf(ch: CdfChart): void {
    const ps = data.cdf.percentiles;
    const series: unknown[] = [];
    const names: string[] = [];
    let points = 0;
    const n = ch.series.length;
    ch.series.forEach((b, k) => {
      const name = b.same === undefined ? data.combos[b.combo]! : `${[b.combo, ...b.same].map((i) => data.combos[i]!).join(' = ')} (identical)`;
      names.push(name);
      // Earlier lines are drawn wider, underneath: lines that nearly coincide still show each colour.
      const width = 2 + 1.2 * (n - 1 - k);
      const line = (vals: number[], main: boolean) => {
        const pts = ps.map((p, i) => [nines(p), Math.max(1, vals[i]!)]).filter((q) => Number.isFinite(q[0]!) && finite(q[1]!));
        points += main ? pts.length : 0;
        return {
          type: 'line', name, data: pts, showSymbol: main, symbol: symbol(b.combo), symbolSize: 6, color: color(b.combo), z: main ? 3 + k : 2,
          lineStyle: main ? { width, opacity: 0.9 } : { width: 1, type: 'dashed', opacity: 0.6 }, silent: !main,
        };
      };
      series.push(line(b.median, true));
      if (data.seeds > 1) series.push(line(b.min, false), line(b.max, false));
    });
    const marks = [[50, 'p50'], [99, 'p99'], [99.9, 'p99.9'], [99.99, 'p99.99']] as const;
    if (series.length > 0) {
      (series[0] as Record<string, unknown>).markLine = {
        silent: true, symbol: 'none', lineStyle: { color: '#999', type: 'dotted', width: 1 },
        label: { formatter: '{b}', position: 'end', color: '#555' },
        data: marks.map(([p, label]) => ({ xAxis: nines(p), name: label })),
      };
    }
    make(ch.id, {
      title: { text: ch.title, left: 'center', textStyle: { fontSize: 13 } },
      grid: { left: 60, right: 24, top: 48 },
      tooltip: {
        trigger: 'item',
        formatter: (p: { seriesName: string; value: number[] }) => `${esc(p.seriesName)}<br>${esc(ninesLabel(p.value[0]!))}: ${esc(fmtNs(p.value[1]!))}`,
      },
      xAxis: {
        type: 'value', min: 0, max: 4, interval: 1, name: 'percentile', nameLocation: 'middle', nameGap: 25,
        axisLabel: { formatter: (v: number) => ninesLabel(v) },
      },
      yAxis: { type: 'log', name: 'latency', axisLabel: { formatter: (v: number) => fmtNs(v) } },
      series,
    }, points, names, 50);
  }

  function decades(ch: DecadeChart): void {
    const names = ch.series.map((s) => data.combos[s.combo]!);
    const series = ch.series.map((s, k) => ({
      type: 'bar', name: names[k], color: color(s.combo), barMaxWidth: 26,
      data: s.total.map((v, i) => ({ value: v > 0 ? v : '-', read: s.read[i], write: s.write[i] })),
      label: { show: true, position: 'top', fontSize: 10, formatter: (p: { value: number }) => fmtUnit(p.value, 'count') },
    }));
    make(ch.id, {
      title: { text: ch.title, left: 'center', textStyle: { fontSize: 13 } },
      grid: { left: 60, right: 24, top: 48 },
      tooltip: {
        trigger: 'item',
        formatter: (p: { seriesName: string; name: string; data: { value: number; read: number; write: number } }) =>
          `${esc(p.seriesName)}<br>${esc(p.name)}: ${esc(fmtUnit(p.data.value, 'count'))} (down_read ${esc(fmtUnit(p.data.read, 'count'))}, down_write ${esc(fmtUnit(p.data.write, 'count'))})`,
      },
      xAxis: { type: 'category', data: ch.buckets, name: 'wait duration', nameLocation: 'middle', nameGap: 25, axisLabel: { interval: 0 } },
      yAxis: { type: 'log', name: 'waits', min: 0.5, axisLabel: { formatter: (v: number) => (v < 1 ? '' : fmtUnit(v, 'count')) } },
      series,
    }, ch.series.reduce((n, s) => n + s.total.filter((v) => v > 0).length, 0), names, 50);
  }

  function bars(ch: BarChart): void {
    const series = ch.series.map((s) => ({
      type: 'bar', name: s.name, data: s.values, stack: ch.stacked ? 'total' : undefined,
      color: ch.stacked ? catColors[s.name] : undefined, barMaxWidth: 28,
    }));
    make(ch.id, {
      title: { text: ch.title, left: 'center', textStyle: { fontSize: 13 } },
      grid: { left: 10, right: 30, top: 40, containLabel: true },
      tooltip: {
        trigger: 'item',
        formatter: (p: { seriesName: string; name: string; value: number }) => `${esc(p.name)}<br>${esc(p.seriesName)}: ${esc(fmtUnit(p.value, ch.unit))}`,
      },
      xAxis: {
        type: 'value', max: ch.unit === 'share' ? 1 : undefined, minInterval: ch.unit === 'share' ? undefined : 1,
        axisLabel: { formatter: (v: number) => fmtUnit(v, ch.unit) },
      },
      yAxis: { type: 'category', data: ch.categories, inverse: true, axisLabel: { lineHeight: 14 } },
      series,
    }, ch.series.reduce((n, s) => n + s.values.length, 0), ch.series.map((s) => s.name), 30, 110 + 40 * ch.categories.length);
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
      grid: { left: 60, right: 20, top: 40 },
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
    }, points, ch.series.map((b) => data.combos[b.combo]!), 50);

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
  if (data.decades !== undefined) {
    const ch = data.decades;
    run(ch.id, () => decades(ch));
  }
  for (const ch of data.sweep) run(ch.id, () => sweep(ch));
  state.ready = true;
  document.body.setAttribute('data-ready', 'true');
}
