/** The fit table `faultline calibrate` prints. */
import { formatNs } from '../report/index.js';
import { fitRows } from './fit.js';
import type { CostProfile } from './profile.js';
import type { CostName } from '../model/cost.js';

function roundRange(v: readonly number[] | undefined): string {
  if (v === undefined) return '-';
  return `${formatNs(Math.min(...v))}-${formatNs(Math.max(...v))}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

export function renderFitTable(p: CostProfile): string {
  const out: string[] = [];
  out.push(`faultline calibrate: cost profile ${p.name}`);
  if (p.host !== null) {
    out.push(`  host: Linux ${p.host.kernel}, ${p.host.cpus} CPU(s), ${p.host.cpu}; load average ${p.host.load.map((x) => x.toFixed(2)).join(' ')} at ${p.host.measured}`);
  }
  out.push('');
  const rounds = p.rounds !== undefined;
  const head = `  ${pad('cost', 20)} ${lpad('fitted', 9)} ${lpad('default', 9)} ${lpad('p10', 9)} ${lpad('p50', 9)} ${lpad('p90', 9)} ${lpad('n', 6)} ${lpad('R²', 6)}${rounds ? ` ${lpad('rounds min-max', 19)}` : ''}  source`;
  out.push(head);
  for (const r of fitRows(p)) {
    const s = r.spread;
    const rv = rounds ? ` ${lpad(roundRange(p.costs[r.cost as CostName]?.rounds), 19)}` : '';
    out.push(`  ${pad(r.cost, 20)} ${lpad(formatNs(r.value), 9)} ${lpad(r.previous === null ? '-' : formatNs(r.previous), 9)} ${lpad(s === null ? '-' : formatNs(s.p10), 9)} ${lpad(s === null ? '-' : formatNs(s.p50), 9)} ${lpad(s === null ? '-' : formatNs(s.p90), 9)} ${lpad(s === null ? '-' : String(s.n), 6)} ${lpad(r.r2 === null ? '-' : r.r2.toFixed(3), 6)}${rv}  ${r.source}`);
  }
  out.push('');
  out.push('  p10/p50/p90: spread of the samples the value comes from (for a fit, of all its samples); R²: of the fit over the per-parameter medians, each weighted by 1/median² (relative error).');
  if (p.rounds !== undefined) {
    const r = p.rounds;
    const off = r.probe.filter((x) => x.outside);
    out.push(`  ${r.count} rounds: each cost is the median of the rounds' own fits (p10..R² are the median round's); rounds min-max: the lowest and highest round.`);
    out.push(`  host probe per round (median / the median of the rounds, band ±${Math.round(r.band * 100)} %)${off.length > 0 ? `: ${off.length} round(s) outside the band, a slow episode of the host (the median leaves one such round out)` : ': every round in band'}:`);
    for (const x of r.probe) {
      out.push(`    round ${x.round}: ${Object.entries(x.ratios).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}${x.outside ? '  outside' : ''}`);
    }
  }
  const m = Object.entries(p.measurements);
  if (m.length > 0) {
    out.push('');
    out.push('  measured, not a model cost (kept in the profile under measurements):');
    for (const [k, v] of m) {
      let fig = '';
      if (v.spread !== undefined) fig = `p50 ${formatNs(v.spread.p50)} (p10 ${formatNs(v.spread.p10)}, p90 ${formatNs(v.spread.p90)})`;
      else if (v.fit !== undefined) fig = `${formatNs(v.fit.intercept)} + ${formatNs(v.fit.slope)} × x (R² ${v.fit.r2.toFixed(3)})`;
      else if (v.by !== undefined) fig = v.by.map((b) => `${b.x}: ${formatNs(b.spread.p50)}`).join(', ');
      out.push(`    ${pad(k, 28)} ${fig}`);
    }
  }
  return out.join('\n') + '\n';
}
