/** `faultline experiment`: list, errors, table and JSON. */
import { describe, expect, it } from 'vitest';
import { EXPERIMENTS } from '../src/experiments/index.js';
import { cli } from './cli-helpers.js';

describe('faultline experiment', { timeout: 20_000 }, () => {
  it('--list names the ten experiments', async () => {
    const r = await cli('experiment', '--list');
    expect(r.code).toBe(0);
    expect(EXPERIMENTS.map((e) => e.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    for (const e of EXPERIMENTS) expect(r.stdout).toMatch(new RegExp(`^ +${e.number}  ${e.name} +\\S`, 'm'));
  });

  it('bad input: one line, exit 2', async () => {
    for (const argv of [['experiment', 'bogus'], ['experiment'], ['experiment', 'uneven', '--seeds', '0']]) {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^faultline: [^\n]+\n$/);
    }
    expect((await cli('experiment', 'unevn')).stderr).toContain("did you mean 'uneven'?");
  });

  it('prints the table with the seeds used and the headline; --json has the same values', async () => {
    const t = await cli('experiment', 'uneven', '--seeds', '1');
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('experiment 8 uneven');
    expect(t.stdout).toContain('seed 1 per configuration');
    expect(t.stdout).toMatch(/^headline: hold-io: /m);
    expect(t.stdout).not.toContain('does NOT hold');
    const j = await cli('experiment', '8', '--seeds', '1', '--json');
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout) as {
      experiment: { name: string; seeds: number };
      tables: Array<{ columns: Array<{ label: string }>; rows: Array<{ variant: string; fault: string; values: Array<number | null> }> }>;
      headline: { text: string; holds: boolean };
    };
    expect(doc.experiment).toMatchObject({ name: 'uneven', seeds: 1 });
    expect(doc.headline.holds).toBe(true);
    expect(doc.tables[0]!.rows.map((r) => `${r.variant} ${r.fault}`)).toContain('1 x 256MB hold-io');
  });
});
