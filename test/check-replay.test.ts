/**
 * The counterexample round trip, never skipped: fail -> print -> replay ->
 * the same violation. And replay refuses to guess.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCommand, decodeSchedule, encodeSchedule, formatReport, ScheduleError, type Schedule } from '../src/check/index.js';
import { runCheck, Sink } from './check-helpers.js';

describe('replay', () => {
  it('fail, print, replay: the same violation, step for step', () => {
    const found = runCheck('check-fork-uffd-wp', { fork: 'fork-lock-cow' });
    const text = formatReport(found, { replay: { scenarioArg: 'check-fork-uffd-wp', params: {}, injections: [], disabled: [] } });
    const line = /^replay: (.*)$/m.exec(text)![1]!;
    expect(line).toMatch(/^faultline check check-fork-uffd-wp --strategy mainline --fork fork-lock-cow --replay fl1\./);
    const schedule = decodeSchedule(/--replay (\S+)/.exec(line)![1]!);
    const again = runCheck('check-fork-uffd-wp', { fork: 'fork-lock-cow', mode: { kind: 'replay', schedule } });
    expect(again.violation!.invariant).toBe(found.violation!.invariant);
    expect(again.violation!.message).toBe(found.violation!.message);
    expect(again.violation!.steps.map((s) => [s.taskName, s.what])).toEqual(found.violation!.steps.map((s) => [s.taskName, s.what]));
  });

  it('through the command line: --save FILE, then --replay FILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-check-'));
    const file = join(dir, 'cx.schedule');
    const out = new Sink(), err = new Sink();
    expect(await checkCommand(['check-mprotect-fault', '--inject', 'mprotect-skip-vma-write-lock', '--save', file], { stdout: out, stderr: err })).toBe(1);
    const violation = /^VIOLATION .*$/m.exec(out.text)![0];
    expect(readFileSync(file, 'utf8')).toMatch(/^fl1\./m);
    const out2 = new Sink();
    expect(await checkCommand(['check-mprotect-fault', '--inject', 'mprotect-skip-vma-write-lock', '--replay', file], { stdout: out2, stderr: err })).toBe(1);
    expect(/^VIOLATION .*$/m.exec(out2.text)![0]).toBe(violation);
    expect(err.text).toBe('');
  });

  it('a schedule that does not fit fails loudly, naming the expected task and the runnable set', async () => {
    const found = runCheck('check-fork-uffd-wp', { fork: 'fork-lock-cow' });
    const s = decodeSchedule(found.violation!.schedule);
    // Run `fork` first, then ask for T1's second step before its first... by swapping the first two task steps.
    const steps = [...s.steps];
    const firstFork = steps.findIndex((x) => x.k === 't' && x.id === 1);
    const bad: Schedule = { mask: s.mask, steps: [steps[firstFork]!, { k: 't', id: 7 }, ...steps] };
    const out = new Sink(), err = new Sink();
    const code = await checkCommand(['check-fork-uffd-wp', '--fork', 'fork-lock-cow', '--replay', encodeSchedule(bad)], { stdout: out, stderr: err });
    expect(code).toBe(2);
    expect(err.text).toMatch(/replay diverged at step 2: the schedule runs #7, which is not runnable \(runnable \{T1, fork\}\)/);
  });

  it('schedules survive encoding (property)', () => {
    const step = fc.oneof(
      fc.record({ k: fc.constant('t' as const), id: fc.nat(40) }),
      fc.record({ k: fc.constant('c' as const), v: fc.nat(1000) }),
    );
    fc.assert(fc.property(fc.array(fc.nat(9), { maxLength: 12 }), fc.array(step, { maxLength: 300 }), (mask, steps) => {
      const s: Schedule = { mask, steps };
      expect(decodeSchedule(encodeSchedule(s))).toEqual(s);
    }));
    expect(() => decodeSchedule('fl1.%%')).toThrow(ScheduleError);
    expect(() => decodeSchedule('xyz')).toThrow(/does not start with 'fl1\.'/);
  });
});
