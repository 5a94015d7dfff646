/** Progress of many runs: runs done, simulated time and ETA on a terminal; silent otherwise. */
import { describe, expect, it } from 'vitest';
import { RunProgress } from '../src/sweep/index.js';

function io(tty: boolean, step: number) {
  let err = '', clock = 0;
  return { stderr: { write: (s: string) => { err += s; }, isTTY: tty }, now: () => (clock += step), err: () => err };
}

describe('RunProgress', () => {
  it('shows runs done, simulated time and an ETA on a terminal, then the wall time', () => {
    const t = io(true, 700);
    const p = new RunProgress(t, 5, 1);
    for (let i = 0; i < 4; i++) p.tick(10e9);
    p.end();
    expect(t.err()).toContain('\r\x1b[Kfaultline: 3/5 runs, 20.0s simulated, ETA ');
    expect(t.err()).toMatch(/faultline: 4 runs \(40\.0s simulated\) in \d+(\.\d)?s \(wall clock\)\n$/);
  });

  it('is silent off a terminal and for quick work', () => {
    for (const t of [io(false, 700), io(true, 1)]) {
      const p = new RunProgress(t, 3);
      for (let i = 0; i < 3; i++) p.tick(1e9);
      p.end();
      expect(t.err()).toBe('');
    }
  });
});
