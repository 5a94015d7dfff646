/**
 * Sweeps as processes (the built CLI): worker threads give the same bytes as
 * a serial run; a sweep killed with SIGKILL midway, or stopped with Ctrl-C,
 * resumes to a file byte-identical to an uninterrupted run; a torn last line
 * is dropped and redone; shards merged equal the unsharded sweep.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runBuilt, startBuilt } from './built-cli.js';

const SWEEP = ['sweep', 'tiny', '--param', 'io.read.median=100us..1ms~3', '--param', 'cpus=1,2', '--strategy', 'mainline,hold-io', '--seeds', '4'];
const RUNS = 3 * 2 * 2 * 4;

let dir: string;
let reference: string;

/** Runs per thread from the FAULTLINE_POOL_STATS line (this thread first). */
function poolRuns(stderr: string): number[] {
  const m = /^faultline: pool: runs per thread (\[.*\])$/m.exec(stderr);
  if (m === null) throw new Error(`no pool line in: ${stderr}`);
  return JSON.parse(m[1]!) as number[];
}

function lines(path: string): number {
  if (!existsSync(path)) return 0;
  return readFileSync(path, 'utf8').split('\n').length - 1;
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'faultline-sweep-'));
  const r = await runBuilt([...SWEEP, '--jobs', '2', '--out', 'ref.jsonl'], dir);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  reference = readFileSync(join(dir, 'ref.jsonl'), 'utf8');
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('faultline sweep, resumable and parallel', () => {
  it('writes a header and one line per run, in run order, and summarises on stdout', () => {
    const all = reference.trimEnd().split('\n');
    expect(all).toHaveLength(1 + RUNS);
    const header = JSON.parse(all[0]!) as { sweep: string; runs: number };
    expect(header.runs).toBe(RUNS);
    all.slice(1).forEach((l, i) => {
      const line = JSON.parse(l) as { sweep: string; run: number };
      expect(line.sweep).toBe(header.sweep);
      expect(line.run).toBe(i);
    });
  });

  it('serial (--jobs 1) and parallel runs are byte-identical', async () => {
    const r = await runBuilt([...SWEEP, '--jobs', '1', '--out', 'serial.jsonl'], dir, { FAULTLINE_POOL_STATS: '1' });
    expect(r.code).toBe(0);
    expect(poolRuns(r.stderr)).toEqual([RUNS]);
    expect(readFileSync(join(dir, 'serial.jsonl'), 'utf8')).toBe(reference);
    // --jobs 2: this thread and one warm worker share the runs; the file is the same.
    const p = await runBuilt([...SWEEP, '--jobs', '2', '--out', 'parallel.jsonl'], dir, { FAULTLINE_POOL_STATS: '1' });
    expect(p.code).toBe(0);
    const runs = poolRuns(p.stderr);
    expect(runs).toHaveLength(2);
    expect(runs[0]! + runs[1]!).toBe(RUNS);
    expect(runs[1]).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'parallel.jsonl'), 'utf8')).toBe(reference);
  }, 180_000);

  it('killed with SIGKILL midway, it resumes to the same bytes and loses no finished run', async () => {
    const out = join(dir, 'killed.jsonl');
    const child = startBuilt([...SWEEP, '--jobs', '2', '--out', 'killed.jsonl'], dir);
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    await until(() => lines(out) >= 4, 60_000);
    child.kill('SIGKILL');
    await exited;
    const done = lines(out) - 1;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(RUNS); // really midway
    const before = readFileSync(out, 'utf8').split('\n').slice(1).filter((l) => l !== '');
    // Without --resume the file is not touched.
    const refused = await runBuilt([...SWEEP, '--out', 'killed.jsonl'], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/exists: add --resume/);
    const r = await runBuilt([...SWEEP, '--jobs', '2', '--out', 'killed.jsonl', '--resume'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`resumed with ${done} of ${RUNS} runs already done`));
    const after = readFileSync(out, 'utf8');
    expect(after).toBe(reference);
    for (const l of before) expect(after.includes(l + '\n')).toBe(true); // every finished run kept as written
  }, 180_000);

  it('a torn last line (a crash inside a write) is dropped and its run redone', async () => {
    const all = reference.split('\n');
    const torn = all.slice(0, 6).join('\n') + '\n' + all[6]!.slice(0, 100);
    writeFileSync(join(dir, 'torn.jsonl'), torn);
    const r = await runBuilt([...SWEEP, '--out', 'torn.jsonl', '--resume'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/dropped a torn last line/);
    expect(readFileSync(join(dir, 'torn.jsonl'), 'utf8')).toBe(reference);
  }, 180_000);

  it('Ctrl-C stops cleanly with exit code 130 and a resume hint', async () => {
    const out = join(dir, 'sigint.jsonl');
    const child = startBuilt([...SWEEP, '--jobs', '2', '--out', 'sigint.jsonl'], dir);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await until(() => lines(out) >= 3, 60_000);
    child.kill('SIGINT');
    const code = await exited;
    if (lines(out) - 1 < RUNS) {
      expect(code).toBe(130);
      expect(stderr).toMatch(/interrupted: \d+ of 48 runs are in sigint\.jsonl; run the same command with --resume/);
    }
    const r = await runBuilt([...SWEEP, '--out', 'sigint.jsonl', '--resume'], dir);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(reference);
  }, 180_000);

  it('shards merged equal the unsharded sweep; files of another sweep are refused', async () => {
    for (const i of [1, 2, 3]) {
      const r = await runBuilt([...SWEEP, '--shard', `${i}/3`, '--out', `shard${i}.jsonl`], dir);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`shard ${i}/3 done \\(16 runs of 48\\)`));
    }
    const m = await runBuilt(['merge', 'shard2.jsonl', 'shard3.jsonl', 'shard1.jsonl', '--out', 'merged.jsonl'], dir);
    expect(m.code).toBe(0);
    expect(m.stderr).toMatch(/48 of 48 runs/);
    expect(readFileSync(join(dir, 'merged.jsonl'), 'utf8')).toBe(reference);
    expect(m.stdout).toMatch(/ops\.all\.fault\.p99 vs io\.read\.median \(cpus=1\)/);
    // Runs missing: the partial file is written (to look at) but the exit status says incomplete.
    const partial = await runBuilt(['merge', 'shard1.jsonl', '--out', 'partial.jsonl'], dir);
    expect(partial.code).toBe(3);
    expect(partial.stderr).toMatch(/16 of 48 runs .* 32 missing/);
    expect(partial.stderr).toMatch(/merge incomplete: 32 of 48 runs are missing from partial\.jsonl/);
    // An existing --out is not overwritten without --force.
    const again = await runBuilt(['merge', 'shard2.jsonl', 'shard3.jsonl', 'shard1.jsonl', '--out', 'merged.jsonl'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/merged\.jsonl exists: add --force/);
    const forced = await runBuilt(['merge', 'shard2.jsonl', 'shard3.jsonl', 'shard1.jsonl', '--out', 'merged.jsonl', '--force'], dir);
    expect(forced.code).toBe(0);
    const other = await runBuilt(['sweep', 'tiny', '--param', 'cpus=1', '--out', 'other.jsonl'], dir);
    expect(other.code).toBe(0);
    const bad = await runBuilt(['merge', 'shard1.jsonl', 'other.jsonl', '--out', 'bad.jsonl'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not shards of one sweep/);
  }, 180_000);

  it('writes the sweep report with --report', async () => {
    const r = await runBuilt(['merge', 'ref.jsonl', '--out', 'again.jsonl', '--report', 'rep'], dir);
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, 'rep', 'index.html'), 'utf8');
    expect(html).toContain('ops.all.fault.p99 vs io.read.median');
  }, 60_000);
});

describe('faultline run with workers', () => {
  it('--seeds N on all cores prints the same bytes as one thread', async () => {
    const args = ['run', 'android-app', '--duration', '1500ms', '--seeds', '12', '--strategy', 'mainline,hold-io', '--json'];
    const serial = await runBuilt([...args, '--jobs', '1'], dir);
    const parallel = await runBuilt([...args, '--jobs', '2'], dir, { FAULTLINE_POOL_STATS: '1' });
    expect(serial.code).toBe(0);
    expect(parallel.code).toBe(0);
    const runs = poolRuns(parallel.stderr);
    expect(runs[0]! + runs[1]!).toBe(24);
    expect(runs[1]).toBeGreaterThan(0);
    expect(parallel.stdout).toBe(serial.stdout);
  }, 180_000);

  it('a run that fails with workers running: exit 2, one line naming the scenario', async () => {
    const zero = {
      name: 'zero', description: 'zero-time loop', duration: '10ms', cpus: 1,
      costs: { handle_mm_fault: 0, do_anonymous_page: 0, fault_retry: 0 },
      vmas: [{ name: 'heap', kind: 'anon', pages: 16 }],
      threads: [{ name: 't', think: '0ns', ops: [{ op: 'fault', vma: 'heap', states: { zero: 1 } }] }],
    };
    const file = join(dir, 'zero.json');
    writeFileSync(file, JSON.stringify(zero));
    const r = await runBuilt(['run', file, '--seeds', '8', '--jobs', '2'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/zero\.json: thread t took 1,000,000 steps at 0 ns without simulated time advancing/);
  }, 60_000);
});
