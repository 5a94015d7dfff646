/**
 * `npm run bench:dpor [-- --configs LIST] [--no-state-cache] [--precise-cuts] [--max-executions N]`
 *
 * Where the exhaustive search's executions go (docs/checker.md, "Where
 * DPOR's executions go"): the unbounded DFS (DPOR, sleep sets, state caching
 * unless --no-state-cache; no bug-hunting passes) on check-spin-anchor, with
 * how its executions end (complete, blocked by the sleep set, cut at a state
 * explored before) and what became of the options DPOR added to backtrack
 * sets (./src/check/dfs-stats.ts). Counts only, deterministic; one JSON line
 * per configuration on stdout. `--precise-cuts`: DfsOptions.preciseCuts, with
 * how many cut races a walk of the stored states resolved (`precise`) and
 * how many it left to the coarse rule (`precise_fallback`).
 */
import { parseArgs } from 'node:util';
import { DfsScheduler, INVARIANT_NAMES, loadCheckScenario, search, type CheckModel } from '../src/check/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

const CONFIGS: Record<string, { policy: 'HOLD' | 'DROP'; nfault: number }> = {
  'HOLD-2': { policy: 'HOLD', nfault: 2 }, 'DROP-2': { policy: 'DROP', nfault: 2 },
  'HOLD-3': { policy: 'HOLD', nfault: 3 }, 'DROP-3': { policy: 'DROP', nfault: 3 },
};

function main(): void {
  const a = parseArgs({ options: { configs: { type: 'string' }, 'no-state-cache': { type: 'boolean' }, 'precise-cuts': { type: 'boolean' }, 'max-executions': { type: 'string' } } }).values;
  const names = (a.configs ?? 'HOLD-2,DROP-2,HOLD-3').split(',');
  const stateCache = a['no-state-cache'] !== true;
  const preciseCuts = a['precise-cuts'] === true;
  const maxExecutions = a['max-executions'] !== undefined ? Number(a['max-executions']) : null;
  for (const name of names) {
    const c = CONFIGS[name];
    if (c === undefined) throw new Error(`check-dpor: unknown configuration '${name}' (known: ${Object.keys(CONFIGS).join(', ')})`);
    const scenario = loadCheckScenario('check-spin-anchor', { nfault: c.nfault });
    const model: CheckModel = {
      scenario, fault: faultStrategy(c.policy === 'HOLD' ? 'hold-io+mmap' : 'mainline'), fork: forkStrategy('fork-lock-all'),
      injections: [], invariants: new Set(INVARIANT_NAMES), stateCache,
    };
    const mask = scenario.threads.map((t) => t.ops.length);
    const sched = new DfsScheduler({ nthreads: mask.length, mask, sleepSets: true, dpor: true, preemptionBound: null, stateCache, ...(preciseCuts ? { preciseCuts } : {}) });
    const t0 = process.hrtime.bigint();
    const out = search(model, sched, { maxSteps: 4000, maxExecutions });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const s = out.stats;
    const complete = s.executions - sched.sleepBlocked - sched.cacheHits - sched.boundBlocked;
    process.stdout.write(JSON.stringify({
      config: name, state_cache: stateCache, finished: !out.stoppedEarly, verdict: out.violation !== null ? out.violation.violation?.invariant : 'none',
      executions: s.executions, ended_complete: complete, ended_sleep_blocked: sched.sleepBlocked, ended_cache_cut: sched.cacheHits,
      new_steps: s.newSteps, stored: s.stored, backtrack: sched.dporStats.counts(),
      ...(preciseCuts ? { precise: sched.dporStats.precise, precise_fallback: sched.dporStats.preciseFallback } : {}), wall_s: Math.round(wall * 100) / 100,
    }) + '\n');
  }
}

main();
