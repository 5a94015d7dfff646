/**
 * `npm run bench:check`: faultline's default search beside SPIN on the SPIN
 * anchor, one JSON line. Runs the two-fault configurations (complete in
 * seconds); SPIN's side needs Debian's spin (.ci/run installs it) and the
 * anchors beside the repository.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './built-cli.js';

const SPIN_DIR = join(ROOT, '..', 'shared', 'anchors', 'spin');
const hasSpin = spawnSync('sh', ['-c', 'command -v spin && command -v cc'], { encoding: 'utf8' }).status === 0;

interface Row {
  config: string;
  faultline: { verdict: string; executions: number; states: number };
  spin: { verdict: string; stored: number } | null;
  verdicts_agree: boolean | null;
}

describe('bench:check', () => {
  it('HOLD-2 and the fork-skip bug: faultline and SPIN side by side, verdicts agree', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'check-spin.js'), '--configs', 'HOLD-2,BUG-HOLD-2,BUG-DROP-2', '--time-limit', '0'], { encoding: 'utf8', cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { configs: Row[]; notes: string[] };
    const byName = new Map(res.configs.map((c) => [c.config, c]));
    expect(byName.get('HOLD-2')!.faultline.verdict).toBe('safe');
    expect(byName.get('BUG-HOLD-2')!.faultline.verdict).toBe('violation');
    expect(byName.get('BUG-DROP-2')!.faultline.verdict).toBe('violation');
    expect(r.stderr).toMatch(/^HOLD-2 +safe +[\d,]+ +[\d,]+/m);
    if (hasSpin && existsSync(SPIN_DIR)) {
      expect(byName.get('HOLD-2')!.spin).toMatchObject({ verdict: 'safe', stored: 5230 });
      for (const c of res.configs) expect(c.verdicts_agree, c.config).toBe(true);
    } else {
      expect(res.notes.join(' ')).toMatch(/SPIN not run/);
    }
  }, 120_000);

  it('an unknown configuration is refused', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'check-spin.js'), '--configs', 'HOLD-9'], { encoding: 'utf8', cwd: ROOT });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown configuration 'HOLD-9'/);
  }, 60_000); // a build (if dist/ is stale) and a process start: seconds on a busy machine
});
