/**
 * The model and format extensions the experiments need: fatal signals at the
 * killable sleeps (experiment 9), frame threads (experiments 4 and 10), and
 * per-thread I/O laws (experiment 6).
 */
import { describe, expect, it } from 'vitest';
import { send_sigkill, sleep, VM_FAULT_RETRY, type KPath } from '../src/model/index.js';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject, ScenarioError } from '../src/scenario/index.js';
import { barrySetup } from './barry-setup.js';
import { ms, Recorder, us } from './helpers.js';

/*
 * Barry's chain, then SIGKILL at 3 ms:
 *
 *   time(ms)  0        1          2        3                      10
 *   T1..T3    fault ── read I/O (10 ms) ───X (killed: folio wait ends)
 *   T4                 fork: mmap_write_lock, vma_start_write(vma1) X (-EINTR)
 *   T5                            mprotect: down_write (queued)     X (-EINTR)
 */
function barryKilled(strategy: string) {
  const rec = new Recorder();
  const { sim, mm, app } = barrySetup(strategy, rec);
  sim.spawn('lmkd', 'DEFAULT', function* (): KPath {
    yield sleep(ms(3));
    for (const t of app) send_sigkill(t);
  });
  sim.run(ms(50));
  return { rec, mm };
}

describe('fatal signals end killable sleeps (experiment 9)', () => {
  it('hold-io: SIGKILL ends the faults\' folio waits (VMA locks released), fork\'s vma_start_write_killable and the queued mprotect', () => {
    const { rec, mm } = barryKilled('hold-io');
    for (const t of ['T1', 'T2', 'T3']) {
      expect(rec.op(t)).toMatchObject({ end: ms(3) });
      expect(rec.op(t).ret & VM_FAULT_RETRY).toBe(VM_FAULT_RETRY);
    }
    expect(rec.op('T4', 'fork')).toMatchObject({ end: ms(3), ret: -4 });
    expect(rec.op('T5', 'mprotect')).toMatchObject({ end: ms(3), ret: -4 });
    // Nothing is left locked: no VMA reader, no mmap_lock holder or waiter.
    expect(mm.vmas.every((v) => v.nrReaders === 0 && !v.excludeReaders)).toBe(true);
    expect(mm.mmap_lock.writer).toBeNull();
    expect(mm.mmap_lock.readers).toEqual([]);
    expect(mm.mmap_lock.nrQueued).toBe(0);
  });

  it('mainline: the faults had dropped their VMA locks; fork and mprotect were done before the kill', () => {
    const { rec } = barryKilled('mainline');
    expect(rec.op('T1')).toMatchObject({ end: ms(3) });
    expect(rec.op('T4', 'fork')).toMatchObject({ end: ms(1) + us(4), ret: 0 });
    expect(rec.op('T5', 'mprotect')).toMatchObject({ end: ms(2) + us(1) });
  });
});

const BASE = {
  name: 'x', description: 'a test scenario', duration: '200ms', cpus: 'unlimited',
  io: { read: '10ms' },
  costs: { handle_mm_fault: '1us' },
  vmas: [{ name: 'code', kind: 'file', count: 4, pages: 64 }],
};

describe('scenario format: frames, per-thread io, kill', () => {
  it('a frame thread reports its frames; per-thread io slows only that thread\'s reads', () => {
    const sc = scenarioFromObject({
      ...BASE,
      threads: [
        { name: 'main', class: 'USER_INTERACTIVE', frame: { period: '16ms', deadlines: ['16ms', '8ms'], ops: [{ op: 'fault', vma: 'code', repeat: 2, gap: '1ms', states: { absent: 1 } }] } },
        { name: 'slow', class: 'BACKGROUND', think: '5ms', io: { read: '30ms' }, ops: [{ op: 'fault', vma: 'code', states: { absent: 1 } }] },
      ],
    });
    const m = measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    // Each frame: two 10 ms reads and a 1 ms gap, about 21 ms > 16 ms: every other vsync is skipped.
    const f = m.frames!;
    expect(f.deadlines).toEqual([16_000_000, 8_000_000]);
    expect(f.byThread.main!.count).toBeGreaterThanOrEqual(5);
    expect(f.byThread.main!.missed.map((x) => x.count)).toEqual([f.byThread.main!.count, f.byThread.main!.count]);
    expect(f.byThread.main!.skipped).toBeGreaterThanOrEqual(f.byThread.main!.count - 1);
    expect(f.byThread.main!.latency!.p50).toBeGreaterThan(ms(21));
    expect(m.opsByClass.BACKGROUND!.fault!.latency!.p50).toBeGreaterThan(ms(30));
    expect(m.opsByClass.USER_INTERACTIVE!.fault!.latency!.max).toBeLessThan(ms(11));
  });

  it('rejects what makes no sense', () => {
    const bad = (threads: unknown[], extra: Record<string, unknown> = {}) => {
      try {
        scenarioFromObject({ ...BASE, ...extra, threads });
      } catch (e) {
        if (e instanceof ScenarioError) return e.message;
        throw e;
      }
      return '';
    };
    const frame = { period: '16ms', ops: [{ op: 'fault', vma: 'code' }] };
    expect(bad([{ name: 'a', think: '1ms', frame }])).toMatch(/threads\[0\]\.think: a frame thread .* has no think/);
    expect(bad([{ name: 'a', frame: { ...frame, ops: [{ op: 'fault', vma: 'code', weight: 2 }] } }])).toMatch(/frame\.ops\[0\]\.weight: frame ops run in order/);
    expect(bad([{ name: 'a', ops: [{ op: 'fork' }] }])).toMatch(/threads\[0\]\.think: missing required field/);
    expect(bad([{ name: 'a', think: '1ms', ops: [{ op: 'fork' }] }], { kill: { at: '1s' } })).toMatch(/kill\.at: must be before the end of the run/);
    expect(bad([{ name: 'a', think: '1ms', io: { reed: '1ms' }, ops: [{ op: 'fork' }] }])).toMatch(/io\.reed: unknown key \(did you mean 'read'\?\)/);
  });
});
