/**
 * The types an execution of a check scenario is built from and returns (what
 * to check, a step's outcome, a VMA's slot), and the small functions around
 * them; split out of ./executor.ts.
 */
import { install_model_hooks, install_nondet, install_vm_event_sink, VM_GROWSDOWN, vm_flags_of, type FaultStrategy, type ForkStrategy } from '../model/index.js';
import { applyInjections, type Injection } from './inject.js';
import type { InvariantName, Violation } from './invariants.js';
import type { CheckScenario, CheckVma } from './scenario.js';
import type { Footprint } from './track.js';

/** What to check: a scenario under one fault and one fork strategy. */
export interface CheckModel {
  readonly scenario: CheckScenario;
  readonly fault: FaultStrategy;
  readonly fork: ForkStrategy;
  readonly injections: readonly Injection[];
  readonly invariants: ReadonlySet<InvariantName>;
  /** Every effect a scheduling point, no merging of invisible sub-steps (for comparison; docs/checker.md). */
  readonly fineSteps?: boolean;
  /** Record each task's input history, so that `Execution.stateHash` can key a visited-state table. */
  readonly stateCache?: boolean;
}

/** Result of one step. */
export interface StepOutcome {
  /** Read/write footprint (tracked steps only). */
  readonly fp: Footprint | null;
  readonly violation: Violation | null;
  /** The step threw for a disabled invariant: the execution cannot go on. */
  readonly aborted: boolean;
  /** Tasks the step woke (wake_up_process) and pseudo-tasks it created (I/O completions). */
  readonly woke: readonly number[];
  readonly spawned: readonly number[];
}

export interface Slot {
  readonly start: number;
  readonly spec: CheckVma;
}

export function vmFlags(v: CheckVma): number {
  return vm_flags_of(v) | (v.growsdown ? VM_GROWSDOWN : 0); // MAP_GROWSDOWN
}

/** Undo the engine hooks after a search (the simulator installs its own). */
export function uninstallCheckHooks(): void {
  install_model_hooks(null);
  install_nondet(null);
  install_vm_event_sink(() => {});
  applyInjections([]);
}
