/** The CLI, run in-process through main(argv, io). */
import { describe, expect, it } from 'vitest';
import { ALL_FAULT_STRATEGIES } from '../src/strategies/index.js';
import { cli } from './cli-helpers.js';

function oneLineError(r: { code: number; stdout: string; stderr: string }): string {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^faultline: [^\n]+\n$/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr;
}

describe('faultline CLI: bad input -> one line, exit 2', () => {
  it('unknown fault strategy', async () => {
    const e = oneLineError(await cli('run', 'tiny', '--strategy', 'mainline,bogus'));
    expect(e).toContain("unknown fault strategy 'bogus'");
  });
  it('bad strategy option', async () => {
    expect(oneLineError(await cli('run', 'tiny', '--strategy', 'mainline+fast'))).toContain('takes no options');
  });
  it('unknown option of a strategy that has options', async () => {
    expect(oneLineError(await cli('run', 'tiny', '--strategy', 'hold-io+fast'))).toContain("unknown option 'fast' for fault strategy 'hold-io' (options: mmap)");
  });
  it('unknown fork strategy', async () => {
    expect(oneLineError(await cli('run', 'tiny', '--fork', 'fork-lock-some'))).toContain("unknown fork strategy 'fork-lock-some'");
  });
  it('missing scenario file', async () => {
    expect(oneLineError(await cli('run', './no/such/scenario.yaml'))).toContain('no/such/scenario.yaml');
  });
  it('unknown built-in scenario', async () => {
    expect(oneLineError(await cli('run', 'tinyy'))).toContain('tinyy');
  });
  it('bad numbers and durations', async () => {
    expect(oneLineError(await cli('run', 'tiny', '--seeds', '0'))).toContain('--seeds');
    expect(oneLineError(await cli('run', 'tiny', '--seeds', 'two'))).toContain('--seeds');
    expect(oneLineError(await cli('run', 'tiny', '--seed', '-1'))).toContain('--seed');
    expect(oneLineError(await cli('run', 'tiny', '--duration', '5 parsecs'))).toContain('--duration');
    expect(oneLineError(await cli('run', 'tiny', '--duration', '1ms'))).toContain('warm-up');
  });
  it('usage errors from the parser', async () => {
    expect(oneLineError(await cli('run', 'tiny', '--frobnicate'))).toContain("unknown option '--frobnicate'");
    expect(oneLineError(await cli('run'))).toContain("missing required argument 'scenario'");
    expect(oneLineError(await cli('walk'))).toContain("unknown command 'walk'");
  });
});

describe('faultline CLI: commands', () => {
  it('list: scenarios with descriptions, and strategies', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    // Name on its own line, description wrapped below it.
    expect(r.stdout).toMatch(/^ {2}tiny\n {6}\S.*$/m);
    expect(r.stdout).toMatch(/^ {2}android-app\n {6}\S.*$/m);
    for (const s of ['mainline', 'hold-io', 'retry-vma', 'fork-lock-all', 'fork-lock-none']) expect(r.stdout).toContain(s);
  });

  it('run tiny --json parses, with one combination per strategy and one run per seed', async () => {
    const r = await cli('run', 'tiny', '--json', '--strategy', 'mainline,hold-io', '--seeds', '2', '--seed', '5');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as {
      faultline: string; scenario: { name: string; seed: number; seeds: number };
      combinations: Array<{ fault: string; fork: string; runs: Array<{ seed: number }>; summary: Record<string, { median: number }> }>;
    };
    expect(doc.faultline).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.scenario).toMatchObject({ name: 'tiny', seed: 5, seeds: 2 });
    expect(doc.combinations.map((c) => [c.fault, c.fork, c.runs.map((x) => x.seed)])).toEqual([
      ['mainline', 'fork-lock-all', [5, 6]], ['hold-io', 'fork-lock-all', [5, 6]],
    ]);
    expect(doc.combinations[1]!.summary['ops.all.fault.count']!.median).toBeGreaterThan(0);
  });

  it('run prints the table; --strategy all expands', async () => {
    const r = await cli('run', 'tiny', '--strategy', 'all', '--duration', '40ms');
    expect(r.code).toBe(0);
    // The column headers are the lines above the first section (after the "what differs" summary).
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('fault latency (op begin -> end)');
    const header = lines.slice(Math.max(0, at - 5), at).join('\n');
    for (const s of ALL_FAULT_STRATEGIES) for (const part of s.split('+')) expect(header).toContain(part);
    expect(r.stdout).toContain('fault latency');
    expect(r.stdout).toContain('40.0ms simulated');
  });

  it('--help and --version exit 0', async () => {
    const h = await cli('--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('run');
    const v = await cli('--version');
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('determinism', () => {
  it('same scenario, strategy and seed: byte-identical JSON and table', async () => {
    const args = ['run', 'tiny', '--strategy', 'mainline,retry-vma+uptodate-skip', '--seeds', '2'];
    const a = await cli(...args, '--json');
    const b = await cli(...args, '--json');
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect((await cli(...args)).stdout).toBe((await cli(...args)).stdout);
  });
});
