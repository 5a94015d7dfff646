/** Hand-built interleavings of a check scenario: step named threads until a kernel step, with exact outcomes. */
import { expect } from 'vitest';
import { Execution, INVARIANT_NAMES, loadCheckScenario, type CheckModel, type CheckScenario, type Injection, type Violation } from '../src/check/index.js';
import { install_vm_event_sink, VM_EVENT_NAMES, type VmEvent } from '../src/model/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

/** Run a built-in check scenario step by step under mainline (every data choice `choice`: 0 the first, 1 e.g. reuse a freed VMA). */
export function handRun(name: string | CheckScenario, inject: Injection[] = [], choice = 0) {
  const sc = typeof name === 'string' ? loadCheckScenario(name) : name;
  const model: CheckModel = {
    scenario: sc, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'),
    injections: inject, invariants: new Set(INVARIANT_NAMES),
  };
  const ex = new Execution(model, sc.threads.map((t) => t.ops.length), () => choice);
  const events: string[] = [];
  install_vm_event_sink((ev: VmEvent) => {
    const n = VM_EVENT_NAMES[ev];
    if (n.startsWith('VMA_LOCK') || n === 'FAULT_SIGSEGV') events.push(n);
  });
  const task = (comm: string) => ex.tasks.find((t) => t.comm === comm)!;
  let violation: Violation | null = null;
  const step = (comm: string): void => {
    const o = ex.step(task(comm).id, true, true);
    violation ??= o.violation;
  };
  return {
    ex, events, task, step, get violation() { return violation; },
    until(comm: string, what: string): void {
      const t = task(comm);
      for (let i = 0; i < 100 && t.pending !== what && violation === null; i++) {
        if (t.state !== 0) throw new Error(`${comm} cannot run (${t.pending})`);
        step(comm);
      }
      expect(t.pending).toBe(what);
    },
    /** Run `comm` to its end; it must not sleep on the way. */
    finish(comm: string): void {
      const t = task(comm);
      for (let i = 0; i < 200 && t.state !== 2; i++) {
        if (t.state === 1) throw new Error(`${comm} sleeps in ${t.pending}`);
        step(comm);
      }
      expect(t.state).toBe(2);
    },
    /** Run `comm` until it sleeps or ends. */
    run(comm: string): void {
      const t = task(comm);
      for (let i = 0; i < 200 && t.state === 0 && violation === null; i++) step(comm);
    },
  };
}

