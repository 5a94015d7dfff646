/** Check-scenario files: templates, parameters, and errors that name the place. */
import { describe, expect, it } from 'vitest';
import {
  Execution, INVARIANT_NAMES, loadCheckScenario, parseCheckScenario, uninstallCheckHooks, type CheckModel,
} from '../src/check/index.js';
import type { Folio } from '../src/model/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { ScenarioError } from '../src/scenario/errors.js';

describe('check scenarios', () => {
  it('the SPIN anchor expands nfault fault threads over two VMAs', () => {
    const s = loadCheckScenario('check-spin-anchor', { nfault: 4 });
    expect(s.threads.map((t) => t.name)).toEqual(['fault0', 'fault1', 'fault2', 'fault3', 'fork', 'mprotect']);
    expect(s.threads.slice(0, 4).map((t) => t.ops[0])).toEqual([
      { op: 'fault', vma: ['vma0'], page: 0, access: 'read', state: ['absent'] },
      { op: 'fault', vma: ['vma1'], page: 0, access: 'read', state: ['absent'] },
      { op: 'fault', vma: ['vma0'], page: 1, access: 'read', state: ['absent'] },
      { op: 'fault', vma: ['vma1'], page: 1, access: 'read', state: ['absent'] },
    ]);
  });
  it('errors name file, line and path', () => {
    const text = 'name: x\ndescription: y\nvmas:\n  - { name: a, kind: anon }\nthreads:\n  - name: T\n    ops:\n      - { op: fault, vma: b, state: cached }\n';
    try {
      parseCheckScenario(text, 'x.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      const d = (e as ScenarioError).details;
      expect(d).toMatch(/^x\.yaml:8:\d+: threads\[0\]\.ops\[0\]\.vma: unknown VMA 'b'/m);
    }
  });
  it('a parameter out of range is bad input', () => {
    expect(() => loadCheckScenario('check-spin-anchor', { nfault: 5 })).toThrow(/nfault=5 is out of range 2\.\.4/);
  });
});

describe('the `readahead` page state', () => {
  const text = `
name: check-readahead-state-test
description: one read fault on a PG_readahead page
vmas:
  - { name: vma0, kind: file, pages: 4 }
threads:
  - name: a
    ops:
      - { op: fault, vma: vma0, page: 1, access: read, state: readahead }
`;
  for (const [fault, retries] of [['mainline', 1], ['hold-io', 0]] as const) {
    it(`a hit on it runs async readahead (the marker cleared); ${fault}: ${retries} retry`, () => {
      const m: CheckModel = {
        scenario: parseCheckScenario(text, 'test'), fault: faultStrategy(fault), fork: forkStrategy('fork-lock-all'),
        injections: [], invariants: new Set(INVARIANT_NAMES), stateCache: false,
      };
      const ex = new Execution(m, [1], () => 0);
      try {
        const cache = ex.mm.vmas[0]!.cache;
        let folio: Folio | undefined;
        for (let n = 0; n < 100 && ex.runnable().length > 0; n++) {
          const out = ex.step(ex.runnable()[0]!, false, false);
          expect(out.violation).toBeNull();
          if (folio === undefined) { // the op's first step set the page's state: uptodate, unlocked, PG_readahead
            folio = cache.get(1);
            expect(folio).toBeDefined();
            expect([folio!.uptodate, folio!.locked, folio!.readahead]).toEqual([true, false, true]);
          }
        }
        expect(ex.runnable()).toEqual([]);
        expect(cache.get(1)).toBe(folio);
        expect(folio!.readahead).toBe(false); // page_cache_async_ra: folio_clear_readahead
        // mainline: do_async_mmap_readahead dropped the VMA lock, so VM_FAULT_RETRY (without MAJOR); hold-io keeps it.
        expect(ex.tasks[0]!.retries).toBe(retries);
      } finally {
        uninstallCheckHooks();
      }
    });
  }
});
