/**
 * docs/checker.md "Per-VMA-lock bugs fixed since v6.4": every row of its two
 * tables (the fixes, and the mutations of the locking rule) is what the
 * checker says (issue 13's first Done-when bullet). Each row names a check
 * scenario and a mutation and the invariant the pre-fix locking breaks: with
 * `--inject` the default search finds that invariant, the counterexample is
 * shrunk and its schedule replays to the same violation; without it (the
 * fixed locking) the search is complete and safe. The search is the CLI's
 * default (state caching and the bug-hunting passes). The rows are read from the
 * document, so a row that stops being true, or a scenario or mutation that is
 * renamed, fails here. `--param` settings a row names in its first column
 * (`--param nwalk=1`) are passed on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSchedule, DEFAULT_HUNT, INJECTION_NAMES, type CheckOptions, type CheckReport, type Injection } from '../src/check/index.js';
import { repoRoot } from '../src/scenario/index.js';
import { runCheck, verdict } from './check-helpers.js';

interface Row { table: 'fixes' | 'rules'; scenario: string; inject: Injection; invariant: string; params: Record<string, number> }

function tableRows(): Row[] {
  const md = readFileSync(join(repoRoot(), 'docs/checker.md'), 'utf8').split('\n');
  const start = md.findIndex((l) => l.startsWith('### Per-VMA-lock bugs fixed since v6.4'));
  const end = md.findIndex((l, i) => i > start && l.startsWith('### '));
  const rows: Row[] = [];
  let table: Row['table'] | null = null;
  for (const l of md.slice(start, end)) {
    if (l.startsWith('| fix commit |')) table = 'fixes';
    else if (l.startsWith('| rule (kernel) |')) table = 'rules';
    else if (table !== null && l.startsWith('| ') && !l.startsWith('|---')) {
      const cols = l.split(' | ');
      const ticks = [...cols[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      const scenario = ticks.find((t) => t.startsWith('check-'));
      const inject = ticks.filter((t) => (INJECTION_NAMES as readonly string[]).includes(t));
      const invariant = /^unsafe: `([^`]+)`/.exec(cols[3]!)?.[1];
      if (scenario === undefined || inject.length !== 1 || invariant === undefined) throw new Error(`docs/checker.md: cannot read the row ${l.slice(0, 120)}`);
      const params = Object.fromEntries([...cols[0]!.matchAll(/`--param (\w+)=(\d+)`/g)].map((m) => [m[1]!, Number(m[2])]));
      rows.push({ table, scenario, inject: inject[0] as Injection, invariant, params });
    }
  }
  return rows;
}

const rows = tableRows();
/** The search `faultline check` runs by default: DPOR, sleep sets, state caching, the bug-hunting passes. */
const CLI: CheckOptions['mode'] = { kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: null, stateCache: true, hunt: DEFAULT_HUNT };
const post = new Map<string, CheckReport>();

describe('docs/checker.md: the per-VMA-lock fix table and the locking-rule table, row by row', () => {
  it('reads both tables', () => {
    expect(rows.filter((r) => r.table === 'fixes').length).toBeGreaterThanOrEqual(13);
    expect(rows.filter((r) => r.table === 'rules').length).toBeGreaterThanOrEqual(10);
  });
  for (const r of rows) {
    const params = Object.entries(r.params).map(([k, v]) => ` --param ${k}=${v}`).join('');
    it(`${r.scenario}${params} --inject ${r.inject}: unsafe ${r.invariant}, shrunk, replays; without it safe and complete`, async () => {
      const bad = runCheck(r.scenario, { inject: [r.inject], params: r.params, mode: CLI });
      expect(verdict(bad)).toBe(`unsafe:${r.invariant}`);
      const v = bad.violation!;
      expect(v.steps.length).toBeLessThanOrEqual(v.foundSteps);
      const again = runCheck(r.scenario, { inject: [r.inject], params: r.params, mode: { kind: 'replay', schedule: decodeSchedule(v.schedule) } });
      expect(again.violation?.message).toBe(v.message);
      // Give the worker's event loop a turn between searches: vitest's RPC times out on a worker busy for a minute.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const key = `${r.scenario}${params}`;
      if (!post.has(key)) post.set(key, runCheck(r.scenario, { params: r.params, mode: CLI }));
      const ok = post.get(key)!;
      expect(verdict(ok)).toBe('safe');
      expect(ok.complete).toBe(true);
    }, 120_000);
  }
});
