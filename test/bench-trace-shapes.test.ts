/**
 * `node --no-sparkplug dist/bench/trace-shapes.js`: V8's generalization and
 * deopt traces, turned on after the scenario is loaded, with a RUN line
 * before each run (bench/README.md, "Fewer deopts per isolate"). Checks the
 * run lines and that the trace flags took effect; what V8 prints is not tested.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './built-cli.js';

describe('bench trace-shapes', () => {
  it('prints RUN i before each run in spec order (strategy-major) and V8 traces from the flags given', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, ['--no-sparkplug', join(ROOT, 'dist', 'bench', 'trace-shapes.js'), 'tiny', '--strategy', 'mainline,retry-vma', '--seeds', '2', '--v8=--trace-deopt'],
      { encoding: 'utf8', cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('RUN '))).toEqual([
      'RUN 0 mainline seed 1', 'RUN 1 mainline seed 2', 'RUN 2 retry-vma seed 1', 'RUN 3 retry-vma seed 2',
    ]);
    expect(lines).toContain('done 4 runs');
    expect(lines.some((l) => l.startsWith('[generalizing]'))).toBe(false); // only the flags given
  }, 20_000);
});
