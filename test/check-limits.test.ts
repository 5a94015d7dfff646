/**
 * Issue 11 through the command: the reproducer exits 1 in every search mode
 * with a counterexample that replays, and 0 without the mutation; a search
 * stopped by --time-limit, SIGINT or SIGTERM prints a partial report in the
 * words of an incomplete one and exits 3; the review's small defects.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand, parseTimeLimit } from '../src/check/index.js';
import { ALL_FAULT_STRATEGIES } from '../src/strategies/index.js';
import { ensureBuilt, ROOT, startBuilt } from './built-cli.js';
import { Sink } from './check-helpers.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink(), err = new Sink();
  const code = await checkCommand(args, { stdout: out, stderr: err });
  return { code, out: out.text, err: err.text };
}

const INJECT = ['--inject', 'mprotect-skip-vma-write-lock', '--no-save'];
const COMPLETE_WORDS = /search complete|every interleaving was explored|no violation;/;

describe('issue 11: the reproducer (check-anon-mprotect)', () => {
  const modes: string[][] = [[], ['--no-dpor'], ['--no-por'], ['--mode', 'random'], ['--mode', 'pct']];
  for (const m of modes) {
    it(`with the mutation: exit 1 under ${m.length > 0 ? m.join(' ') : 'the default search'}, and the counterexample replays`, async () => {
      const r = await run('check-anon-mprotect', ...INJECT, ...m);
      expect(r.code, r.out + r.err).toBe(1);
      expect(r.out).toMatch(/VIOLATION of vma-write-exclusion/);
      const replay = /^replay: faultline check (.*)$/m.exec(r.out)![1]!.split(' ');
      const again = await run(...replay);
      expect(again.code).toBe(1);
      expect(again.out).toMatch(/VIOLATION of vma-write-exclusion/);
    });
  }

  it('the file from the issue, as a file: same verdicts', async () => {
    const f = join(tmpdir(), `faultline-issue11-${process.pid}.yaml`);
    writeFileSync(f, [
      'name: writer-skips-vma-write-lock', 'description: issue 11', 'vmas:',
      '  - { name: heap, kind: anon, anon_vma: true, pages: 2 }', 'threads:',
      '  - name: T2', '    ops:', '      - { op: fault, vma: heap, page: 0, access: write, state: zero }',
      '  - name: T1', '    ops:', '      - { op: mprotect, vma: heap }', '',
    ].join('\n'));
    expect((await run(f, ...INJECT)).code).toBe(1);
    const clean = await run(f);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(/result: no violation; search complete/);
  });

  it('without the mutation: exit 0, complete, in the default search', async () => {
    const r = await run('check-anon-mprotect', '--strategy', 'all');
    expect(r.code).toBe(0);
    expect(r.out.match(/search complete/g)!.length).toBe(ALL_FAULT_STRATEGIES.length);
  });
});

describe('time limits and interruption', () => {
  it('--time-limit: a partial report (executions, states, depth, share explored) in incomplete words, exit 3', async () => {
    // 500 ms, not 1 ms: on a loaded machine 1 ms could pass before the first
    // combination starts (then nothing is explored); HOLD with 3 faults runs far longer.
    // --no-hunt: the share is of the complete search (a bug-hunting pass reports no share, next test).
    const r = await run('check-spin-anchor', '--param', 'nfault=3', '--strategy', 'hold-io,mainline', '--time-limit', '500ms', '--no-hunt');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/explored: [\d,]+ executions .* [\d,]+ states/);
    expect(r.out).toMatch(/search INCOMPLETE \(--time-limit 500ms reached\); guarantee: none beyond the [\d,]+ executions explored \(an estimated .*% of the search tree, stack depth \d+\)/);
    expect(r.out).not.toMatch(COMPLETE_WORDS);
    // The limit is for the command: the second strategy is not started.
    expect(r.out).toMatch(/^not checked \(--time-limit 500ms reached\): mainline\/fork-lock-all$/m);
  });

  it('stopped during a bug-hunting pass: the report names the pass and gives no share of the complete search', async () => {
    const r = await run('check-spin-anchor', '--param', 'nfault=3', '--max-executions', '5');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/INCOMPLETE \(stopped after --max-executions 5\); guarantee: none beyond the 5 executions explored \(stopped in the bug-hunting pass with at most 0 preemptions, before the complete search began\)/);
    expect(r.out).not.toMatch(COMPLETE_WORDS);
  });

  it('--max-executions: the guarantee of a stopped search is not the complete one', async () => {
    const r = await run('check-mprotect-fault', '--max-executions', '5');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/INCOMPLETE \(stopped after --max-executions 5\); guarantee: none beyond the 5 executions explored/);
    expect(r.out).not.toMatch(COMPLETE_WORDS);
  });

  it('SIGINT (in process): the search stops at an execution boundary with a partial report, exit 3', async () => {
    const timer = setTimeout(() => process.emit('SIGINT', 'SIGINT'), 100);
    const r = await run('check-spin-anchor', '--param', 'nfault=3', '--strategy', 'hold-io', '--time-limit', '0');
    clearTimeout(timer);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/search INCOMPLETE \(interrupted by SIGINT\); guarantee: none beyond/);
    expect(r.err).toMatch(/SIGINT: stopping at the next execution boundary/);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('SIGTERM (a real process): partial report, exit 3', async () => {
    ensureBuilt();
    const child = startBuilt(['check', 'check-spin-anchor', '--param', 'nfault=3', '--strategy', 'hold-io', '--time-limit', '0'], ROOT);
    let out = '', err = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    // The first progress line says the search runs (handlers are installed by then).
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/executions, [\d,]+ states/.test(err) && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code).toBe(3);
    expect(out).toMatch(/search INCOMPLETE \(interrupted by SIGTERM\)/);
    expect(out).not.toMatch(COMPLETE_WORDS);
  }, 60_000);

  it('--time-limit values', () => {
    expect(parseTimeLimit('90s')).toBe(90_000);
    expect(parseTimeLimit('10m')).toBe(600_000);
    expect(parseTimeLimit('1.5h')).toBe(5_400_000);
    expect(parseTimeLimit('0')).toBe(0);
    expect(() => parseTimeLimit('10')).toThrow(/expected a number and a unit/);
    expect(() => parseTimeLimit('-1s')).toThrow(/expected a number and a unit/);
  });

  it('--help shows the option and its default', async () => {
    const r = await run('--help');
    expect(r.out).toMatch(/--time-limit DURATION[^]*?\(default 10m\)/);
  });
});

describe('small defects from the review', () => {
  it("--strategy all covers the same fault strategies as 'faultline run', and a strategy listed twice runs once", async () => {
    const all = await run('check-fork-uffd-wp', '--strategy', 'all');
    expect(all.out.match(/^faultline check /gm)!.length).toBe(ALL_FAULT_STRATEGIES.length);
    expect(all.out).toMatch(/strategy retry-vma\+uptodate-skip\+writeback-aware,/);
    const twice = await run('check-fork-uffd-wp', '--strategy', 'mainline,mainline', '--fork', 'fork-lock-all,fork-lock-all');
    expect(twice.out.match(/^faultline check /gm)!.length).toBe(1);
  });

  it('each scenario error on its own line, with its field path; an unknown op is named', async () => {
    const f = join(tmpdir(), `faultline-bad-${process.pid}.yaml`);
    writeFileSync(f, [
      'name: bad', 'description: two errors', 'vmas:', '  - { name: a, kind: anon }', 'threads:',
      '  - name: T', '    ops:', '      - { op: frok }', '      - { op: fault, vma: a, pgae: 1 }', '',
    ].join('\n'));
    const r = await run(f);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/:8:\d+: threads\[0\]\.ops\[0\]\.op: unknown op 'frok' \(did you mean 'fork'\?\)/);
    expect(lines[1]).toMatch(/:9:\d+: threads\[0\]\.ops\[1\]: unknown key\(s\): pgae/);
  });

  it('a malformed --replay string gets an error about the string', async () => {
    const r = await run('check-anon-mprotect', '--replay', 'fl1.garbage');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--replay fl1\.garbage: not a valid schedule string/);
    expect(r.err).not.toMatch(/\d+ threads/);
  });
});
