/**
 * The V8 flags faultline sets for itself (src/sweep/v8-flags.ts): which ones,
 * the escape hatches (FAULTLINE_V8_FLAGS, flags the user gave node), and
 * that a tuned process prints the same bytes as an untuned one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_V8_FLAGS, flagName, v8Tuning, WORKER_YOUNG_GENERATION_MB } from '../src/sweep/v8-flags.js';
import { ensureBuilt, runBuilt } from './built-cli.js';

const LIMITS = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };

describe('v8Tuning', () => {
  it('sets the default flags and worker limits when the user gave none', () => {
    expect(v8Tuning({}, [])).toEqual({ flags: [...DEFAULT_V8_FLAGS], workerLimits: LIMITS });
    expect(DEFAULT_V8_FLAGS).toEqual(['--max-inlined-bytecode-size-cumulative=460', '--no-parallel-scavenge', '--interrupt-budget=135168']);
  });

  it('names a flag without its value, polarity or underscores', () => {
    expect(flagName('--no-parallel_scavenge')).toBe('parallel-scavenge');
    expect(flagName('--parallel-scavenge')).toBe('parallel-scavenge');
    expect(flagName('--max-inlined-bytecode-size-cumulative=300')).toBe('max-inlined-bytecode-size-cumulative');
  });

  it('leaves a flag the user gave node (command line or NODE_OPTIONS, either polarity) as given', () => {
    expect(v8Tuning({}, ['--parallel_scavenge']).flags).toEqual(['--max-inlined-bytecode-size-cumulative=460', '--interrupt-budget=135168']);
    expect(v8Tuning({ NODE_OPTIONS: '--max-inlined-bytecode-size-cumulative=920 --enable-source-maps' }, []).flags).toEqual(['--no-parallel-scavenge', '--interrupt-budget=135168']);
    // Unrelated node options change nothing.
    expect(v8Tuning({ NODE_OPTIONS: '--enable-source-maps' }, ['--import', 'x.js'])).toEqual({ flags: [...DEFAULT_V8_FLAGS], workerLimits: LIMITS });
    // A young-generation size of the user's own: workers keep it too.
    expect(v8Tuning({}, ['--max-semi-space-size=16']).workerLimits).toBeUndefined();
  });

  it('FAULTLINE_V8_FLAGS replaces the list; empty turns every setting off', () => {
    expect(v8Tuning({ FAULTLINE_V8_FLAGS: '' }, [])).toEqual({ flags: [], workerLimits: undefined });
    expect(v8Tuning({ FAULTLINE_V8_FLAGS: ' --no-opt  --max-lazy ' }, [])).toEqual({ flags: ['--no-opt', '--max-lazy'], workerLimits: undefined });
  });
});

describe('the built CLI with and without the flags', () => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'faultline-v8-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the same bytes, tuned (the default) or not, and reports what it set', async () => {
    const args = ['run', 'android-app', '--duration', '1500ms', '--seeds', '6', '--strategy', 'mainline,hold-io', '--json', '--jobs', '2'];
    const tuned = await runBuilt(args, dir, { FAULTLINE_POOL_STATS: '1' });
    const plain = await runBuilt(args, dir, { FAULTLINE_POOL_STATS: '1', FAULTLINE_V8_FLAGS: '' });
    expect(tuned.code).toBe(0);
    expect(plain.code).toBe(0);
    expect(tuned.stderr).toContain(`faultline: v8 flags ${JSON.stringify(DEFAULT_V8_FLAGS)}, worker limits ${JSON.stringify(LIMITS)}`);
    expect(plain.stderr).toContain('faultline: v8 flags [], worker limits null');
    expect(tuned.stdout).toBe(plain.stdout);
  }, 120_000);
});
