/**
 * Golden files for the headline comparison (`npm start`) and the README
 * excerpt: the exact table for android-app. Any model, metric or report change
 * that moves a figure shows up here. Regenerate with UPDATE_GOLDEN=1 after
 * checking the diff is intended, then `npm run readme`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from './cli-helpers.js';

const golden = (name: string) => new URL(`./golden/${name}`, import.meta.url);

async function check(name: string, ...argv: string[]): Promise<void> {
  const r = await cli(...argv);
  expect(r.code).toBe(0);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden(name), r.stdout);
  expect(r.stdout).toBe(readFileSync(golden(name), 'utf8'));
}

describe('headline comparison (golden)', () => {
  it('npm start: android-app, every fault strategy, 3 seeds', async () => {
    await check('headline.txt', 'run', 'android-app', '--strategy', 'all', '--seeds', '3');
  }, 60_000);
  it('README excerpt: mainline, retry-vma, hold-io', async () => {
    await check('headline-excerpt.txt', 'run', 'android-app', '--strategy', 'mainline,retry-vma,hold-io', '--seeds', '3');
  }, 60_000);
  it('README.md is built from docs/README.template.md and is up to date', () => {
    execFileSync(process.execPath, ['scripts/build-readme.mjs', '--check'], { cwd: new URL('..', import.meta.url) });
  });
});
