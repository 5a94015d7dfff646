/**
 * Runs small abstract programs under a checker scheduler (./src/check/dfs.ts,
 * ./src/check/hunt.ts) the way the executor runs the model: threads of ops
 * over shared variables and a per-thread register; the state is the
 * variables, program counters and registers (exact ids, no hashing: it is
 * small). `apply` runs one op of thread `t` and returns its footprint; it may
 * make data choices with `sched.nextChoice`. Shared by the fast-check
 * properties of test/check-state-dpor.test.ts and test/check-replay-keep.test.ts.
 */
import type { DfsScheduler, Footprint, HuntScheduler } from '../src/check/index.js';

/** What one op sees: the shared variables and the threads' registers (both mutable). */
export interface AbstractState {
  readonly vars: number[];
  readonly reg: number[];
}

/** Every execution of the search: its final states (vars and registers) and the steps run. */
export function runAbstract<Op>(
  prog: ReadonlyArray<readonly Op[]>,
  nvars: number,
  sched: DfsScheduler | HuntScheduler,
  apply: (op: Op, t: number, s: AbstractState) => Footprint,
): { finals: Set<string>; steps: number } {
  const finals = new Set<string>();
  const ids = new Map<string, number>();
  let steps = 0;
  for (let plan = sched.newExecution(); plan !== null; plan = sched.newExecution()) {
    const s: AbstractState = { vars: new Array<number>(nvars).fill(0), reg: prog.map(() => 0) };
    const pc = prog.map(() => 0);
    sched.bindState(() => {
      const k = `${s.vars.join(',')}|${pc.join(',')}|${s.reg.join(',')}`;
      let id = ids.get(k);
      if (id === undefined) ids.set(k, (id = ids.size));
      return [id, 0];
    });
    let current: number | null = null;
    for (;;) {
      const runnable = prog.map((_t, i) => i).filter((i) => pc[i]! < prog[i]!.length);
      if (runnable.length === 0) {
        sched.executionDone();
        finals.add(`${s.vars.join(',')}|${s.reg.join(',')}`);
        break;
      }
      const t: number | null = sched.nextThread(runnable, current);
      if (t === null) break;
      const replay = sched.replaying();
      const fp = apply(prog[t]![pc[t]!]!, t, s);
      pc[t]!++;
      steps++;
      sched.stepDone(t, sched.wantsFootprints && !replay ? fp : null, { woke: [], spawned: [] });
      current = t;
    }
  }
  return { finals, steps };
}
