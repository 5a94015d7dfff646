/** Helpers for the checker tests. */
import { Writable } from 'node:stream';
import { check, INVARIANT_NAMES, loadCheckScenario, type CheckOptions, type CheckReport, type CheckScenario, type Injection, type InvariantName } from '../src/check/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

export const FORKS = [
  'fork-lock-all', 'fork-lock-writable', 'fork-lock-cow', 'fork-lock-anon-vma', 'fork-lock-anon-vma-literal', 'fork-lock-none',
] as const;

export interface RunSpec {
  fault?: string;
  fork?: string;
  params?: Record<string, number>;
  inject?: Injection[];
  invariants?: InvariantName[];
  mode?: CheckOptions['mode'];
  maxExecutions?: number;
  shrink?: boolean;
  /** Every effect a scheduling point (no merging of invisible sub-steps). */
  fineSteps?: boolean;
}

export const DFS: CheckOptions['mode'] = { kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: null };

/** Check a scenario (built-in name or resolved object). */
export function runCheck(sc: string | CheckScenario, spec: RunSpec = {}): CheckReport {
  const scenario = typeof sc === 'string' ? loadCheckScenario(sc, spec.params ?? {}) : sc;
  return check(
    {
      scenario,
      fault: faultStrategy(spec.fault ?? 'mainline'),
      fork: forkStrategy(spec.fork ?? 'fork-lock-all'),
      injections: spec.inject ?? [],
      invariants: new Set(spec.invariants ?? INVARIANT_NAMES),
      fineSteps: spec.fineSteps ?? false,
    },
    { mode: spec.mode ?? DFS, maxExecutions: spec.maxExecutions ?? null, shrink: spec.shrink ?? true },
  );
}

/** 'safe' (complete, clean), 'unsafe:<invariant>', or 'incomplete'. */
export function verdict(r: CheckReport): string {
  if (r.violation !== null) return `unsafe:${r.violation.invariant}`;
  return r.complete ? 'safe' : 'incomplete';
}

/** A writable stream that keeps what is written. */
export class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString();
    done();
  }
}
