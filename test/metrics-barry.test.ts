/** MetricsCollector on Barry Song's five-thread chain (runner: metrics-barry-run.ts). */
import { describe, expect, it } from 'vitest';
import { runBarry } from './metrics-barry-run.js';
import { ms, us } from './helpers.js';

describe('MetricsCollector on the Barry chain', () => {
  it('hold-io: exact lock waits', () => {
    const m = runBarry('hold-io');
    // T5 queues on mmap_lock (down_write) from 2ms until the fork's unlock at 10ms+5us.
    expect(m.mmapLock.writeWait).toEqual({ count: 1, total: ms(8) + us(5), p99: ms(8) + us(5), max: ms(8) + us(5) });
    expect(m.mmapLock.readWait).toEqual({ count: 0, total: 0, p99: null, max: null });
    // T4 sleeps in vma_start_write(vma1) from 1ms until T1's vma_end_read at 10ms+1us.
    expect(m.vmaLock.writerWait).toEqual({ count: 1, total: ms(9) + us(1), p99: ms(9) + us(1), max: ms(9) + us(1) });
    // Fork holds mmap_lock for write 1ms -> 10ms+5us; mprotect 10ms+5us -> 10ms+6us.
    expect(m.mmapLock.writeHold).toEqual({ count: 2, total: ms(9) + us(6), p99: ms(9) + us(5), max: ms(9) + us(5) });
    expect(m.mmapLock.writeAcquisitions).toBe(2);
  });

  it('hold-io: inversion behind the chain T5 -> T4 -> T1 -> io', () => {
    const inv = runBarry('hold-io').inversion;
    expect(inv.analysed).toBe(true);
    expect(inv.longestChain).toEqual({ length: 3, chain: 'T5 -> T4 -> T1 -> io', at: ms(2) });
    // USER_INTERACTIVE T5 is inverted for its whole mmap_lock wait (behind DEFAULT T4).
    expect(inv.byClass.USER_INTERACTIVE).toEqual({ invertedTime: ms(8) + us(5), maxChain: 3 });
    // DEFAULT T4 waits behind BACKGROUND T1 for its whole vma_start_write wait.
    expect(inv.byClass.DEFAULT).toEqual({ invertedTime: ms(9) + us(1), maxChain: 2 });
    // T1..T3 wait only for their own I/O.
    expect(inv.byClass.BACKGROUND).toEqual({ invertedTime: 0, maxChain: 1 });
  });

  it('hold-io: op latency and time breakdown of T5', () => {
    const m = runBarry('hold-io');
    const mprotect = m.opsByClass.USER_INTERACTIVE!.mprotect!;
    expect(mprotect.count).toBe(1);
    expect(mprotect.latency).toMatchObject({ count: 1, mean: ms(8) + us(6), max: ms(8) + us(6) });
    const b = m.breakdown.USER_INTERACTIVE!;
    expect(b.opTime).toBe(ms(8) + us(6));
    expect(b.ns).toMatchObject({ running: us(1), mmap_lock: ms(8) + us(5), runqueue: 0, vma_lock: 0, io: 0, other: 0 });
    expect(b.fraction!.mmap_lock).toBeCloseTo((ms(8) + us(5)) / (ms(8) + us(6)), 12);
    expect(m.opsAll.fault!.count).toBe(3);
  });

  it('mainline: no inversion, faults wait on I/O only', () => {
    const m = runBarry('mainline');
    expect(m.mmapLock.writeWait.count).toBe(0);
    expect(m.vmaLock.writerWait.count).toBe(0);
    expect(m.inversion.byClass.USER_INTERACTIVE!.invertedTime).toBe(0);
    expect(m.inversion.longestChain).toEqual({ length: 1, chain: 'T1 -> io', at: us(1) });
    expect(m.breakdown.BACKGROUND!.ns.io).toBe(3 * ms(10));
    expect(m.vmEvents.VMA_LOCK_RETRY).toBe(3);
  });
});
