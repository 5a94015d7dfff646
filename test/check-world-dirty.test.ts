/**
 * World.restore puts back only what the previous execution wrote
 * (src/check/world.ts; docs/checker.md, "The collector and the restore"):
 * the fields whose accessor ran since the last restore (Store.w) and the
 * containers whose contents differ from the saved ones. A fast-check
 * property: after any sequence of writes to the initial objects (fields set
 * to numbers, booleans, strings, null, other objects, new containers;
 * containers changed in place, nested ones too), with or without a running
 * step, the restore leaves every object as it was captured, and so does
 * the full restore after the same writes. A negative control writes a
 * field behind its accessor's back, which only the full restore sees.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Execution, INVARIANT_NAMES, loadCheckScenario, uninstallCheckHooks, type CheckModel } from '../src/check/index.js';
import { installOpaque, uninstallOpaque } from '../src/check/opaque.js';
import { Prng } from '../src/check/prng.js';
import { planFor, storeOf } from '../src/check/track-plan.js';
import { World } from '../src/check/world.js';
import { IndexSet, XArray } from '../src/model/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

function model(name: string): CheckModel {
  return {
    scenario: loadCheckScenario(name), fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'),
    injections: [], invariants: new Set(INVARIANT_NAMES), stateCache: true,
  };
}

function execution(m: CheckModel, seed: number, world: World): Execution {
  const rng = new Prng(seed);
  return new Execution(m, m.scenario.threads.map((t) => t.ops.length), (n) => rng.below(n), world);
}

/** Run `ex` to its end with random choices. */
function runRandom(ex: Execution, rng: Prng): void {
  for (let n = 0; n < 300; n++) {
    const run = ex.runnable();
    if (run.length === 0) return;
    const s = ex.step(run[rng.below(run.length)]!, true, true);
    if (s.violation !== null || s.aborted) return;
  }
}

/** The tracked fields of `objs`, containers by identity and contents (in iteration order), objects by identity. */
function picture(objs: readonly object[]): string[] {
  const seen = new Map<object, number>(objs.map((o, i) => [o, i]));
  const id = (o: object): string => {
    let n = seen.get(o);
    if (n === undefined) seen.set(o, (n = seen.size));
    return `#${n}`;
  };
  const ref = (v: unknown): string => {
    if (v === null || typeof v !== 'object') return typeof v === 'function' ? 'fn' : JSON.stringify(v) ?? String(v);
    if (Array.isArray(v)) return `${id(v)}[${v.map(ref).join(', ')}]`;
    if (v instanceof Map) return `${id(v)}Map{${[...v].map(([k, x]) => `${ref(k)}: ${ref(x)}`).join(', ')}}`;
    if (v instanceof Set) return `${id(v)}Set{${[...v].map(ref).join(', ')}}`;
    if (v instanceof XArray) return `${id(v)}XArray{${v.keys().map((k) => `${k}: ${ref(v.get(k))}`).join(', ')}}`;
    if (v instanceof IndexSet) return `${id(v)}IndexSet{${v.values().join(', ')}}`;
    return id(v);
  };
  return objs.map((o, i) => {
    const rec = o as Record<string, unknown>;
    return `${i} ${o.constructor.name}: ${planFor(o).keys.map((k) => `${k}=${ref(rec[k])}`).join(' ')}`;
  });
}

/**
 * One write: to object `obj`'s field `field` (indices taken modulo; with
 * `inPlace`, among its containers, changed in place), `what` (a value or an
 * in-place change) chosen by `x`.
 */
interface Write { obj: number; field: number; inPlace: boolean; what: number; x: number; on: boolean }

const write = fc.record({ obj: fc.nat(), field: fc.nat(), inPlace: fc.boolean(), what: fc.nat({ max: 9 }), x: fc.nat({ max: 1000 }), on: fc.boolean() });

/** Apply `w` to the world's objects `objs` (through their accessors; `on`: inside a running step's logging). */
function apply(ex: Execution, objs: readonly object[], w: Write): void {
  const o = objs[w.obj % objs.length]!;
  const plan = planFor(o), keys = plan.keys;
  if (keys.length === 0) return;
  const inPlace = w.inPlace && plan.containers.length > 0;
  const key = keys[inPlace ? plan.containers[w.field % plan.containers.length]! : w.field % keys.length]!;
  const what = inPlace ? 6 + (w.what % 4) : w.what;
  const rec = o as Record<string, unknown>;
  const cur = rec[key];
  const other = objs[w.x % objs.length]!;
  ex.tracker.begin(true, w.on);
  try {
    switch (what) {
      case 0: rec[key] = w.x; break;
      case 1: rec[key] = w.x % 2 === 0; break;
      case 2: rec[key] = w.x % 3 === 0 ? null : `s${w.x}`; break;
      case 3: rec[key] = other; break;
      case 4: rec[key] = w.x % 2 === 0 ? [other] : new Map([[w.x, other]]); break;
      case 5: rec[key] = cur; break; // the value it has: written all the same
      default: {
        // In place, through the field's getter only (no write is logged).
        if (Array.isArray(cur)) {
          if (what === 6) cur.push(other);
          else if (what === 7) cur.pop();
          else if (what === 8) cur.reverse();
          else if (Array.isArray(cur[0])) (cur[0] as unknown[]).push(w.x); // a nested container
          else cur.unshift(w.x);
        } else if (cur instanceof Map) {
          if (what === 6) cur.set(w.x, other);
          else if (what === 7) cur.delete(cur.keys().next().value);
          else { const e = [...cur]; cur.clear(); for (const [k, v] of e.reverse()) cur.set(k, v); } // the same entries, another order
        } else if (cur instanceof Set) {
          if (what === 6) cur.add(other);
          else cur.delete(cur.values().next().value);
        } else if (cur instanceof XArray) {
          if (what === 6) cur.set(w.x, other);
          else if (what === 7) cur.delete(cur.keys()[0] ?? 0);
          else { for (const k of cur.keys()) cur.delete(k); cur.set(w.x, other); }
        } else if (cur instanceof IndexSet) {
          if (what === 6) cur.add(w.x);
          else cur.delete(cur.values()[0] ?? 0);
        }
      }
    }
  } finally {
    ex.tracker.end();
  }
}

describe('the restore of what an execution wrote', () => {
  for (const name of ['check-spin-anchor', 'check-fork-anon', 'check-munmap-pgtables']) {
    it(`${name}: after any writes the restore gives the captured objects back, as the full restore does`, () => {
      const m = model(name);
      installOpaque();
      try {
        const world = new World();
        const first = execution(m, 1, world);
        const objs = [...first.tracker.objects];
        const captured = picture(objs);
        runRandom(first, new Prng(2));
        uninstallCheckHooks();
        fc.assert(fc.property(fc.array(write, { maxLength: 40 }), fc.nat(), (writes, seed) => {
          for (const full of [false, true]) {
            world.full = full;
            const ex = execution(m, seed, world);
            for (const w of writes) apply(ex, objs, w);
            uninstallCheckHooks();
            const again = execution(m, seed, world);
            expect(picture(objs)).toEqual(captured);
            for (const o of objs) expect(storeOf(o).w).toBe(0);
            expect(again.tracker.objects).toEqual(objs);
            // And an execution from it runs (its objects' fields are usable).
            runRandom(again, new Prng(seed));
            uninstallCheckHooks();
          }
          world.full = false;
        }), { numRuns: 60, seed: 15 });
      } finally {
        uninstallCheckHooks();
        uninstallOpaque();
      }
    }, 60_000);
  }

  it('a field written behind its accessor is missed by the restore and put back by the full one (negative control)', () => {
    const m = model('check-spin-anchor');
    installOpaque();
    try {
      const world = new World();
      const objs = [...execution(m, 1, world).tracker.objects];
      uninstallCheckHooks();
      const captured = picture(objs);
      execution(m, 1, world); // a restore: every Store.w clear
      uninstallCheckHooks();
      const st = objs.map(storeOf).find((x) => x.plan.flat.length > 0)!;
      const i = st.plan.flat[0]!;
      const was = st.v[i];
      st.v[i] = 12345; // no accessor: Store.w stays clear
      execution(m, 1, world);
      uninstallCheckHooks();
      expect(picture(objs)).not.toEqual(captured);
      world.full = true;
      execution(m, 1, world);
      uninstallCheckHooks();
      expect(st.v[i]).toBe(was);
      expect(picture(objs)).toEqual(captured);
    } finally {
      uninstallCheckHooks();
      uninstallOpaque();
    }
  });
});
