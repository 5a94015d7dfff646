/**
 * `npm run bench:dpor [-- --configs LIST] [--no-state-cache] [--coarse-cuts] [--no-carry-cuts] [--cut-budget N] [--hunt K] [--max-executions N]`
 *
 * Where the exhaustive search's executions go (docs/checker.md, "Where
 * DPOR's executions go"): the unbounded DFS (DPOR, sleep sets, state caching
 * unless --no-state-cache; no bug-hunting passes) on check-spin-anchor, with
 * how its executions end (complete, blocked by the sleep set, cut at a state
 * explored before) and what became of the options DPOR added to backtrack
 * sets (./src/check/dfs-stats.ts). Counts only, deterministic; one JSON line
 * per configuration on stdout. Precise cut summaries (DfsOptions.preciseCuts,
 * the default; `--precise-cuts` is accepted for the older commands), with
 * how many cut races a walk of the stored states resolved (`precise`) and
 * how many it left to the coarse rule (`precise_fallback`, and why:
 * `fallback_why`, the walk's budget ran out, it reached a state or step not
 * known, a task id too wide); `--cut-budget N` sets the walk's budget
 * (default 32). `--coarse-cuts`: the coarse rule at every cut.
 * `--max-executions N` stops each search after N executions (the 4-fault
 * configurations: then `explored` is the DFS's estimate of the share of the
 * tree done). `--hunt K`: bug-hunting passes with bounds 0..K first, as
 * `faultline check` runs them (./src/check/hunt.ts; `--no-carry-cuts`: the
 * bounded passes keep no cut tree, the twelfth part's rule); the counts of how
 * executions ended, the backtrack sets and the walks are then the unbounded
 * pass's alone, `executions` all passes'.
 */
import { parseArgs } from 'node:util';
import { DfsScheduler, HuntScheduler, INVARIANT_NAMES, loadCheckScenario, search, type CheckModel } from '../src/check/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

const CONFIGS: Record<string, { policy: 'HOLD' | 'DROP'; nfault: number }> = {
  'HOLD-2': { policy: 'HOLD', nfault: 2 }, 'DROP-2': { policy: 'DROP', nfault: 2 },
  'HOLD-3': { policy: 'HOLD', nfault: 3 }, 'DROP-3': { policy: 'DROP', nfault: 3 },
  'HOLD-4': { policy: 'HOLD', nfault: 4 }, 'DROP-4': { policy: 'DROP', nfault: 4 },
};

function main(): void {
  const a = parseArgs({
    options: {
      configs: { type: 'string' }, 'no-state-cache': { type: 'boolean' }, 'precise-cuts': { type: 'boolean' }, 'coarse-cuts': { type: 'boolean' }, 'no-carry-cuts': { type: 'boolean' },
      'cut-budget': { type: 'string' }, hunt: { type: 'string' }, 'max-executions': { type: 'string' },
    },
  }).values;
  const names = (a.configs ?? 'HOLD-2,DROP-2,HOLD-3').split(',');
  const stateCache = a['no-state-cache'] !== true;
  if (a['precise-cuts'] === true && a['coarse-cuts'] === true) throw new Error('check-dpor: --precise-cuts and --coarse-cuts exclude each other');
  const preciseCuts = a['coarse-cuts'] !== true; // --precise-cuts: the default, kept for the older commands
  const budget = a['cut-budget'] !== undefined ? Number(a['cut-budget']) : undefined;
  const maxExecutions = a['max-executions'] !== undefined ? Number(a['max-executions']) : null;
  const hunt = a.hunt !== undefined ? Number(a.hunt) : null;
  for (const name of names) {
    const c = CONFIGS[name];
    if (c === undefined) throw new Error(`check-dpor: unknown configuration '${name}' (known: ${Object.keys(CONFIGS).join(', ')})`);
    const scenario = loadCheckScenario('check-spin-anchor', { nfault: c.nfault });
    const model: CheckModel = {
      scenario, fault: faultStrategy(c.policy === 'HOLD' ? 'hold-io+mmap' : 'mainline'), fork: forkStrategy('fork-lock-all'),
      injections: [], invariants: new Set(INVARIANT_NAMES), stateCache,
    };
    const mask = scenario.threads.map((t) => t.ops.length);
    const opts = {
      nthreads: mask.length, mask, sleepSets: true, dpor: true, preemptionBound: null, stateCache, preciseCuts,
      ...(a['no-carry-cuts'] === true ? { carryCuts: false } : {}),
      ...(budget !== undefined ? { preciseCutBudget: budget } : {}),
    };
    const top = hunt !== null ? new HuntScheduler(opts, hunt) : new DfsScheduler(opts);
    const t0 = process.hrtime.bigint();
    const out = search(model, top, { maxSteps: 4000, maxExecutions });
    const sched = top instanceof HuntScheduler ? top.current : top;
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const s = out.stats;
    const complete = sched.executions - sched.sleepBlocked - sched.cacheHits - sched.boundBlocked;
    const d = sched.dporStats;
    process.stdout.write(JSON.stringify({
      config: name, state_cache: stateCache, precise_cuts: sched.preciseCuts, ...(hunt !== null ? { hunt, unbounded_executions: sched.executions } : {}), finished: !out.stoppedEarly, verdict: out.violation !== null ? out.violation.violation?.invariant : 'none',
      executions: s.executions, ended_complete: complete, ended_sleep_blocked: sched.sleepBlocked, ended_cache_cut: sched.cacheHits,
      new_steps: s.newSteps, stored: s.stored, backtrack: d.counts(),
      ...(sched.preciseCuts ? { precise: d.precise, precise_fallback: d.preciseFallback, fallback_why: { ...d.fallbackWhy }, ...(budget !== undefined ? { cut_budget: budget } : {}) } : {}),
      ...(out.stoppedEarly ? { explored: Math.round(sched.coverage().explored * 1e4) / 1e4 } : {}),
      wall_s: Math.round(wall * 100) / 100,
    }) + '\n');
  }
}

main();
