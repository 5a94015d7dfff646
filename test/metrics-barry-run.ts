/**
 * Barry Song's five-thread chain (see barry-chain.test.ts) observed by a
 * MetricsCollector: T1..T3 (BACKGROUND) fault and read for 10 ms; T4 (DEFAULT)
 * forks at 1 ms; T5 (USER_INTERACTIVE) mprotects at 2 ms.
 */
import { MetricsCollector, type RunMetrics } from '../src/metrics/index.js';
import { barrySetup } from './barry-setup.js';
import { ms } from './helpers.js';

export function runBarry(strategy: string, warmup = 0): RunMetrics {
  const { sim, observer } = barrySetup(strategy, (sc) => new MetricsCollector(sc, { fault: strategy, fork: 'fork-lock-all', seed: 1 }), warmup);
  sim.run(ms(50));
  return observer.result();
}
