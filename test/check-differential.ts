/**
 * The checker's differential test (issue 11): the default search (DFS with
 * DPOR and sleep sets, stateless and with state caching, issue 15; the
 * stateful one after its bug-hunting passes, as the CLI runs it) must give
 * the same verdict as a search without any
 * reduction, on every built-in check scenario x every mutation x every fault
 * strategy x every fork strategy the scenario can tell apart. Where the
 * reference cannot finish within its budget, random scheduling and PCT with a
 * fixed budget must never find a violation that the complete default search
 * called safe.
 *
 * Budgets are execution counts (never wall time), so the outcome is the same
 * on every machine. FAULTLINE_DIFF=full multiplies them (a longer run, see
 * docs/checker.md "The differential test").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  check, checkScenarioDir, DEFAULT_HUNT, INJECTION_NAMES, INVARIANT_NAMES, listCheckScenarios, loadCheckScenario,
  type CheckReport, type CheckScenario, type Injection, type Mode,
} from '../src/check/index.js';
import { ALL_FAULT_STRATEGIES, FORK_STRATEGIES, faultStrategy, forkStrategy } from '../src/strategies/index.js';

export interface Budget {
  /** Executions for the default search (DFS, DPOR, sleep sets). */
  readonly dfs: number;
  /** Executions for the reference without any reduction. */
  readonly noPor: number;
  /** Executions for DFS with sleep sets only (no DPOR), where no-POR does not finish. */
  readonly sleepOnly: number;
  /** Executions for each of random and PCT where neither reference finishes. */
  readonly sampled: number;
}

export const FULL = process.env['FAULTLINE_DIFF'] === 'full';
export const BUDGET: Budget = FULL
  ? { dfs: 50_000, noPor: 50_000, sleepOnly: 100_000, sampled: 5_000 }
  : { dfs: 2_000, noPor: 600, sleepOnly: 4_000, sampled: 200 };

export interface Combo {
  readonly scenario: CheckScenario;
  readonly fault: string;
  readonly fork: string;
  readonly inject: readonly Injection[];
}

export type Verdict = 'safe' | 'unsafe' | 'incomplete';

/** Which search gave the reference verdict. */
export type ReferenceKind = 'no-por' | 'sleep-sets' | 'random+pct' | 'none';

export interface Outcome {
  readonly combo: Combo;
  readonly dfs: Verdict;
  /** The default search with state caching (docs/checker.md, "State caching"). */
  readonly stateful: Verdict;
  readonly reference: Verdict;
  readonly referenceKind: ReferenceKind;
  readonly invariant: string | null;
  /** The default search said "safe, complete" and a reference found a violation. */
  readonly unsound: boolean;
  /** Both complete with different verdicts (a found violation the reference cannot reach is a bug too). */
  readonly disagree: boolean;
  readonly executions: { readonly dfs: number; readonly stateful: number; readonly reference: number };
}

function verdictOf(r: CheckReport): Verdict {
  if (r.violation !== null) return 'unsafe';
  return r.complete ? 'safe' : 'incomplete';
}

function run(c: Combo, mode: Mode, maxExecutions: number): CheckReport {
  return check(
    {
      scenario: c.scenario,
      fault: faultStrategy(c.fault),
      fork: forkStrategy(c.fork),
      injections: c.inject,
      invariants: new Set(INVARIANT_NAMES),
    },
    { mode, maxExecutions, shrink: false },
  );
}

const DFS: Mode = { kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: null };
/** The CLI's default: state caching, and bug-hunting passes (bounds 0..2) before the complete search. */
const STATEFUL: Mode = {
  kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: null, stateCache: true, hunt: DEFAULT_HUNT,
  // Precise cut summaries are the default (docs/checker.md, issue 15's twelfth part); FAULTLINE_DIFF_COARSE=1: the coarse rule.
  ...(process.env['FAULTLINE_DIFF_COARSE'] === '1' ? { preciseCuts: false } : {}),
};
const SLEEP_ONLY: Mode = { kind: 'dfs', sleepSets: true, dpor: false, preemptionBound: null };
const NO_POR: Mode = { kind: 'dfs', sleepSets: false, dpor: false, preemptionBound: null };

/**
 * Compare the default search with a reference on one combination. The
 * reference is the unreduced DFS if it finishes; else DFS with sleep sets
 * only (a reduction that keeps every reachable state, Godefroid 1996, and
 * shares no code with DPOR's race detection) if it finishes; else random
 * scheduling and PCT with a fixed budget, which can only refute "safe".
 * Where the default search does not finish, there is no verdict to compare.
 */
export function compare(c: Combo, budget: Budget = BUDGET): Outcome {
  const d = run(c, DFS, budget.dfs);
  const st = run(c, STATEFUL, budget.dfs);
  const dv = verdictOf(d), sv = verdictOf(st);
  const out = (reference: Verdict, kind: ReferenceKind, refExec: number, refInv: string | null): Outcome => {
    const complete = kind === 'no-por' || kind === 'sleep-sets';
    const differs = (v: Verdict): boolean => complete && v !== 'incomplete' && v !== reference;
    return {
      combo: c, dfs: dv, stateful: sv, reference, referenceKind: kind,
      invariant: d.violation?.invariant ?? st.violation?.invariant ?? refInv,
      unsound: (dv === 'safe' || sv === 'safe') && reference === 'unsafe',
      // Both tested searches finished with different verdicts: one of them is wrong.
      disagree: differs(dv) || differs(sv) || (dv !== 'incomplete' && sv !== 'incomplete' && dv !== sv),
      executions: { dfs: d.stats.executions, stateful: st.stats.executions, reference: refExec },
    };
  };
  if (dv === 'incomplete' && sv === 'incomplete') return out('incomplete', 'none', 0, null);
  // The sleep-set search runs first. Where it finishes "safe" after more
  // executions than no-POR's budget, the unreduced search is not run: it
  // explores at least every execution of the sleep-set search (a sleep set
  // only prunes), so it could not finish within its budget, and it reaches no
  // state the complete sleep-set search did not (Godefroid 1996), so it could
  // not find a violation either. The outcome is the one of the order below
  // (no-POR, then sleep sets), without its certain waste: in CI about a third
  // of the reference's executions on check-chain (docs/checker.md, "The
  // differential test").
  const sleep = run(c, SLEEP_ONLY, budget.sleepOnly);
  let refExec = 0;
  const sleepSafe = verdictOf(sleep) === 'safe';
  if (!(sleepSafe && sleep.stats.executions > budget.noPor)) {
    const r = run(c, NO_POR, budget.noPor);
    refExec += r.stats.executions;
    const rv = verdictOf(r);
    if (rv !== 'incomplete') return out(rv, 'no-por', refExec, r.violation?.invariant ?? null);
  }
  refExec += sleep.stats.executions;
  const sv2 = verdictOf(sleep);
  if (sv2 !== 'incomplete') return out(sv2, 'sleep-sets', refExec, sleep.violation?.invariant ?? null);
  // A violation a tested search found was replayed into its counterexample:
  // sampling cannot add to it.
  if (dv !== 'safe' && sv !== 'safe') return out('incomplete', 'none', refExec, null);
  for (const mode of [
    { kind: 'random', seed: 1, iterations: budget.sampled },
    { kind: 'pct', seed: 1, iterations: budget.sampled, depth: 3 },
  ] as const) {
    const s = run(c, mode, budget.sampled);
    refExec += s.stats.executions;
    if (s.violation !== null) return out('unsafe', 'random+pct', refExec, s.violation.invariant);
  }
  return out('incomplete', 'random+pct', refExec, null);
}

/** Every fault strategy of `--strategy all`, and the option variants outside it. */
export const DIFF_FAULTS: readonly string[] = [...ALL_FAULT_STRATEGIES, 'hold-io+mmap', 'hold-io-file+mmap'];

/** Fork strategies a scenario can tell apart: all of them if it forks, else one. */
function forksFor(sc: CheckScenario): readonly string[] {
  return sc.threads.some((t) => t.ops.some((o) => o.op === 'fork')) ? FORK_STRATEGIES : ['fork-lock-all'];
}

/** Mutations that can change a scenario's behaviour (none, then each one its ops reach). */
function injectionsFor(sc: CheckScenario): ReadonlyArray<readonly Injection[]> {
  const ops = new Set(sc.threads.flatMap((t) => t.ops.map((o) => o.op)));
  const all = sc.threads.flatMap((t) => t.ops);
  /** Some op changes VMA ranges (splits, merges, unmaps). */
  const reshapes = all.some((o) => o.op === 'munmap' || o.op === 'mmap_fixed' || o.op === 'madvise' || o.op === 'mremap' || o.op === 'mbind' || (o.op === 'mprotect' && o.prot !== null));
  const merges = all.some((o) => o.op === 'madvise' || o.op === 'mbind' || (o.op === 'mprotect' && o.prot !== null));
  const twoMms = (sc.processes ?? ['']).length > 1 && sc.nondet.includes('vm_area_reuse');
  const reach: Record<Injection, boolean> = {
    'mprotect-skip-vma-write-lock': ops.has('mprotect'),
    'fork-skip-vma-write-lock': ops.has('fork'),
    'double-vma-end-read': ops.has('fault'),
    'lock-vma-skip-recheck': (ops.has('fault') || ops.has('madvise_dontneed')) && reshapes,
    'merge-skip-neighbour-write-lock': merges,
    'madvise-mmap-lock-under-vma-lock': ops.has('madvise_dontneed'),
    'fault-vma-access-after-retry': ops.has('fault'),
    'dup-anon-vma-before-write-lock': merges,
    'mmap-skip-new-vma-write-lock': ops.has('mmap') || ops.has('mmap_fixed'),
    'stack-expand-skip-write-lock': all.some((o) => o.op === 'fault' && o.page < 0),
    // A VMA of another mm is reached only with a second process and an object freed and reused.
    'vma-start-read-skip-mm-check': twoMms && (ops.has('fault') || ops.has('madvise_dontneed')) && reshapes,
    'lock-vma-mm-check-without-mmgrab': twoMms && (ops.has('fault') || ops.has('madvise_dontneed')) && reshapes,
    // The transient reference is this mm's (a VMA its writer holds write-locked) or another mm's (a reused
    // object); the writer must detach (munmap, MAP_FIXED, a merge, exit).
    'vma-mark-detached-skip-refcnt-wait': (ops.has('fault') || ops.has('madvise_dontneed')) && reshapes,
    // Only a move (mremap) merges with a copied-from VMA.
    'mremap-merge-skip-anon-vma-dup': ops.has('mremap'),
    'free-pgtables-before-detach': (ops.has('munmap') || ops.has('mmap_fixed')) && (ops.has('fault') || ops.has('madvise_dontneed')),
    // vma_expand: mmap merging into a neighbour, mremap growing in place or moving next to a VMA it merges with.
    'vma-expand-skip-write-lock': ops.has('mmap') || ops.has('mremap'),
    // A policy exists only after an mbind; the fault reads it when it allocates.
    'mbind-skip-vma-write-lock': ops.has('mbind') && ops.has('fault'),
    // Only khugepaged retracts a table under a page-table walker (MADV_DONTNEED's zap).
    'retract-pte-free-no-rcu': ops.has('khugepaged'),
    // The child's missing link shows only to an rmap walk (the parent's anon_vma outlives it either way).
    'anon-vma-fork-skip-clone': ops.has('fork') && ops.has('rmap_walk'),
    'folio-lock-anon-vma-read-skip-recheck': ops.has('rmap_walk'),
    // Only PT_RECLAIM (MADV_DONTNEED) empties the pmd between the anonymous collapse's check and its write lock.
    'collapse-check-pmd-before-vma-write-lock': all.some((o) => o.op === 'khugepaged' && o.collapse === 'anon') && ops.has('madvise_dontneed'),
    // The inverted order needs a file mapping's i_mmap_rwsem, which only try_to_unmap scenarios give a new VMA.
    'mmap-i-mmap-lock-before-vma-write-lock': ops.has('mmap') && ops.has('try_to_unmap'),
    // The source VMA's lock_vma_under_rcu fails only under a writer; any uffdio_move may reach the fallback.
    'uffd-move-lock-src-fallback': ops.has('uffdio_move'),
    // A PTE moved under an rmap walk shows only to a walk (rmap_walk, try_to_unmap) of a scenario with a move.
    'mremap-skip-rmap-locks': ops.has('mremap') && (ops.has('rmap_walk') || ops.has('try_to_unmap')),
    // Only a file walk (try_to_unmap of a file VMA) holds i_mmap_rwsem against an unmap's unlink_file_vma.
    'unlink-file-vma-skip-i-mmap-lock': ops.has('try_to_unmap') && (ops.has('munmap') || ops.has('mmap_fixed') || ops.has('mremap')),
    // Only a fault on a VMA registered for missing userfaults reaches handle_userfault.
    'handle-userfault-keep-lock': ops.has('fault') && sc.vmas.some((v) => v.special.includes('uffd_missing')),
  };
  return [[], ...INJECTION_NAMES.filter((i) => reach[i]).map((i) => [i])];
}

/** Every combination for one scenario. */
export function combosFor(sc: CheckScenario): Combo[] {
  const out: Combo[] = [];
  for (const inject of injectionsFor(sc)) {
    for (const fault of DIFF_FAULTS) {
      for (const fork of forksFor(sc)) out.push({ scenario: sc, fault, fork, inject });
    }
  }
  return out;
}

/** Built-in check scenarios at their smallest parameters. */
export function builtinScenarios(): CheckScenario[] {
  return listCheckScenarios().map((s) => {
    const doc = parse(readFileSync(join(checkScenarioDir(), `${s.name}.yaml`), 'utf8')) as { params?: Record<string, { min: number }> };
    const small: Record<string, number> = {};
    for (const [k, p] of Object.entries(doc.params ?? {})) small[k] = p.min;
    return loadCheckScenario(s.name, small);
  });
}

export function label(c: Combo): string {
  return `${c.scenario.name} ${c.fault}/${c.fork}${c.inject.length > 0 ? ` +${c.inject.join('+')}` : ''}`;
}
