/**
 * RunMetrics as a flat map of named figures (`ops.USER_INTERACTIVE.fault.p99`),
 * the unit of aggregation over seeds. Figures that do not exist in a run
 * (a percentile of no samples) are absent, not 0.
 */
import { TIME_CATEGORIES, type DurationStats, type OpStats, type RunMetrics } from '../metrics/index.js';

export type Figures = Map<string, number>;

function ops(out: Figures, prefix: string, byOp: Partial<Record<string, OpStats>>): void {
  for (const [op, s] of Object.entries(byOp)) {
    if (s === undefined) continue;
    const p = `${prefix}.${op}`;
    out.set(`${p}.count`, s.count);
    out.set(`${p}.unfinished`, s.unfinished);
    const l = s.latency;
    if (l === null) continue;
    out.set(`${p}.mean`, l.mean);
    out.set(`${p}.p50`, l.p50);
    out.set(`${p}.p90`, l.p90);
    out.set(`${p}.p99`, l.p99);
    out.set(`${p}.p99.9`, l.p999);
    out.set(`${p}.max`, l.max);
  }
}

function durations(out: Figures, p: string, d: DurationStats): void {
  out.set(`${p}.count`, d.count);
  out.set(`${p}.total`, d.total);
  if (d.p99 !== null) out.set(`${p}.p99`, d.p99);
  if (d.max !== null) out.set(`${p}.max`, d.max);
}

export function flatten(m: RunMetrics): Figures {
  const out: Figures = new Map();
  for (const cls of m.classes) ops(out, `ops.${cls}`, m.opsByClass[cls] ?? {});
  ops(out, 'ops.all', m.opsAll);
  const ml = m.mmapLock;
  durations(out, 'mmap_lock.read_wait', ml.readWait);
  durations(out, 'mmap_lock.write_wait', ml.writeWait);
  durations(out, 'mmap_lock.read_hold', ml.readHold);
  durations(out, 'mmap_lock.write_hold', ml.writeHold);
  out.set('mmap_lock.read_acquisitions', ml.readAcquisitions);
  out.set('mmap_lock.write_acquisitions', ml.writeAcquisitions);
  out.set('mmap_lock.failed_trylocks', ml.failedTrylocks);
  durations(out, 'vma_lock.writer_wait', m.vmaLock.writerWait);
  for (const [name, n] of Object.entries(m.vmEvents)) out.set(`vm_events.${name}`, n);
  for (const cls of m.classes) {
    const b = m.breakdown[cls];
    if (b === undefined) continue;
    out.set(`time.${cls}.op_time`, b.opTime);
    for (const cat of TIME_CATEGORIES) {
      out.set(`time.${cls}.${cat}`, b.ns[cat]);
      if (b.fraction !== null) out.set(`time.${cls}.${cat}.share`, b.fraction[cat]);
    }
  }
  const inv = m.inversion;
  if (inv.analysed) {
    for (const cls of m.classes) {
      const s = inv.byClass[cls];
      if (s === undefined) continue;
      out.set(`inversion.${cls}.inverted_time`, s.invertedTime);
      out.set(`inversion.${cls}.max_chain`, s.maxChain);
    }
    out.set('inversion.longest_chain', inv.longestChain?.length ?? 0);
  }
  return out;
}
