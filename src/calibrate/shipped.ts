/**
 * The shipped cost profiles (profiles/*.yaml) and how each is made:
 * `calib-host` is fitted from the calibration host's recorded bench outputs
 * (test/fixtures/calibrate, written by `faultline calibrate --record`: one
 * round at its top, or round-K sub-directories, rounds.ts),
 * `phone` comes from phone.ts. `npm run profiles` writes them;
 * test/calibrate.test.ts checks the committed files are up to date.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../scenario/files.js';
import type { BenchSet } from './fit.js';
import { fitRounds, poolRounds } from './rounds.js';
import { phoneProfile } from './phone.js';
import { renderProfile, type CostProfile } from './profile.js';
import { readRounds } from './suite.js';

export const CALIB_FIXTURES = 'test/fixtures/calibrate';

/**
 * Benches added to the suite after the shipped rounds were recorded (each
 * with a fixture of its own for its fit's test, test/fixtures/<bench>): the
 * shipped profile has their costs at their defaults, and the next idle
 * `npm run calibrate:ship` records them with the rest. The rounds of
 * 2026-12-07 21:00 UTC have `mprotect-after-sleep`; `fork-anon-after-sleep`
 * (twelfth session) came after them and was recorded into them at 22:15;
 * `cacheline` (thirteenth session, test/fixtures/cacheline) came after and
 * was recorded into them on the idle host at 01:35 UTC on 2026-12-08.
 */
export const BENCHES_AFTER_SHIPPED_ROUNDS: ReadonlySet<string> = new Set<string>();

/** The rounds recorded in test/fixtures/calibrate (one, or round-K sub-directories). */
export function calibRounds(): BenchSet[] {
  return readRounds([join(repoRoot(), CALIB_FIXTURES)]).map((r) => r.benches);
}

/**
 * The recorded bench outputs of test/fixtures/calibrate as one set: a
 * recording of one round as it is, one of several rounds pooled (rounds.ts
 * poolRounds: the samples calib-host's `measurements` come from). The tests
 * of the fit's formulas use it.
 */
export function calibRecorded(): BenchSet {
  return poolRounds(calibRounds());
}

export function calibHostProfile(): CostProfile {
  const dir = join(repoRoot(), CALIB_FIXTURES);
  const host = JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')) as CostProfile['host'];
  const rounds = calibRounds();
  return fitRounds({
    name: 'calib-host',
    description: `The calibration host (2 vCPUs of a VM, Linux ${host?.kernel ?? '?'}), fitted by faultline calibrate from its recorded bench outputs in ${CALIB_FIXTURES}${rounds.length > 1 ? ` (${rounds.length} rounds, round-K; each cost the median of the rounds' own fits)` : ''}. The load average at measurement time is in host.load: the host was shared, so contended figures are weak.`,
    host,
    rounds,
  });
}

/** File name (in profiles/) -> text. */
export function shippedProfiles(): Map<string, string> {
  return new Map([
    ['calib-host.yaml', renderProfile(calibHostProfile())],
    ['phone.yaml', renderProfile(phoneProfile())],
  ]);
}
