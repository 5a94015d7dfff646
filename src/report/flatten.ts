/**
 * RunMetrics as a flat map of named figures (`ops.USER_INTERACTIVE.fault.p99`),
 * the unit of aggregation over seeds. Figures that do not exist in a run
 * (a percentile of no samples) are absent, not 0.
 */
import { TIME_CATEGORIES, WAIT_DECADE_LABELS, type DurationStats, type FrameStats, type OpStats, type RunMetrics } from '../metrics/index.js';
import { formatNs } from './format.js';

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
  if (ml.waitDecades !== undefined) {
    WAIT_DECADE_LABELS.forEach((label, i) => {
      out.set(`mmap_lock.read_wait_decades.${label}`, ml.waitDecades!.read[i] ?? 0);
      out.set(`mmap_lock.write_wait_decades.${label}`, ml.waitDecades!.write[i] ?? 0);
    });
  }
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
  if (m.frames !== undefined) {
    for (const [name, f] of Object.entries(m.frames.byThread)) frames(out, `frames.${name}`, f);
    frames(out, 'frames.any', m.frames.any);
  }
  const mem = m.memory;
  if (mem !== undefined) {
    for (const cls of m.classes) {
      const s = mem.byClass[cls];
      if (s === undefined) continue;
      durations(out, `memory.${cls}.reclaim_stall`, s.reclaimStall);
      durations(out, `memory.${cls}.high_throttle`, s.highThrottle);
    }
    out.set('memory.psi_some', mem.psi.some);
    out.set('memory.psi_full', mem.psi.full);
    if (mem.psi.window > 0) {
      out.set('memory.psi_some.share', mem.psi.some / mem.psi.window);
      out.set('memory.psi_full.share', mem.psi.full / mem.psi.window);
    }
    const retries = m.vmEvents.FAULT_RETRY ?? 0;
    if (retries > 0) out.set('memory.retry_miss_share', (m.vmEvents.RETRY_IO_MISS ?? 0) / retries);
  }
  const d = m.death;
  if (d !== undefined) {
    if (d.reapLatency !== null) out.set('death.reap_latency', d.reapLatency);
    if (d.threadsExitLatency !== null) out.set('death.threads_exit_latency', d.threadsExitLatency);
    if (d.exitLatency !== null) out.set('death.exit_latency', d.exitLatency);
    out.set('death.reap_trylock_failures', d.reapTrylockFailures);
    out.set('death.reap_gave_up', d.reapGaveUp ? 1 : 0);
  }
  return out;
}

/** Frame figures: count, skipped (vsyncs), missed_<deadline> (e.g. missed_16.7ms), p50, p99, max. */
function frames(out: Figures, p: string, f: FrameStats): void {
  out.set(`${p}.count`, f.count);
  out.set(`${p}.skipped`, f.skipped);
  for (const m of f.missed) out.set(`${p}.missed_${formatNs(m.deadline)}`, m.count);
  if (f.latency === null) return;
  out.set(`${p}.p50`, f.latency.p50);
  out.set(`${p}.p99`, f.latency.p99);
  out.set(`${p}.max`, f.latency.max);
}
