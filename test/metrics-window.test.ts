/** Warm-up clipping, huge values, one-priority runs, unfinished ops. */
import { describe, expect, it } from 'vitest';
import { Distribution, MetricsCollector, measure } from '../src/metrics/index.js';
import type { SimTaskInfo } from '../src/sim/index.js';
import { runBarry } from './metrics-barry-run.js';
import { fileGroup, ms, scenario, us } from './helpers.js';

describe('warm-up', () => {
  it('drops ops and waits that begin before it, clips time-based figures to it', () => {
    const m = runBarry('hold-io', ms(5));
    expect(m.window).toEqual({ warmup: ms(5), end: ms(50) });
    // Every op began before 5ms.
    expect(m.opsAll).toEqual({});
    expect(m.mmapLock.writeWait.count).toBe(0);
    expect(m.vmaLock.writerWait.count).toBe(0);
    expect(m.mmapLock.writeHold.count).toBe(1); // mprotect's hold at 10ms+5us
    // T5 is inverted 2ms -> 10ms+5us; 5ms of that is warm-up.
    expect(m.inversion.byClass.USER_INTERACTIVE!.invertedTime).toBe(ms(5) + us(5));
    expect(m.inversion.byClass.DEFAULT!.invertedTime).toBe(ms(5) + us(1));
    expect(m.inversion.longestChain).toEqual({ length: 3, chain: 'T5 -> T4 -> T1 -> io', at: ms(5) });
    // T5's op spans 2ms -> 10ms+6us: 5ms+6us after warm-up, 5ms+5us of it on mmap_lock.
    expect(m.breakdown.USER_INTERACTIVE).toMatchObject({ opTime: ms(5) + us(6), ns: { mmap_lock: ms(5) + us(5), running: us(1) } });
  });
});

describe('Distribution', () => {
  it('records values above 2^32 ns with 3 significant digits', () => {
    const d = new Distribution();
    const hour = 3600e9;
    for (let i = 1; i <= 1000; i++) d.record(i * 1000);
    d.record(hour);
    const l = d.latency()!;
    expect(l.count).toBe(1001);
    expect(l.max).toBe(hour);
    // 501st of 1001 values = 501us, reported within 0.1% (highest equivalent value).
    expect(l.p50).toBeGreaterThanOrEqual(501_000);
    expect(l.p50).toBeLessThanOrEqual(501_000 * 1.001);
    expect(l.p999).toBeLessThanOrEqual(1_000_000 * 1.001);
    expect(d.percentile(100)).toBe(hour);
    expect(l.mean).toBeCloseTo((500_500_000 + hour) / 1001, 6);
  });

  it('is empty without samples', () => {
    expect(new Distribution().latency()).toBeNull();
    expect(new Distribution().durations()).toEqual({ count: 0, total: 0, p99: null, max: null });
  });
});

describe('collector edge cases', () => {
  const task = (id: number, cls: SimTaskInfo['cls']): SimTaskInfo => ({ id, comm: `t${id}`, prio: 0, cls, group: `t${id}` });

  it('counts unfinished ops and skips inversion analysis with one priority', () => {
    const sc = scenario({ vmas: [fileGroup('f', 1)], warmup: 100 });
    const c = new MetricsCollector(sc, { fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    const a = task(0, 'USER_INTERACTIVE'), b = task(1, 'USER_INTERACTIVE');
    c.opBegin(50, a, 'fault');     // before warm-up: ignored
    c.opEnd(150, a, 'fault', 0);
    c.opBegin(200, a, 'fault');
    c.opEnd(260, a, 'fault', 0);
    c.opBegin(300, b, 'munmap');   // never ends
    c.finish(1000, null as never);
    const m = c.result();
    expect(m.opsAll.fault).toMatchObject({ count: 1, unfinished: 0, latency: { p50: 60, max: 60 } });
    expect(m.opsAll.munmap).toEqual({ count: 0, unfinished: 1, latency: null });
    expect(m.inversion).toEqual({ analysed: false, byClass: { USER_INTERACTIVE: { invertedTime: 0, maxChain: 0 } }, longestChain: null });
    // Op time: 150-100 + 260-200 + 1000-300.
    expect(m.breakdown.USER_INTERACTIVE!.opTime).toBe(50 + 60 + 700);
  });

  it('an op begun before warm-up is left out whether it ends or not, and a kind seen only then has no entry (OpLatencies.warmupSink)', () => {
    const sc = scenario({ vmas: [fileGroup('f', 1)], warmup: 100 });
    const c = new MetricsCollector(sc, { fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    const a = task(0, 'USER_INTERACTIVE'), b = task(1, 'BACKGROUND'), d = task(2, 'USER_INTERACTIVE');
    c.opBegin(10, a, 'mprotect');  // before warm-up, ends after it
    c.opEnd(400, a, 'mprotect', 0);
    c.opBegin(20, b, 'munmap');    // before warm-up, never ends
    c.opBegin(30, d, 'fault');     // before warm-up, ends before it
    c.opEnd(60, d, 'fault', 0);
    c.opBegin(500, a, 'fault');    // the one op that counts
    c.opEnd(540, a, 'fault', 0);
    c.finish(1000, null as never);
    const m = c.result();
    expect(m.opsAll).toEqual({ fault: { count: 1, unfinished: 0, latency: expect.objectContaining({ p50: 40, max: 40 }) } });
    expect(m.opsByClass.BACKGROUND).toEqual({});
    expect(Object.keys(m.opsByClass.USER_INTERACTIVE!)).toEqual(['fault']);
    // Op time after warm-up only: 400-100 + 540-500 (UI), 1000-100 (BACKGROUND's open munmap).
    expect(m.breakdown.USER_INTERACTIVE!.opTime).toBe(300 + 40);
    expect(m.breakdown.BACKGROUND!.opTime).toBe(900);
  });

  it('measure() runs a scenario end to end', () => {
    const sc = scenario({
      vmas: [fileGroup('f', 1)],
      threads: [{ name: 'ui', group: 'ui', class: 'USER_INTERACTIVE', start: 0, think: { law: 'constant', value: us(100) },
        ops: [{ op: 'fault', vma: 'f', access: 'read', states: [['cached', 1]], weight: 1, repeat: 1, gap: null }] }],
      duration: ms(10),
    });
    const m = measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 3 });
    expect(m.seed).toBe(3);
    expect(m.opsByClass.USER_INTERACTIVE!.fault!.count).toBeGreaterThan(50);
    expect(m.vmEvents.VMA_LOCK_SUCCESS).toBe(m.opsAll.fault!.count + m.opsAll.fault!.unfinished);
  });
});
