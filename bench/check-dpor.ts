/**
 * `npm run bench:dpor [-- --configs LIST] [--no-state-cache] [--coarse-cuts] [--no-carry-cuts] [--cut-budget N] [--hunt K] [--max-executions N] [--split-depth D]`
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
 * pass's alone, `executions` all passes'. `--split-depth D`: the split
 * search (./src/check/split.ts: subtrees below depth D with their own
 * tables, round-based additions above it) run in this thread, with its
 * rounds, subtrees, the whole process's CPU for it, and its time on 1 and 2
 * workers estimated from the subtrees' executions and new steps
 * (`makespan_*`: each round's subtrees handed out in order to the first free
 * worker).
 */
import { parseArgs } from 'node:util';
import { DfsScheduler, HuntScheduler, INVARIANT_NAMES, loadCheckScenario, search, splitSearch, type CheckModel } from '../src/check/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

const CONFIGS: Record<string, { policy: 'HOLD' | 'DROP'; nfault: number }> = {
  'HOLD-2': { policy: 'HOLD', nfault: 2 }, 'DROP-2': { policy: 'DROP', nfault: 2 },
  'HOLD-3': { policy: 'HOLD', nfault: 3 }, 'DROP-3': { policy: 'DROP', nfault: 3 },
  'HOLD-4': { policy: 'HOLD', nfault: 4 }, 'DROP-4': { policy: 'DROP', nfault: 4 },
};

/**
 * The split search's time on `workers` workers, in units of `cost`: each
 * round's subtrees handed out in prefix order to the first free worker, a
 * round ending when its last subtree does (the coordinator waits at every
 * round boundary).
 */
function makespan<T>(rounds: ReadonlyArray<readonly T[]>, workers: number, cost: (t: T) => number): number {
  let total = 0;
  for (const r of rounds) {
    const free = new Array<number>(workers).fill(0);
    for (const t of r) {
      let k = 0;
      for (let i = 1; i < workers; i++) if (free[i]! < free[k]!) k = i;
      free[k]! += cost(t);
    }
    total += Math.max(...free);
  }
  return total;
}

function main(): void {
  const a = parseArgs({
    options: {
      configs: { type: 'string' }, 'no-state-cache': { type: 'boolean' }, 'precise-cuts': { type: 'boolean' }, 'coarse-cuts': { type: 'boolean' }, 'no-carry-cuts': { type: 'boolean' },
      'cut-budget': { type: 'string' }, hunt: { type: 'string' }, 'max-executions': { type: 'string' }, 'split-depth': { type: 'string' },
    },
  }).values;
  const names = (a.configs ?? 'HOLD-2,DROP-2,HOLD-3').split(',');
  const stateCache = a['no-state-cache'] !== true;
  if (a['precise-cuts'] === true && a['coarse-cuts'] === true) throw new Error('check-dpor: --precise-cuts and --coarse-cuts exclude each other');
  const preciseCuts = a['coarse-cuts'] !== true; // --precise-cuts: the default, kept for the older commands
  const budget = a['cut-budget'] !== undefined ? Number(a['cut-budget']) : undefined;
  const maxExecutions = a['max-executions'] !== undefined ? Number(a['max-executions']) : null;
  const hunt = a.hunt !== undefined ? Number(a.hunt) : null;
  const split = a['split-depth'] !== undefined ? Number(a['split-depth']) : null;
  if (split !== null && hunt !== null) throw new Error('check-dpor: --split-depth runs the unbounded DFS alone (no --hunt)');
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
    if (split !== null) {
      const t1 = process.hrtime.bigint(), c1 = process.cpuUsage();
      const out = splitSearch(model, opts, split, { maxSteps: 4000, maxExecutions });
      const wall = Number(process.hrtime.bigint() - t1) / 1e9;
      const cu = process.cpuUsage(c1);
      const s = out.stats;
      const per = out.rounds.map((r) => r.map((t) => t.stats));
      process.stdout.write(JSON.stringify({
        config: name, split_depth: split, finished: !out.stoppedEarly, verdict: out.violation !== null ? out.violation.violation?.invariant : 'none',
        executions: s.executions, new_steps: s.newSteps, stored: s.stored, ended_cache_cut: s.pruned,
        rounds: per.length, subtrees: per.reduce((n, r) => n + r.length, 0),
        largest_subtree: Math.max(...per.flat().map((t) => t.executions)),
        makespan_executions: { 1: makespan(per, 1, (t) => t.executions), 2: makespan(per, 2, (t) => t.executions) },
        makespan_new_steps: { 1: makespan(per, 1, (t) => t.newSteps), 2: makespan(per, 2, (t) => t.newSteps) },
        cpu_s: Math.round((cu.user + cu.system) / 1e4) / 100, wall_s: Math.round(wall * 100) / 100,
      }) + '\n');
      continue;
    }
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
