/** Check-scenario files: templates, parameters, and errors that name the place. */
import { describe, expect, it } from 'vitest';
import { loadCheckScenario, parseCheckScenario } from '../src/check/index.js';
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
