/**
 * Cheaper replayed steps (docs/checker.md, "Cheaper replayed steps (issue 15,
 * twelfth part)"): what the work they skip or do differently must keep.
 *
 * - Tracker.instrument moves an object's fields by its class's usual field
 *   order (positions, no lookup by name) when its own keys come in that
 *   order, and by name otherwise: both give the same tracked values and the
 *   same untracked own fields, in order.
 * - lockdep's cycle search runs only on checked steps (a replayed step ran
 *   afresh before and found nothing): the edges an unchecked step adds are
 *   still in the graph, and a checked step finds a cycle through them.
 */
import { describe, expect, it } from 'vitest';
import { Tracker } from '../src/check/index.js';
import { checkHooks, type HookHost } from '../src/check/check-hooks.js';
import { CheckTask } from '../src/check/check-task.js';
import type { InvariantName } from '../src/check/invariants.js';
import type { MmStruct } from '../src/model/index.js';

/** Fields in the order of `order`; `cb` (a function) is untracked. */
class Probe {
  [k: string]: unknown;
  constructor(order: readonly string[], vals: Readonly<Record<string, unknown>>) {
    for (const k of order) this[k] = vals[k];
  }
}

const VALS: Readonly<Record<string, unknown>> = { a: 1, b: 'two', c: null, d: [3, 4], cb: (): number => 5, e: 6 };
const USUAL = ['a', 'cb', 'b', 'c', 'd', 'e'];

function instrumented(order: readonly string[]): Probe {
  const o = new Probe(order, VALS);
  const t = new Tracker();
  t.register(o);
  t.flush();
  return o;
}

describe('Tracker.instrument by the usual field layout', () => {
  it('the first object fixes the layout; objects in it and in other orders keep every value and their untracked fields in order', () => {
    const first = instrumented(USUAL); // fixes Probe's layout
    const orders = [USUAL, ['e', 'd', 'c', 'b', 'cb', 'a'], ['cb', 'a', 'b', 'c', 'd', 'e'], ['a', 'b', 'cb', 'c', 'd', 'e']];
    for (const order of orders) {
      const o = order === USUAL ? first : instrumented(order);
      for (const k of Object.keys(VALS)) expect(o[k], `${order.join(',')}: ${k}`).toBe(VALS[k]);
      // Only the untracked field stays an own data property; the tracked ones are behind the accessors.
      expect(Object.keys(o)).toEqual(['cb']);
      expect(Object.getOwnPropertyDescriptor(o, 'a')).toBeUndefined();
      // A write goes to the store and reads back.
      o.a = 7;
      expect(o.a).toBe(7);
    }
  });

  it('an object whose own keys are a different set (a field missing) is moved by name', () => {
    instrumented(USUAL);
    const o = instrumented(['a', 'cb', 'b', 'c', 'e']); // no `d`: read by name, undefined
    expect(o.a).toBe(1);
    expect(o.e).toBe(6);
    expect(o.d).toBeUndefined();
    expect(Object.keys(o)).toEqual(['cb']);
  });
});

/** A host for the hooks: one task holding `mm`'s mmap_lock for write and a VMA read lock. */
function lockHost(): { host: HookHost & { checking: boolean }; recorded: string[]; me: CheckTask; mm: MmStruct } {
  const me = new CheckTask(0, 'T0', null);
  me.opLabel = 'op()';
  const mm = { mmap_lock: { writer: me, readers: [] } } as unknown as MmStruct;
  const recorded: string[] = [];
  const host = {
    tracker: new Tracker(), obs: [], obsOf: new Map(), lockEdges: new Map<string, string>(), cur: me, rmapWalks: false,
    checking: true,
    name: (id: number): string => `#${id}`,
    who: (): string => me.comm,
    record: (inv: InvariantName, message: string): void => {
      recorded.push(`${inv}: ${message}`);
    },
  };
  return { host, recorded, me, mm };
}

describe("lockdep's cycle search on checked steps only", () => {
  it('edges added by unchecked steps close a cycle that the next checked step reports', () => {
    const { host, recorded, me, mm } = lockHost();
    const h = checkHooks(host);
    host.checking = false;
    h.lock_acquire('vma_lock', mm); // mmap_lock -> vma_lock
    (mm.mmap_lock as unknown as { writer: unknown }).writer = null;
    me.vmaReadLocks = 1;
    h.lock_acquire('i_mmap_rwsem', mm); // vma_lock -> i_mmap_rwsem
    me.vmaReadLocks = 0;
    me.iMmapLocks = 1;
    expect([...host.lockEdges.keys()]).toEqual(['mmap_lock->vma_lock', 'vma_lock->i_mmap_rwsem']);
    expect(recorded).toEqual([]);

    // Holding i_mmap_rwsem, take mmap_lock: a cycle of three edges, no direct inversion.
    const unchecked = lockHost();
    for (const [k, w] of host.lockEdges) unchecked.host.lockEdges.set(k, w);
    unchecked.host.checking = false;
    (unchecked.mm.mmap_lock as unknown as { writer: unknown }).writer = null;
    unchecked.me.iMmapLocks = 1;
    checkHooks(unchecked.host).lock_acquire('mmap_lock', unchecked.mm);
    expect(unchecked.host.lockEdges.has('i_mmap_rwsem->mmap_lock')).toBe(true);
    expect(unchecked.recorded).toEqual([]); // not searched: a replayed step reports nothing

    host.checking = true;
    h.lock_acquire('mmap_lock', mm);
    expect(recorded.length).toBe(1);
    expect(recorded[0]).toMatch(/^lock-order: circular locking dependency: T0 in op\(\) takes mmap_lock while holding i_mmap_rwsem/);
  });
});
