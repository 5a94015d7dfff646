/**
 * Shrinking a counterexample, in layers (fast-check style, lazily, keeping the
 * first candidate that still violates the same invariant):
 *
 * 1. the scenario: leave out whole threads, then trailing ops of a thread;
 * 2. the schedule: delete chunks of task steps (halving the chunk size down
 *    to single steps), replaying leniently (steps that no longer apply are
 *    skipped) and keeping the schedule the candidate actually executed.
 *
 * A candidate is kept when it fails the same invariant with fewer task steps
 * (or as many steps and fewer threads). The result is 1-minimal: no single
 * step can be removed; it is not guaranteed to be the globally shortest.
 */
import { uninstallCheckHooks, type CheckModel } from './executor.js';
import { LenientReplay } from './replay.js';
import { threadSteps, type Schedule, type ScheduleStep } from './schedule.js';
import { runOne, type RunResult } from './search.js';

export interface ShrinkResult {
  readonly result: RunResult;
  /** Candidates kept. */
  readonly shrinks: number;
  /** Candidates tried. */
  readonly runs: number;
  /** Index of each kept candidate in its layer's candidate stream (the shrink path). */
  readonly path: readonly number[];
}

function activeThreads(s: Schedule): number {
  return s.mask.filter((m) => m > 0).length;
}

function better(a: Schedule, b: Schedule): boolean {
  const ta = threadSteps(a), tb = threadSteps(b);
  return ta < tb || (ta === tb && activeThreads(a) < activeThreads(b));
}

/** Split steps into groups: a task step with the data choices made during it. */
function groups(steps: readonly ScheduleStep[]): ScheduleStep[][] {
  const out: ScheduleStep[][] = [];
  for (const s of steps) {
    if (s.k === 't' || out.length === 0) out.push([s]);
    else out[out.length - 1]!.push(s);
  }
  return out;
}

export function shrink(model: CheckModel, failing: RunResult, opts: { maxSteps: number; budget?: number }): ShrinkResult {
  const inv = failing.violation!.invariant;
  let best = failing;
  let runs = 0, shrinks = 0;
  const path: number[] = [];
  const budget = opts.budget ?? 4000;
  let idx = 0;
  const tryCand = (cand: Schedule): boolean => {
    if (runs >= budget) return false;
    runs++;
    idx++;
    const sched = new LenientReplay(cand);
    const plan = sched.newExecution()!;
    const r = runOne(model, sched, plan, { maxSteps: opts.maxSteps });
    if (r.violation !== null && r.violation.invariant === inv && better(r.schedule, best.schedule)) {
      best = r;
      shrinks++;
      path.push(idx);
      idx = 0;
      return true;
    }
    return false;
  };
  try {
    // Layer 1: threads, then trailing ops.
    for (let i = 0; i < best.schedule.mask.length; i++) {
      if (best.schedule.mask[i] === 0) continue;
      const mask = best.schedule.mask.map((m, j) => (j === i ? 0 : m));
      tryCand({ mask, steps: best.schedule.steps.filter((s) => !(s.k === 't' && s.id === i)) });
    }
    for (let i = 0; i < best.schedule.mask.length; i++) {
      while (best.schedule.mask[i]! > 1) {
        const mask = best.schedule.mask.map((m, j) => (j === i ? m - 1 : m));
        if (!tryCand({ mask, steps: best.schedule.steps })) break;
      }
    }
    // Layer 2: delete chunks of steps, until no single step can go.
    for (let round = 0; round < 8; round++) {
      let improved = false;
      let size = Math.max(1, Math.floor(groups(best.schedule.steps).length / 2));
      for (;;) {
        let start = 0;
        for (;;) {
          const g = groups(best.schedule.steps);
          if (start >= g.length) break;
          const kept = [...g.slice(0, start), ...g.slice(start + size)].flat();
          if (tryCand({ mask: best.schedule.mask, steps: kept })) improved = true;
          else start += size;
        }
        if (size === 1) break;
        size = Math.floor(size / 2);
      }
      if (!improved || runs >= budget) break;
    }
  } finally {
    uninstallCheckHooks();
  }
  return { result: best, shrinks, runs, path };
}
