// Issue 15 eighth part: diagnostics (unsound, NOT kept; this commit is reverted by the next).
// npm run build, then: [FL_DIAG_LOG=1 [FL_DIAG_TOP=N]] [FL_DIAG_SHARED=1 [FL_DIAG_SHARED_FIELDS=1] [FL_DIAG_SHARED_CLS=C]] [FL_DIAG_COARSE=1] [FL_DIAG_PRECISE=1|2] [FL_DIAG_STATS=1] [FL_NODPOR=1] [FL_NOHUNT=1] node scratch/diag-15b.mjs HOLD|DROP NFAULT [TIME_LIMIT_S]
import { check, INVARIANT_NAMES, loadCheckScenario, DEFAULT_HUNT } from '../dist/src/check/index.js';
import { faultStrategy, forkStrategy } from '../dist/src/strategies/index.js';
import { diag } from '../dist/src/check/executor-state.js';
const [policy, nfault, limitS] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 0)];
const scenario = loadCheckScenario('check-spin-anchor', { nfault });
const t0 = process.hrtime.bigint();
const el = () => Number(process.hrtime.bigint() - t0) / 1e6;
const r = check({ scenario, fault: faultStrategy(policy === 'HOLD' ? 'hold-io+mmap' : 'mainline'), fork: forkStrategy('fork-lock-all'), injections: [], invariants: new Set(INVARIANT_NAMES) },
  { mode: { kind: 'dfs', sleepSets: true, dpor: process.env.FL_NODPOR !== '1', preemptionBound: null, stateCache: true, hunt: process.env.FL_NOHUNT === '1' ? null : DEFAULT_HUNT }, shrink: false, stop: () => (limitS > 0 && el() >= limitS * 1000 ? 'time limit' : null) });
const out = { env: { coarse: process.env.FL_DIAG_COARSE ?? '0', precise: process.env.FL_DIAG_PRECISE ?? '0' }, config: `${policy}-${nfault}`,
  verdict: r.violation ? 'violation' : r.complete ? 'safe' : 'incomplete', executions: r.stats.executions, stored: r.stats.stored, newSteps: r.stats.newSteps, pruned: r.stats.pruned, cut: r.stats.cut,
  longest: r.stats.longest, wall_s: el() / 1000, explored: r.coverage?.explored ?? null };
if (process.env.FL_DIAG_STATS === '1') Object.assign(out, { coarseStates: diag.coarseStates.size, hashes: diag.hashes, taskCoarse: diag.taskCoarse.size, taskFine: diag.taskFine.size, hitDepth: globalThis.__hitDepth });
console.log(JSON.stringify(out));
if (process.env.FL_DIAG_STATS === '1') {
  const m = new Map();
  for (const k of diag.taskFine) { const c = k.split('|').slice(0, 5).join('|'); m.set(c, (m.get(c) ?? 0) + 1); }
  console.log(JSON.stringify([...m].filter(([, n]) => n > 1).sort((a, b) => b[1] - a[1]).slice(0, 20)));
}
if (process.env.FL_DIAG_LOG === '1') {
  const top = [...diag.logs].filter(([, m]) => m.size > 1).sort((a, b) => b[1].size - a[1].size).slice(0, Number(process.env.FL_DIAG_TOP ?? 12));
  for (const [k, m] of top) {
    console.log(`\n== ${k}: ${m.size} histories`);
    const toks = [...m.values()].map((s) => s.split(' '));
    let p = 0; while (toks.every((t) => t[p] !== undefined && t[p] === toks[0][p])) p++;
    let q = 0; while (toks.every((t) => t.length - q > p && t[t.length - 1 - q] === toks[0][toks[0].length - 1 - q])) q++;
    for (const t of toks) console.log('   ', t.slice(Math.max(0, p - 2), t.length - q).join(' ').slice(0, 1500));
  }
}
if (process.env.FL_DIAG_SHARED === '1') {
  const { diagSh } = await import('../dist/src/check/executor-state.js');
  const base = diagSh.get('(none)').size;
  console.log(diagSh.get("(none)").size, (await import("../dist/src/check/executor-state.js")).diagExamples.length, diagSh.get("Folio.*").size, [...diagSh.keys()].join("/")); console.log(JSON.stringify([...diagSh].map(([k, s]) => [k, s.size, +(base / s.size).toFixed(3)]).filter(([, n]) => n < base).sort((a, b) => a[1] - b[1])));
}
if (process.env.FL_DIAG_SHARED_CLS) {
  const { diagExamples } = await import('../dist/src/check/executor-state.js');
  const seen = new Set();
  for (const e of diagExamples) { if (seen.has(e)) continue; seen.add(e); console.log(e); }
}
