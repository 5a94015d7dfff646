/**
 * The engine installs the same kernel hook functions in every run (the
 * clock, the waker, the vm event sink, the mmap_lock tracepoints; engine.ts
 * `Simulator.active`), which then route to the simulator whose run() is under
 * way. A run's figures must not depend on the runs before it: the figures
 * that come through those hooks (vm events, mmap_lock hold and wait times,
 * op latencies) are the same for a run made first, after another scenario's
 * run, and after a run of another strategy.
 */
import { describe, expect, it } from 'vitest';
import { measure, type MeasureSpec } from '../src/metrics/run.js';
import { loadScenario } from '../src/scenario/load.js';

describe('simulations back to back', () => {
  it('give each run the figures it gets alone', () => {
    const app = loadScenario('android-app');
    app.duration = 400_000_000;
    const tiny = loadScenario('tiny');
    const a: MeasureSpec = { scenario: app, fault: 'mainline', fork: 'fork-lock-all', seed: 3 };
    const first = JSON.stringify(measure(a));
    const other = measure({ scenario: tiny, fault: 'retry-vma', fork: 'fork-lock-all', seed: 1 });
    const again = JSON.stringify(measure(a));
    measure({ ...a, fault: 'hold-io' });
    const third = JSON.stringify(measure(a));
    expect(again).toBe(first);
    expect(third).toBe(first);
    // The hooks delivered something in both scenarios.
    const m = JSON.parse(first) as { mmapLock: { writeHold: unknown } };
    expect(m.mmapLock.writeHold).toBeTruthy();
    expect(JSON.stringify(other)).not.toBe(first);
  }, 120_000);
});
