/**
 * The periodic scheduler tick on a busy CPU (src/sim/cpus.ts
 * CpuSched.sched_tick; Cost.tick_sched_timer every Cost.tick_nsec, none on an
 * idle CPU: CONFIG_NO_HZ_IDLE) and its fit from the recorded `sched-tick`
 * bench (native/calibrate-tick.c; docs/calibration.md "What interrupts a real
 * writer, traced"). Exact lanes on 1 and 2 CPUs; the engine properties are in
 * test/cpu-identity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_unlock, sleep, type KPath } from '../src/model/index.js';
import { fitProfile } from '../src/calibrate/fit.js';
import { calibRecorded } from '../src/calibrate/shipped.js';
import { SUITE } from '../src/calibrate/suite.js';
import type { SimTaskInfo } from '../src/sim/index.js';
import { burn, lanes } from './lanes.js';
import { us } from './helpers.js';

/** Lanes with a tick of `costUs` every `periodUs`; `ticks` collects [CPU, task, µs] of every tick charged. */
function tickLanes(cpus: number | null, costUs: number, periodUs = 100) {
  const h = lanes({ cpus, preempt: false, costs: { tick_sched_timer: us(costUs), tick_nsec: us(periodUs) } });
  const ticks: Array<[number, string, number]> = [];
  const rec = h.rec as unknown as { irq?: (t: number, cpu: number, task: SimTaskInfo | null, what: string, ns: number) => void };
  rec.irq = (t, cpu, task, what) => { if (what === 'tick_sched_timer') ticks.push([cpu, task?.comm ?? 'idle', t / 1000]); };
  return { h, ticks };
}

describe('the scheduler tick takes tick_sched_timer from the task on a busy CPU', () => {
  it('1 CPU: a 250 us burst from 0 takes the ticks at 100 and 200 us and ends 2 x 20 us later', () => {
    const { h, ticks } = tickLanes(1, 20);
    h.lane('holder', 0, function* (): KPath {
      yield* mmap_read_lock(h.mm);
      yield* burn(250);
      mmap_read_unlock(h.mm);
      h.mark('up_read');
    });
    h.run(1000);
    expect(h.marks).toEqual([['holder', 'up_read', 290]]);
    expect(ticks).toEqual([[0, 'holder', 100], [0, 'holder', 200]]);
  });

  it.each([
    ['cost 0 (the default): no tick at all', 1, 0],
    ['unlimited CPUs have no identity: no tick', null, 20],
  ] as const)('%s', (_name, cpus, cost) => {
    const { h, ticks } = tickLanes(cpus, cost);
    h.lane('holder', 0, function* (): KPath {
      yield* burn(250);
      h.mark('done');
    });
    h.run(1000);
    expect(h.marks).toEqual([['holder', 'done', 250]]);
    expect(ticks).toEqual([]);
  });

  it('the ticks are on the grid of tick_nsec, not counted from when the CPU became busy', () => {
    const { h, ticks } = tickLanes(1, 20);
    h.lane('late', 30, function* (): KPath {
      yield* burn(100); // 30-130 us: the tick at 100 us lands in it
      h.mark('done');
    });
    h.run(1000);
    expect(h.marks).toEqual([['late', 'done', 150]]);
    expect(ticks).toEqual([[0, 'late', 100]]);
  });

  it('an idle CPU has no tick (NO_HZ_IDLE): a task asleep across the boundaries loses nothing', () => {
    const { h, ticks } = tickLanes(1, 20);
    h.lane('sleeper', 0, function* (): KPath {
      yield* burn(30); // 0-30 us
      yield sleep(us(220)); // asleep at 100 and 200 us
      yield* burn(30); // 250-280 us: no boundary inside
      h.mark('done');
    });
    h.run(1000);
    expect(h.marks).toEqual([['sleeper', 'done', 280]]);
    expect(ticks).toEqual([]);
  });

  it('2 CPUs: each busy CPU takes its own tick; a writer waiting on the longer read hold waits it out', () => {
    const { h, ticks } = tickLanes(2, 20);
    h.lane('holder', 0, function* (): KPath {
      yield* mmap_read_lock(h.mm);
      yield* burn(150);
      mmap_read_unlock(h.mm);
      h.mark('up_read');
    });
    h.lane('other', 0, function* (): KPath {
      yield* burn(150);
      h.mark('done');
    });
    h.lane('writer', 120, function* (): KPath {
      yield* mmap_write_lock(h.mm); // both CPUs busy at 120 us: queued; it needs no CPU to wait
      h.mark('write locked');
      mmap_write_unlock(h.mm);
    });
    h.run(1000);
    expect(h.marks).toEqual([['holder', 'up_read', 170], ['other', 'done', 170], ['writer', 'write locked', 170]]);
    expect(ticks).toEqual([[0, 'holder', 100], [1, 'other', 100]]);
  });

});

describe('fit: tick_sched_timer and tick_nsec from the sched-tick bench', { timeout: 20_000 }, () => {
  const recorded = calibRecorded();
  const host = { kernel: 'k', cpus: 2, cpu: 'c', load: [0, 0, 0] as [number, number, number], measured: 't' };
  const nearestRank = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.ceil(v.length / 2) - 1]!;

  it('is in the suite; its fixture has samples at one HZ (X > 0) and half a period off (X = 0)', () => {
    expect(SUITE.some((b) => b.key === 'sched-tick' && b.args[0] === 'sched-tick')).toBe(true);
    const s = recorded.get('sched-tick')!.samples;
    const hz = [...s.keys()].filter((x) => x > 0);
    expect(hz).toHaveLength(1);
    expect(s.get(hz[0]!)!.length).toBe(s.get(0)!.length);
  });

  it('tick_sched_timer is median(X=HZ) - median(X=0), derived; tick_nsec is 1e9 / HZ, measured', () => {
    const s = recorded.get('sched-tick')!.samples;
    const hz = [...s.keys()].find((x) => x > 0)!;
    const want = nearestRank(s.get(hz)!) - nearestRank(s.get(0)!);
    expect(want).toBeGreaterThan(1000); // a timer interrupt in this guest is µs
    const p = fitProfile({ name: 'x', description: 'x', host, benches: recorded });
    expect(p.costs.tick_sched_timer).toMatchObject({ value: want, source: 'derived' });
    expect(p.costs.tick_sched_timer.spread?.p50).toBe(nearestRank(s.get(hz)!));
    expect(p.costs.tick_nsec).toMatchObject({ value: Math.round(1e9 / hz), source: 'measured' });
  });

  it('without the bench both keep their default (0: no tick)', () => {
    const b = new Map(recorded);
    b.delete('sched-tick');
    const p = fitProfile({ name: 'x', description: 'x', host, benches: b });
    expect(p.costs.tick_sched_timer).toMatchObject({ value: 0, source: 'default' });
    expect(p.costs.tick_nsec).toMatchObject({ value: 0, source: 'default' });
  });
});

describe('the short-sleep bench: a measurement, no model cost', { timeout: 20_000 }, () => {
  const recorded = calibRecorded();
  const host = { kernel: 'k', cpus: 2, cpu: 'c', load: [0, 0, 0] as [number, number, number], measured: 't' };

  it('is in the suite; the profile keeps its samples by X = 10 S + k as a measurement, each X with its median', () => {
    expect(SUITE.some((b) => b.key === 'short-sleep' && b.args[0] === 'short-sleep')).toBe(true);
    const s = recorded.get('short-sleep')!.samples;
    const p = fitProfile({ name: 'x', description: 'x', host, benches: recorded });
    const m = p.measurements.short_sleep_by_sleep!;
    expect(m.by!.map((e) => e.x)).toEqual([...s.keys()].sort((a, b) => a - b));
    for (const e of m.by!) expect(e.spread.n).toBe(s.get(e.x)!.length);
    expect([...s.keys()].every((x) => x % 10 === 0 || x % 10 === 1)).toBe(true);
  });
});
