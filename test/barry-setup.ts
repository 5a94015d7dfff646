/**
 * Barry Song's five-thread chain (2026-05-19), built once for every test that
 * uses it: T1..T3 (BACKGROUND) fault page 3 of vma1..vma3, which is not in the
 * page cache (10 ms read); T4 (DEFAULT) forks at 1 ms; T5 (USER_INTERACTIVE)
 * mprotects vma4 at 2 ms. Costs: handle_mm_fault, dup_vma and mprotect_fixup
 * 1 us each, everything else 0; unlimited CPUs. The simulator is returned
 * unrun, so a test may add tasks (e.g. a killer) first.
 */
import { do_mprotect_pkey, do_user_addr_fault, dup_mmap, sleep, type KPath, type MmStruct } from '../src/model/index.js';
import type { OpName, Scenario } from '../src/scenario/types.js';
import { buildMm, costArray, Simulator, type SimObserver, type SimTask } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { fileGroup, ms, scenario, us, zeroCosts } from './helpers.js';

export interface BarrySetup<O extends SimObserver> {
  sim: Simulator;
  observer: O;
  mm: MmStruct;
  /** T1..T5 in order. */
  app: SimTask[];
}

/** `observer` is an observer, or a factory given the scenario (e.g. for a MetricsCollector). */
export function barrySetup<O extends SimObserver>(strategy: string, observer: O | ((sc: Scenario) => O), warmup = 0): BarrySetup<O> {
  const sc = scenario({
    vmas: [fileGroup('vma', 4, 16)],
    costs: zeroCosts({ handle_mm_fault: us(1), dup_vma: us(1), mprotect_fixup: us(1) }),
    warmup,
  });
  const { mm, slots } = buildMm(sc, faultStrategy(strategy), forkStrategy('fork-lock-all'));
  if (typeof observer === 'function') observer = observer(sc);
  const sim = new Simulator({
    cpus: null, preempt: true, costs: costArray(sc), seed: 1, observer,
    laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold],
  }, mm);
  const vma = slots.get('vma')!;
  for (let i = 0; i < 3; i++) mm.vmas[i]!.evicted.add(3); // page 3 of vma1..3: not in the page cache
  const prog = (start: number, op: OpName, body: () => KPath<unknown>) =>
    function* (t: SimTask): KPath {
      const obs = observer as O;
      yield sleep(start);
      obs.opBegin(sim.now, t, op);
      const r = yield* body();
      obs.opEnd(sim.now, t, op, typeof r === 'number' ? r : r === false ? -4 : 0);
    };
  const app: SimTask[] = [];
  for (let i = 0; i < 3; i++) {
    app.push(sim.spawn(`T${i + 1}`, 'BACKGROUND', prog(0, 'fault', () => do_user_addr_fault(mm, vma[i]!.start + 3, false))));
  }
  app.push(sim.spawn('T4', 'DEFAULT', prog(ms(1), 'fork', () => dup_mmap(mm))));
  app.push(sim.spawn('T5', 'USER_INTERACTIVE', prog(ms(2), 'mprotect', () => do_mprotect_pkey(mm, vma[3]!.start, 1))));
  return { sim, observer, mm, app };
}
