/** Blocking chains on hand-made wait-for graphs: cycles, self, fan-out, long queues. */
import { describe, expect, it } from 'vitest';
import type { Task, WaitResource } from '../src/model/index.js';
import { MetricsCollector } from '../src/metrics/index.js';
import { PRIORITY_CLASSES, type PriorityClass } from '../src/scenario/types.js';
import type { SimTaskInfo } from '../src/sim/index.js';
import { fileGroup, scenario } from './helpers.js';

function task(id: number, cls: PriorityClass): SimTaskInfo {
  return { id, comm: `t${id}`, prio: PRIORITY_CLASSES.indexOf(cls), cls, group: `t${id}` };
}

/** A resource whose blockers are given by a function (so they can change). */
function res(label: string, who: () => Task[], lockClass: WaitResource['lockClass'] = 'mmap_lock'): WaitResource {
  return { lockClass, label, blockers: (_w, out) => { out.push(...who()); } };
}

function collector() {
  return new MetricsCollector(scenario({ vmas: [fileGroup('f', 1)] }), { fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
}

describe('inversion tracker', () => {
  it('survives cycles and self-references; counts inversion only behind lower priority', () => {
    const c = collector();
    const a = task(0, 'USER_INTERACTIVE'), b = task(1, 'BACKGROUND'), d = task(2, 'USER_INTERACTIVE');
    c.blocked(100, a, res('ra', () => [a, b]), 'down_read', 'mmap_lock');
    c.blocked(200, b, res('rb', () => [b, a]), 'vma_start_write', 'vma_lock'); // deadlock a <-> b
    c.blocked(300, d, res('rd', () => [a]), 'down_write', 'mmap_lock');
    c.woken(400, d);
    c.finish(1000, null as never);
    const inv = c.result().inversion;
    // a: behind b (BACKGROUND) from 100 to the end. d: behind a -> b from 300 to 400.
    expect(inv.byClass.USER_INTERACTIVE).toEqual({ invertedTime: 900 + 100, maxChain: 3 });
    // b: behind a (higher priority): not inverted.
    expect(inv.byClass.BACKGROUND).toEqual({ invertedTime: 0, maxChain: 2 });
    expect(inv.longestChain).toEqual({ length: 3, chain: 't2 -> t0 -> t1', at: 300 });
  });

  it('stays linear on a long queue where everyone waits behind everyone ahead', () => {
    const c = collector();
    const n = 60;
    const tasks = Array.from({ length: n }, (_, i) => task(i, i === n - 1 ? 'USER_INTERACTIVE' : 'BACKGROUND'));
    tasks.forEach((t, i) => c.blocked(i, t, res(`q${i}`, () => tasks.slice(0, i), 'folio'), 'folio_lock', i === 0 ? 'io' : 'folio'));
    c.finish(n + 10, null as never);
    const inv = c.result().inversion;
    expect(inv.longestChain!.length).toBe(n);
    expect(inv.longestChain!.chain.endsWith('t1 -> t0 -> io')).toBe(true);
    expect(inv.byClass.USER_INTERACTIVE).toEqual({ invertedTime: 11, maxChain: n }); // blocked at n-1, run ends at n+10
  });
});
