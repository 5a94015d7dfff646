/**
 * The observation hooks an execution installs in the model (./check-hooks.ts),
 * built once per process over a host that reads the execution they report to.
 */
import type { ModelHooks } from '../model/index.js';
import { checkHooks, type HookHost } from './check-hooks.js';
import type { InvariantName } from './invariants.js';
import type { Execution } from './executor.js';

/**
 * The execution the observation hooks report to: the last one constructed,
 * as before, when each constructor built and installed hooks of its own.
 * The hooks are built once per process over `hookHost`, which reads this
 * (docs/checker.md, "Cost per execution": building them per execution was
 * about 5 kB of closures each time).
 */
export const hookOwner: { x: Execution | null } = { x: null };
const hookHost: HookHost = {
  get tracker() { return hookOwner.x!.tracker; },
  get obs() { return hookOwner.x!.obs; },
  get obsOf() { return hookOwner.x!.obsOf; },
  get lockEdges() { return hookOwner.x!.lockEdges; },
  get cur() { return hookOwner.x!.cur; },
  get checking() { return hookOwner.x!.checking; },
  get rmapWalks() { return hookOwner.x!.rmapWalks; },
  name: (id: number): string => hookOwner.x!.name(id),
  who: (): string => hookOwner.x!.who(),
  record: (inv: InvariantName, message: string): void => hookOwner.x!.record(inv, message),
};
export let shared: ModelHooks | null = null;
export let plain: ModelHooks | null = null;

/** The hooks for a step that folds its task's input history: what they read is kept out of it (`quiet`). */
export function sharedHooks(): ModelHooks {
  return (shared ??= quiet(plainHooks()));
}

/**
 * The same hooks without `quiet`'s wrappers, for a step that folds no
 * history (a replayed step, every step of a stateless search): there the
 * wrappers' count (`Tracker.opaque`) is read by nothing, since only
 * `Tracker.input` and `opaqueCall` read it and both do nothing unless the
 * history is folded (docs/checker.md, "Cheaper replayed steps").
 */
export function plainHooks(): ModelHooks {
  return (plain ??= checkHooks(hookHost));
}

/**
 * The observation hooks as the model calls them, with what they read kept
 * out of the running task's input history (not out of its footprint): a
 * hook's reads reach the task's future only through what it writes, which
 * is shared state (observation records) or in the state hash (lockdep's
 * edges), or through the task's counters (`vmaReadLocks`, a function of the
 * task's own lock calls). `frame` and `opaque` set the history themselves.
 */
function quiet(h: ModelHooks): ModelHooks {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(h) as Array<[string, (...a: unknown[]) => unknown]>) {
    out[k] = k === 'frame' || k === 'opaque' ? f : (...a: unknown[]): unknown => {
      const tr = hookOwner.x!.tracker;
      tr.opaque++;
      try {
        return f(...a);
      } finally {
        tr.opaque--;
      }
    };
  }
  return out as unknown as ModelHooks;
}
