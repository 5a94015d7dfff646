/**
 * A search builds its initial state once and restores it before each
 * execution (src/check/world.ts). The restored objects must be
 * indistinguishable from freshly built ones: after executions that create,
 * free and reuse objects (folios, VMAs, anon_vmas, page tables, forked mms,
 * memory policies), a restored world is compared with a fresh build field by
 * field (every object reachable from the execution's roots, with its class,
 * prototype and canonical id), and both then run the same random schedule
 * step for step (runnable sets, footprints, violations, state hashes). And a
 * search's counts are the same with and without reuse.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  DfsScheduler, Execution, HuntScheduler, INVARIANT_NAMES, listCheckScenarios, loadCheckScenario, search, uninstallCheckHooks, type CheckModel,
} from '../src/check/index.js';
import { installOpaque, uninstallOpaque } from '../src/check/opaque.js';
import { Prng } from '../src/check/prng.js';
import { IGNORED, planFor, STORE } from '../src/check/track-plan.js';
import { World } from '../src/check/world.js';
import { IndexSet, XArray } from '../src/model/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

function model(name: string, stateCache: boolean, fault = 'mainline', params: Record<string, number> = {}): CheckModel {
  return {
    scenario: loadCheckScenario(name, params), fault: faultStrategy(fault), fork: forkStrategy('fork-lock-all'),
    injections: [], invariants: new Set(INVARIANT_NAMES), stateCache,
  };
}

/** Prototypes seen, numbered in order (shared by both walks: the same prototype gets the same number). */
const protos: object[] = [];

/** Every object reachable from the execution's roots, field by field, objects numbered in order of discovery. */
function describeWorld(ex: Execution): string[] {
  const seen = new Map<object, number>();
  const queue: object[] = [];
  const out: string[] = [];
  const ref = (v: unknown): string => {
    if (v === null || v === undefined || typeof v !== 'object') return typeof v === 'function' ? `fn ${(v as { name: string }).name}` : JSON.stringify(v) ?? String(v);
    if (Array.isArray(v)) return `[${v.map(ref).join(', ')}]`;
    if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${ref(k)}: ${ref(x)}`).join(', ')}}`;
    if (v instanceof Set) return `Set{${[...v].map(ref).join(', ')}}`;
    if (v instanceof XArray) return `XArray{${v.keys().map((k) => `${k}: ${ref(v.get(k))}`).join(', ')}}`;
    if (v instanceof IndexSet) return `IndexSet{${v.values().join(', ')}}`;
    let n = seen.get(v);
    if (n === undefined) {
      n = seen.size;
      seen.set(v, n);
      queue.push(v);
    }
    return `#${n}`;
  };
  out.push(`mm ${ref(ex.mm)} cachep ${ref(ex.cachep)} mms ${ref(ex.mms)} obs ${ref(ex.obs)} obsOf ${ref(ex.obsOf)} edges ${ref(ex.lockEdges)}`);
  out.push(`slots ${JSON.stringify([...ex.slots].map(([k, s]) => [k, s.start, s.spec.name]))}`);
  for (let i = 0; i < queue.length; i++) {
    const o = queue[i]!;
    const proto = Object.getPrototypeOf(o) as object;
    let p = protos.indexOf(proto);
    if (p < 0) p = protos.push(proto) - 1;
    const cls = o.constructor.name;
    // A BLOCK effect's TASK_KILLABLE form is made on first use and kept
    // (src/model/effects.ts `killable`): a cache of the same description.
    const ignored = cls === 'EffectRecord' ? ['killableForm'] : IGNORED[cls] ?? [];
    const keys = new Set(Object.keys(o));
    const instrumented = (o as { [STORE]?: unknown })[STORE] !== undefined;
    if (instrumented) for (const k of planFor(o).keys) keys.add(k);
    const rec = o as Record<string, unknown>;
    const fields = [...keys].sort().filter((k) => !ignored.includes(k)).map((k) => `${k}=${ref(rec[k])}`);
    const id = ex.tracker.idOf(o);
    out.push(`#${i} ${cls} proto ${p} ${instrumented ? `id ${id}` : 'plain'}: ${fields.join(' ')}`);
  }
  return out;
}

/** Run one execution to its end with random task and data choices; returns what each step did. */
function runRandom(ex: Execution, rng: Prng, maxSteps = 300): string[] {
  const out: string[] = [];
  for (let n = 0; n < maxSteps; n++) {
    const run = ex.runnable();
    out.push(`runnable ${run.join(',')}${ex.model.stateCache === true ? ` state ${ex.stateHash().join(':')}` : ''}`);
    if (run.length === 0) break;
    const t = run[rng.below(run.length)]!;
    const s = ex.step(t, true, true);
    out.push(`step ${t}: ${s.fp === null ? '-' : `${[...s.fp.r].sort((a, b) => a - b).join(' ')} / ${[...s.fp.w].sort((a, b) => a - b).join(' ')}`} woke ${s.woke.join(',')} spawned ${s.spawned.join(',')} ${s.violation?.invariant ?? ''}${s.aborted ? ' aborted' : ''}`);
    if (s.violation !== null || s.aborted) break;
  }
  return out;
}

function execution(m: CheckModel, rng: Prng, world?: World): Execution {
  const mask = m.scenario.threads.map((t) => t.ops.length);
  return new Execution(m, mask, (n) => rng.below(n), world);
}

describe('the initial state, built once and restored', () => {
  const names = listCheckScenarios().map((s) => s.name);

  it('covers every built-in check scenario', () => {
    expect(names.length).toBeGreaterThan(20);
  });

  for (const name of names) {
    it(`${name}: after random executions a restored world equals a fresh build, and runs alike`, () => {
      for (const stateCache of [true, false]) {
        const m = model(name, stateCache);
        if (stateCache) installOpaque();
        try {
          const world = new World();
          const rng = new Prng(name.length * 7919 + (stateCache ? 1 : 0));
          for (let e = 0; e < 6; e++) {
            runRandom(execution(m, rng, world), rng);
            uninstallCheckHooks();
          }
          expect(world.restored).toBe(5);
          const seed = rng.below(1 << 30);
          const restored = execution(m, new Prng(seed), world);
          const restoredWorld = describeWorld(restored);
          const restoredRun = runRandom(restored, new Prng(seed + 1));
          uninstallCheckHooks();
          const fresh = execution(m, new Prng(seed));
          expect(restoredWorld).toEqual(describeWorld(fresh));
          expect(restoredRun).toEqual(runRandom(fresh, new Prng(seed + 1)));
          uninstallCheckHooks();
        } finally {
          uninstallCheckHooks();
          if (stateCache) uninstallOpaque();
        }
      }
    }, 60_000);
  }

  it('the comparison sees a field the restore would miss (negative control)', () => {
    const m = model('check-fork-anon', true);
    installOpaque();
    try {
      const world = new World();
      const rng = new Prng(3);
      runRandom(execution(m, rng, world), rng);
      uninstallCheckHooks();
      const fresh = describeWorld(execution(m, new Prng(1)));
      uninstallCheckHooks();
      const restored = execution(m, new Prng(1), world);
      restored.mm.map_count++; // as if the restore had skipped a field
      expect(describeWorld(restored)).not.toEqual(fresh);
      uninstallCheckHooks();
    } finally {
      uninstallOpaque();
    }
  });
});

describe('a search reusing its initial state', () => {
  function counts(m: CheckModel, reuseWorld: boolean, hunt: number | null): object {
    const mask = m.scenario.threads.map((t) => t.ops.length);
    const opts = { nthreads: mask.length, mask, sleepSets: true, dpor: true, preemptionBound: null, stateCache: m.stateCache === true };
    const sched = hunt === null ? new DfsScheduler(opts) : new HuntScheduler(opts, hunt);
    const out = search(m, sched, { maxSteps: 4000, reuseWorld });
    return { stats: out.stats, violation: out.violation?.violation ?? null, schedule: out.violation?.schedule ?? null };
  }
  const cases: Array<[string, Record<string, number>, string]> = [
    ['check-spin-anchor', { nfault: 2 }, 'hold-io+mmap'],
    ['check-mbind', {}, 'mainline'],
    ['check-vma-reuse-mm', {}, 'mainline'],
    ['check-fork-anon', {}, 'mainline'],
    ['check-mremap-anon-vma', {}, 'mainline'],
  ];
  for (const [name, params, fault] of cases) {
    it(`${name} ${fault}: the same counts and verdicts with and without reuse`, () => {
      const spy = vi.spyOn(World.prototype, 'restore');
      try {
        const modes = name === 'check-spin-anchor' ? [[true, 2]] as const : [[true, 2], [false, null]] as const;
        for (const [stateCache, hunt] of modes) {
          const m = model(name, stateCache, fault, params);
          const reused = counts(m, true, hunt);
          expect(spy).toHaveBeenCalled();
          expect(reused).toEqual(counts(m, false, hunt));
        }
      } finally {
        spy.mockRestore();
      }
    }, 300_000);
  }
});
