/**
 * The model's side of `faultline real` by mode (src/real/model-side.ts): fault
 * latency per drawn page state and fork latency by the child's placement, on
 * hand-built scenarios with exact outcomes; the runs are measure()'s.
 */
import { describe, expect, it } from 'vitest';
import { measure } from '../src/metrics/index.js';
import { medianModes, runModelSide } from '../src/real/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { CHILD_EXIT, type Extra, forkScenario } from './fork-scenario.js';


describe('fork latency by placement (Simulator.childPreemptsParent)', () => {
  // As in test/fork-child-exit.test.ts: a 2,000.32 us fork at 1 ms, past the 1.4 ms protected
  // slice; a reader woken by the fork's unlock takes the other CPU, so the child runs on the
  // parent's and its 57.2 us exit is charged to the fork. Without the reader the CPU is idle.
  const sc = (reader: boolean, costs: Extra = {}) => forkScenario({ cpus: 2, costs: { ...CHILD_EXIT, ...costs }, reader });

  it('child first: the child ran on the parent\'s CPU before fork() returned', () => {
    expect(runModelSide(sc(true), 1, 1).modes.fork).toEqual({ child_first: { count: 1, p50: 2_057_520, p99: 2_057_520 } });
  });

  it('parent first: an idle CPU took the child', () => {
    expect(runModelSide(sc(false), 1, 1).modes.fork).toEqual({ parent_first: { count: 1, p50: 2_000_320, p99: 2_000_320 } });
  });

  it('no placement without the child\'s exit modelled (its costs 0)', () => {
    expect(runModelSide(sc(true, { do_exit: '0ns', exit_mmap_vma: '0ns', unlink_anon_vmas: '0ns', exit_mmap_pte: '0ns' }), 1, 1).modes.fork).toEqual({});
  });
});

describe('fault latency by drawn page state', () => {
  const sc = (states: Record<string, number>) => scenarioFromObject({
    name: 'st', description: 'test', duration: '50ms', warmup: '5ms', cpus: 2,
    vmas: [{ name: 'lib', kind: 'file', pages: 4096 }],
    threads: [{ name: 'f', think: '20us', ops: [{ op: 'fault', vma: 'lib', states }] }],
    io: { read: '30us' },
  });

  it('one state: its figures are the mixed ones', () => {
    const s = sc({ cached: 1 });
    const m = runModelSide(s, 1, 1);
    const all = m.runs[0]!.opsAll.fault!.latency!;
    expect(m.modes.fault).toEqual({ cached: { count: all.count, p50: all.p50, p99: all.p99 } });
  });

  it('two states: the counts add up to the faults, and an absent page (a 30 us read) is the slow mode', () => {
    const s = sc({ absent: 0.5, cached: 0.5 });
    const m = runModelSide(s, 1, 1);
    const f = m.modes.fault;
    expect(Object.keys(f)).toEqual(['absent', 'cached']);
    expect(f.absent!.count + f.cached!.count).toBe(m.runs[0]!.opsAll.fault!.latency!.count);
    expect(f.absent!.p50).toBeGreaterThan(30_000);
    expect(f.cached!.p99).toBeLessThan(30_000);
  });

  it('the runs are measure()\'s, seed by seed, and the modes are medians over the seeds', () => {
    const s = sc({ absent: 0.3, cached: 0.7 });
    const m = runModelSide(s, 4, 3);
    for (let i = 0; i < 3; i++) {
      expect(JSON.stringify(m.runs[i])).toBe(JSON.stringify(measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed: 4 + i })));
    }
    const per = [4, 5, 6].map((seed) => runModelSide(s, seed, 1).modes);
    expect(m.modes).toEqual(medianModes(per));
    const p50s = per.map((x) => x.fault.absent!.p50).sort((a, b) => a - b);
    expect(m.modes.fault.absent!.p50).toBe(p50s[1]);
  });
});
