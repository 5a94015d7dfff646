/**
 * DPOR with state caching against exhaustive search, on small abstract
 * programs (fast-check): threads that read shared variables into a local
 * register and write constants or their register. The scheduler under test
 * (./src/check/dfs.ts) drives them as it drives the model; the state is the
 * variables, program counters and registers. Every search must reach the
 * same set of final states as the unreduced DFS (each final state is the end
 * of a Mazurkiewicz trace, which DPOR must explore; a pruned state's final
 * states were reached when it was explored before). Without the subtree
 * summaries of pruned states (./src/check/summary.ts) this fails: a race
 * between the current path and the pruned subtree is lost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DfsScheduler, type Footprint } from '../src/check/index.js';

type Op = { readonly k: 'r'; readonly v: number } | { readonly k: 'w'; readonly v: number; readonly val: number | 'reg' };
type Program = ReadonlyArray<readonly Op[]>;

interface Options { sleepSets: boolean; dpor: boolean; stateCache: boolean }

/** Final states (vars and registers) reached by a search of `prog`. */
function finals(prog: Program, nvars: number, o: Options): Set<string> {
  const sched = new DfsScheduler({ nthreads: prog.length, mask: prog.map((t) => t.length), sleepSets: o.sleepSets, dpor: o.dpor, preemptionBound: null, stateCache: o.stateCache });
  const out = new Set<string>();
  const ids = new Map<string, number>();
  for (let plan = sched.newExecution(); plan !== null; plan = sched.newExecution()) {
    const vars = new Array<number>(nvars).fill(0);
    const pc = prog.map(() => 0);
    const reg = prog.map(() => 0);
    const key = (): string => `${vars.join(',')}|${pc.join(',')}|${reg.join(',')}`;
    // Exact state ids (no hashing): the state is small.
    sched.bindState(() => {
      const k = key();
      let id = ids.get(k);
      if (id === undefined) ids.set(k, (id = ids.size));
      return [id, 0];
    });
    let current: number | null = null;
    for (;;) {
      const runnable = prog.map((_t, i) => i).filter((i) => pc[i]! < prog[i]!.length);
      if (runnable.length === 0) {
        out.add(`${vars.join(',')}|${reg.join(',')}`);
        break;
      }
      const t = sched.nextThread(runnable, current);
      if (t === null) break;
      const replay = sched.replaying();
      const op = prog[t]![pc[t]!]!;
      let fp: Footprint;
      if (op.k === 'r') {
        reg[t] = reg[t]! * 7 + vars[op.v]! + 1; // the register keeps every value read
        fp = { r: [op.v], w: [] };
      } else {
        vars[op.v] = op.val === 'reg' ? reg[t]! : op.val;
        fp = { r: [], w: [op.v] };
      }
      pc[t]!++;
      sched.stepDone(t, sched.wantsFootprints && !replay ? fp : null, { woke: [], spawned: [] });
      current = t;
    }
  }
  return out;
}

const opArb = (nvars: number): fc.Arbitrary<Op> => fc.oneof(
  fc.record({ k: fc.constant('r' as const), v: fc.nat(nvars - 1) }),
  fc.record({ k: fc.constant('w' as const), v: fc.nat(nvars - 1), val: fc.oneof(fc.constant('reg' as const), fc.integer({ min: 1, max: 2 })) }),
);
const progArb = fc.array(fc.array(opArb(2), { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 3 });

const FULL: Options = { sleepSets: false, dpor: false, stateCache: false };

describe('DPOR with state caching on abstract programs', () => {
  it('reaches every final state the unreduced search reaches (and no other)', () => {
    fc.assert(fc.property(progArb, (prog) => {
      const want = [...finals(prog, 2, FULL)].sort();
      for (const o of [
        { sleepSets: true, dpor: true, stateCache: false },
        { sleepSets: true, dpor: false, stateCache: true },
        { sleepSets: true, dpor: true, stateCache: true },
      ]) {
        expect([...finals(prog, 2, o)].sort(), JSON.stringify(o)).toEqual(want);
      }
    }), { numRuns: Number(process.env['NRUNS'] ?? 400), seed: Number(process.env['SEED'] ?? 15) });
  }, 600_000);
});
