/**
 * Opaque calls, for state caching (docs/checker.md, "State caching"). A
 * task's local state is a function of the values its code has read; the
 * checker records them (its input history, ./track.ts). The lock primitives
 * below are methods whose result is all that reaches their caller: they take
 * the task and flags, read and write only fields of their own object (and
 * wake tasks), and return a boolean or nothing. So the values they read are
 * not inputs of the task; their result is. Their reads and writes still go
 * into the step's footprint, and everything they change is in the shared
 * state the state hash covers.
 *
 * Audited for: RwSemaphore (tryRead, tryWrite, enqueue, releaseRead,
 * releaseWrite, downgrade, cancel_wait) and Folio (trylock, enqueue, unlock,
 * cancel_wait; the getters nrWaiters and idle). Not opaque: methods that
 * write into a caller's array (`blockers`) or return one (`queue`).
 * Installed for the duration of a stateful search (searchSteps), removed
 * after it, so the simulator never runs through them.
 */
import { Folio, RwSemaphore } from '../model/index.js';
import { fold, lanes } from './hash.js';
import { runningTracker } from './track.js';

const METHODS: ReadonlyArray<readonly [{ prototype: object }, readonly string[], readonly string[]]> = [
  [RwSemaphore, ['tryRead', 'tryWrite', 'enqueue', 'releaseRead', 'releaseWrite', 'downgrade', 'cancel_wait'], []],
  [Folio, ['trylock', 'enqueue', 'unlock', 'cancel_wait'], ['nrWaiters', 'idle']],
];

type Fn = (this: unknown, ...args: unknown[]) => unknown;

function wrap(f: Fn): Fn {
  return function (this: unknown, ...args: unknown[]): unknown {
    return opaqueCall(() => f.apply(this, args));
  };
}

/**
 * Run `f` as an opaque call: while a stateful search's step runs, the values
 * it reads are not inputs of the running task (they stay in the step's
 * footprint); its result is. The model's module functions audited for this
 * call it through the `opaque` hook (`opaque_call` in src/model/custom.ts):
 * `vma_start_read` (returns the kernel's NULL / -EAGAIN / locked as a
 * number), `mm_lock_seqcount_begin` and `vma_end_write_all` (increment
 * `mm_lock_seq`), `vma_write_locked_now` and `vma_stamp_write`
 * (vma_start_write's test and stamp of `vm_lock_seq`), `vma_has_readers`
 * (vma_start_write's test of the reader count, a boolean). Each reads and
 * writes only fields of the VMA and mm it is given, and what it read flows
 * only into its result or back into those fields. One exception, handled at
 * its call site: on a VMA of another mm, `vma_start_read` mmgrabs `vma->vm_mm`
 * (a write to a tracked object, in the footprint) and hands that mm to its
 * caller through `unstable_mm`; `lock_vma_found` re-reads `vma->vm_mm` after
 * the call, in the same step, so which mm it is becomes the task's input.
 */
export function opaqueCall<R>(f: () => R): R {
  const t = runningTracker();
  if (t === null || !t.hist || !t.on) return f();
  const a = lanes.a, b = lanes.b;
  t.opaque++;
  let r: R;
  try {
    r = f();
  } finally {
    t.opaque--;
    lanes.a = a;
    lanes.b = b;
  }
  if (r !== undefined && typeof r !== 'boolean' && typeof r !== 'number') {
    throw new Error(`check: opaque call returned a ${typeof r}`);
  }
  if (t.opaque === 0) {
    fold(0x0a9e);
    t.foldValue(r);
  }
  return r;
}

let saved: Array<() => void> | null = null;

/** Make the audited lock primitives opaque (idempotent). */
export function installOpaque(): void {
  if (saved !== null) return;
  saved = [];
  for (const [cls, methods, getters] of METHODS) {
    const proto = cls.prototype as Record<string, unknown>;
    for (const m of methods) {
      const f = proto[m] as Fn;
      if (typeof f !== 'function') throw new Error(`check: no method ${m}`);
      proto[m] = wrap(f);
      saved.push(() => { proto[m] = f; });
    }
    for (const g of getters) {
      const d = Object.getOwnPropertyDescriptor(proto, g);
      if (d?.get === undefined) throw new Error(`check: no getter ${g}`);
      Object.defineProperty(proto, g, { ...d, get: wrap(d.get as Fn) });
      saved.push(() => Object.defineProperty(proto, g, d));
    }
  }
}

/** Restore the methods. */
export function uninstallOpaque(): void {
  if (saved === null) return;
  for (const undo of saved) undo();
  saved = null;
}
