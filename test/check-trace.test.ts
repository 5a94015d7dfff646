/** `faultline check --trace`: the counterexample as a Perfetto timeline that passes the format checks. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../src/check/index.js';
import { validateChromeTrace } from '../src/trace/validate.js';
import { Sink } from './check-helpers.js';

describe('faultline check --trace', () => {
  it('writes the shrunk counterexample as one slice per step, one track per thread', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fl-check-trace-')), 'ce.json');
    const out = new Sink(), err = new Sink();
    const code = await checkCommand(['check-fork-uffd-wp', '--fork', 'fork-lock-cow', '--no-save', '--trace', file], { stdout: out, stderr: err });
    expect(code).toBe(1);
    const text = readFileSync(file, 'utf8');
    const v = validateChromeTrace(text);
    expect(v.errors).toEqual([]);
    const events = (JSON.parse(text) as { traceEvents: Array<{ ph: string; name: string; args?: Record<string, unknown> }> }).traceEvents;
    const steps = events.filter((e) => e.ph === 'X');
    const printed = out.text.split('\n').filter((l) => /^\s+\d+\s+\S+\.\d+\s/.test(l));
    expect(steps.length).toBe(printed.length);
    expect(steps.map((e) => e.name)).toContain('lock_vma_under_rcu(mm, addr)');
    expect(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name).sort()).toEqual(['T1', 'fork']);
    expect(events.some((e) => e.ph === 'i' && e.name === 'VIOLATION fork-copy-stability')).toBe(true);
  });
  it('writes nothing when the search finds no violation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-check-trace-'));
    const code = await checkCommand(['check-fork-uffd-wp', '--fork', 'fork-lock-all', '--trace', join(dir, 'none.json')], { stdout: new Sink(), stderr: new Sink() });
    expect(code).toBe(0);
    expect(() => readFileSync(join(dir, 'none.json'))).toThrow();
  });
});
