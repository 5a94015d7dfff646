/**
 * The simulator's thread loop (src/sim/thread-loop.ts ThreadLoop.next, a
 * resumable object run by Simulator.spawnLoop instead of a generator): exact
 * op times of hand-built scenarios for its states (the start sleep, think
 * times, an op's repeats and gaps, an op run as a CALL whose path returns to
 * it), a fatal signal ending every thread with do_exit's tail run once by
 * the last, and next_effect's last_return for a loop below the stack.
 */
import { describe, expect, it } from 'vitest';
import { call, cpu, Cost, last_return, next_effect, type KPath } from '../src/model/index.js';
import type { DeathEvent, SimTaskInfo } from '../src/sim/observer.js';
import { NullObserver } from '../src/sim/observer.js';
import { simulate } from '../src/sim/workload.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import type { OpName } from '../src/scenario/types.js';

/** Op starts and ends, and death milestones, at their simulated ns. */
class OpLog extends NullObserver {
  readonly begins: string[] = [];
  readonly ends: string[] = [];
  readonly deaths: string[] = [];
  override opBegin(t: number, task: SimTaskInfo, op: OpName): void { this.begins.push(`${t} ${task.comm} ${op}`); }
  override opEnd(t: number, task: SimTaskInfo, op: OpName, ret: number): void { this.ends.push(`${t} ${task.comm} ${op} ${ret}`); }
  override death(t: number, what: DeathEvent): void { this.deaths.push(`${t} ${what}`); }
}

function run(obj: Record<string, unknown>): OpLog {
  const obs = new OpLog();
  simulate({ scenario: scenarioFromObject(obj), fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), seed: 1, observer: obs });
  return obs;
}

// One CPU; a fault on a fresh anonymous page takes 2 us of CPU (handle_mm_fault + do_anonymous_page).
const base = {
  name: 'thread-loop', description: 'test', warmup: '0ms', cpus: 1,
  vmas: [{ name: 'heap', kind: 'anon', anon_vma: true, write: true, pages: 8192, resident: 0 }],
  costs: { handle_mm_fault: '1us', do_anonymous_page: '1us', anon_vma_prepare: '0ns' },
};

describe('ThreadLoop: the states of a thread loop, exact times', () => {
  it('start sleep, think time, repeats with gaps: each op at its time', () => {
    const log = run({
      ...base, duration: '320us',
      threads: [{ name: 't', start: '50us', think: '100us', ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 }, repeat: 3, gap: '10us' }] }],
    });
    // start 50 + think 100; a fault 2; gap 10 (three repeats); think 100 after the third.
    expect(log.begins).toEqual(['150000 t fault', '162000 t fault', '174000 t fault', '276000 t fault', '288000 t fault', '300000 t fault']);
    expect(log.ends.map((e) => e.split(' ')[0])).toEqual(['152000', '164000', '176000', '278000', '290000', '302000']);
  });

  it('an op other than a fault runs as a CALL, and its path\'s return resumes the loop', () => {
    const log = run({
      ...base, duration: '1ms',
      costs: { ...base.costs, mprotect_fixup: '5us' },
      threads: [{ name: 'w', think: '200us', ops: [{ op: 'mprotect', vma: 'heap', pages: 1, repeat: 2, gap: '20us' }] }],
    });
    expect(log.begins.length).toBeGreaterThanOrEqual(4);
    const begins = log.begins.map((b) => Number(b.split(' ')[0]));
    const ends = log.ends.map((b) => Number(b.split(' ')[0]));
    expect(log.ends.every((e) => e.endsWith('mprotect 0'))).toBe(true);
    // First at the think time; the repeat a gap after the first one ended; the next pair a think time after that.
    expect(begins[0]).toBe(200_000);
    expect(begins[1]).toBe(ends[0]! + 20_000);
    expect(begins[2]).toBe(ends[1]! + 200_000);
    expect(begins[3]).toBe(ends[2]! + 20_000);
  });

  it('a fatal signal ends every thread; the last one out runs exit_mmap, once', () => {
    const thread = (name: string) => ({ name, think: '30us', ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 } }] });
    const log = run({
      ...base, duration: '1ms', kill: { at: '100us', reaper: 'none' },
      threads: [thread('a'), thread('b'), { ...thread('late'), start: '500us' }],
    });
    expect(log.begins.every((b) => Number(b.split(' ')[0]) < 100_000)).toBe(true);
    expect(log.begins.filter((b) => b.includes(' a ')).length).toBeGreaterThanOrEqual(2);
    expect(log.begins.some((b) => b.includes(' late '))).toBe(false); // killed while in its start sleep
    expect(log.deaths.map((d) => d.split(' ')[1])).toEqual(['kill', 'threads_exited', 'exit_mmap_done']);
    expect(log.deaths[0]).toBe('100000 kill');
    expect(log.begins.length).toBe(log.ends.length);
  });
});

describe('next_effect: last_return', () => {
  it('hands a loop below the stack what the last path returned, once', () => {
    function* leaf(): KPath<number> {
      yield cpu(Cost.handle_mm_fault);
      return 42;
    }
    function* top(): KPath<string> {
      const v = (yield call(leaf())) as number;
      return `got ${v}`;
    }
    const stack: Array<KPath<unknown>> = [top()];
    expect(next_effect(stack, undefined)?.k).toBe(cpu(Cost.handle_mm_fault).k);
    expect(stack.length).toBe(2);
    expect(next_effect(stack, undefined)).toBeNull();
    expect(stack.length).toBe(0);
    expect(last_return()).toBe('got 42');
    expect(last_return()).toBeUndefined();
  });
});
