/**
 * Barry Song's five-thread chain (see barry-chain.test.ts) observed by a
 * MetricsCollector: T1..T3 (BACKGROUND) fault and read for 10 ms; T4 (DEFAULT)
 * forks at 1 ms; T5 (USER_INTERACTIVE) mprotects at 2 ms.
 */
import { do_mprotect_pkey, do_user_addr_fault, dup_mmap, sleep, type KPath } from '../src/model/index.js';
import { MetricsCollector, type RunMetrics } from '../src/metrics/index.js';
import { buildMm, costArray, Simulator, type SimTask } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { fileGroup, ms, scenario, us, zeroCosts } from './helpers.js';

export function runBarry(strategy: string, warmup = 0): RunMetrics {
  const sc = scenario({
    vmas: [fileGroup('vma', 4, 16)],
    costs: zeroCosts({ handle_mm_fault: us(1), dup_vma: us(1), mprotect_fixup: us(1) }),
    warmup,
  });
  const { mm, slots } = buildMm(sc, faultStrategy(strategy), forkStrategy('fork-lock-all'));
  const col = new MetricsCollector(sc, { fault: strategy, fork: 'fork-lock-all', seed: 1 });
  const sim = new Simulator({
    cpus: null, preempt: true, costs: costArray(sc), seed: 1, observer: col,
    laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold],
  }, mm);
  const vma = slots.get('vma')!;
  for (let i = 0; i < 3; i++) mm.vmas[i]!.evicted.add(3); // page 3 of vma1..3: not in the page cache
  const prog = (start: number, op: 'fault' | 'fork' | 'mprotect', body: () => KPath<unknown>) =>
    function* (t: SimTask): KPath {
      yield sleep(start);
      col.opBegin(sim.now, t, op);
      yield* body();
      col.opEnd(sim.now, t, op, 0);
    };
  for (let i = 0; i < 3; i++) {
    sim.spawn(`T${i + 1}`, 'BACKGROUND', prog(0, 'fault', () => do_user_addr_fault(mm, vma[i]!.start + 3, false)));
  }
  sim.spawn('T4', 'DEFAULT', prog(ms(1), 'fork', () => dup_mmap(mm)));
  sim.spawn('T5', 'USER_INTERACTIVE', prog(ms(2), 'mprotect', () => do_mprotect_pkey(mm, vma[3]!.start, 1)));
  sim.run(ms(50));
  return col.result();
}
