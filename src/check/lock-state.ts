/** Lock state after a step, compactly, for counterexamples (Execution.lockState); split out of ./executor.ts. */
import type { Task } from '../model/index.js';
import type { Execution } from './executor.js';

/** Lock state after a step, compactly, for counterexamples. */
export function lockState(this: Execution): string {
  const parts: string[] = [];
  const n = (t: Task | null): string => (t === null ? '?' : this.name(t.id));
  for (const m of this.mms.values()) {
    const sem = m.mmap_lock;
    let s = '';
    if (sem.writer !== null) s = `W:${n(sem.writer)}`;
    else if (sem.readers.length > 0) s = `R:${sem.readers.map(n).join(',')}`;
    const q = sem.queue();
    if (q.length > 0) s += `${s !== '' ? ' ' : ''}queue:${q.map((x) => `${n(x.task)}(${x.write ? 'w' : 'r'})`).join(',')}`;
    if (m.freed) s += `${s !== '' ? ' ' : ''}freed`;
    if (s !== '') parts.push(`${m.comm === '' ? 'mmap_lock' : `mm(${m.comm}) mmap_lock`} ${s}`);
  }
  for (const o of this.obs) {
    const v = o.vma;
    const seg: string[] = [];
    if (v.readers.length > 0) seg.push(`R:${v.readers.map(n).join(',')}`);
    if (v.vm_lock_seq === v.mm.mm_lock_seq && (v.mm.mm_lock_seq & 1) === 1) seg.push(`W:${n(v.mm.mmap_lock.writer)}`);
    if (v.excludeReaders) seg.push(`excl(${n(v.writerWaiting)} waits)`);
    if (v.freed) seg.push('freed');
    else if (v.detached) seg.push('detached');
    if (o.copyBy >= 0) seg.push(`copy_page_range:${this.name(o.copyBy)}`);
    if (o.changeBy >= 0) seg.push(`change_protection:${this.name(o.changeBy)}`);
    if (o.zapN > 0) seg.push(`zap:${this.name(o.zapBy)}`);
    for (const f of v.cache.values()) {
      if (!f.locked && f.nrWaiters === 0) continue;
      const owner = f.owner === 'io' ? 'io' : f.owner === null ? '-' : n(f.owner);
      seg.push(`${f.label}:${f.locked ? `locked(${owner})` : 'unlocked'}${f.nrWaiters > 0 ? ` ${f.nrWaiters} waiting` : ''}`);
    }
    if (seg.length > 0) parts.push(`${v.label} ${seg.join(' ')}`);
  }
  return parts.length > 0 ? parts.join('; ') : '-';
}
