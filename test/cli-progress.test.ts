/** Progress goes to stderr, only on a terminal, only after a second. */
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { Progress } from '../src/cli/progress.js';
import type { CliIo } from '../src/cli/io.js';

function io(tty: boolean, step: number): CliIo & { err: () => string; out: () => string } {
  let err = '', out = '', clock = 0;
  return {
    stdout: { write: (s: string) => { out += s; } },
    stderr: { write: (s: string) => { err += s; }, isTTY: tty },
    now: () => (clock += step),
    err: () => err,
    out: () => out,
  };
}

describe('progress', () => {
  it('shows done/total and ETA on a slow terminal run, then clears the line', () => {
    const t = io(true, 600);
    const p = new Progress(t, 4);
    for (let i = 0; i < 4; i++) p.tick();
    p.end();
    expect(t.err()).toContain('\r\x1b[Kfaultline: 2/4 runs, ETA');
    expect(t.err()).toMatch(/faultline: 4 runs in \d+(\.\d)?s \(wall clock\)\n$/);
  });

  it('is silent when stderr is not a terminal, or the run is fast', () => {
    for (const t of [io(false, 600), io(true, 1)]) {
      const p = new Progress(t, 4);
      for (let i = 0; i < 4; i++) p.tick();
      p.end();
      expect(t.err()).toBe('');
    }
  });

  it('wall time never reaches stdout', async () => {
    const t = io(true, 600);
    expect(await main(['run', 'tiny', '--seeds', '3', '--duration', '30ms'], t)).toBe(0);
    expect(t.out()).not.toMatch(/wall|ETA/);
    expect(t.err()).toContain('wall clock');
  });
});
