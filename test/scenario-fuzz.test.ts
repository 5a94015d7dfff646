/**
 * Fuzzed scenario files (issue 17, item 3): mutations of the built-in
 * scenarios, written as YAML or JSON and run through `faultline run`. Every
 * case must end with exit 0, or exit 2 with one line naming the file; never
 * exit 70 (an internal error) and never a hang: the schema's bounds and the
 * engine's event budget (docs/scenario-format.md, "Limits") keep every run
 * finite. FAULTLINE_FUZZ=full runs 3,000 cases instead of 200.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { listBuiltinScenarios } from '../src/scenario/index.js';
import { repoRoot } from '../src/scenario/load.js';
import { cli } from './cli-helpers.js';

const FULL = process.env['FAULTLINE_FUZZ'] === 'full';
const ODD: unknown[] = [
  0, -1, 1, 2, 1.5, 1e-9, 1e15, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, -1e300, 'x', '', ' '.repeat(2000), '999999999999s', '1ns',
  '0ns', '1e400s', 'nan', 'inf', null, true, [], {}, [1, 2], { law: 'constant', value: '1ns' }, 100000, 10_000_000,
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in `v` (objects and arrays included). */
function paths(v: Json, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function setAt(v: Json, path: ReadonlyArray<string | number>, x: unknown): Json {
  if (path.length === 0) return x as Json;
  const [h, ...rest] = path;
  if (Array.isArray(v)) return v.map((y, i) => (i === h ? setAt(y, rest, x) : y));
  if (v !== null && typeof v === 'object') return { ...v, [h!]: setAt(v[h as string]!, rest, x) };
  return v;
}

const builtins = listBuiltinScenarios().map((s) => ({
  name: s.name,
  doc: parse(readFileSync(join(repoRoot(), 'scenarios', `${s.name}.yaml`), 'utf8')) as Json,
}));

const caseArb = fc.record({
  which: fc.nat(builtins.length - 1),
  edits: fc.array(fc.record({ pick: fc.nat(), value: fc.constantFrom(...ODD) }), { minLength: 1, maxLength: 3 }),
  json: fc.boolean(),
});

describe('fuzzed scenario files', () => {
  it('exit 0, or exit 2 naming the file; never an internal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-fuzz-'));
    let n = 0, bad = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const b = builtins[c.which]!;
        // A short run (mutations may still change it: that is fuzzed too).
        let doc = setAt(setAt(b.doc, ['duration'], '5ms'), ['warmup'], '0ns');
        for (const e of c.edits) {
          const ps = paths(doc);
          doc = setAt(doc, ps[e.pick % ps.length]!, e.value);
        }
        const file = join(dir, `faultline-fuzz-${process.pid}-${n++}.${c.json ? 'json' : 'yaml'}`);
        writeFileSync(file, c.json ? JSON.stringify(doc) : stringify(doc));
        const r = await cli('run', file, '--strategy', 'mainline');
        rmSync(file, { force: true });
        if (r.code === 2) {
          bad++;
          expect(r.stderr.trim().split('\n')).toHaveLength(1);
          expect(r.stderr).toContain(file);
        } else {
          expect(r.code, `${b.name}: ${JSON.stringify(c.edits)}\n${r.stderr}`).toBe(0);
        }
      }),
      { seed: 17, numRuns: FULL ? 3000 : 200 },
    );
    rmSync(dir, { recursive: true, force: true });
    expect(bad).toBeGreaterThan(0); // not vacuous: some mutations are refused
  }, 600_000);
});

describe('the inputs the fuzzer found (issue 17): each a one-line exit 2, none a crash or a hang', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-edge-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let k = 0;
  const base = () => setAt(setAt(builtins.find((b) => b.name === 'tiny')!.doc, ['duration'], '5ms'), ['warmup'], '0ns');
  const write = (doc: Json, ext = 'yaml'): string => {
    const f = join(dir, `faultline-edge-${process.pid}-${k++}.${ext}`);
    writeFileSync(f, ext === 'json' ? JSON.stringify(doc) : stringify(doc));
    return f;
  };
  const refused = async (file: string, what: RegExp) => {
    const r = await cli('run', file, '--strategy', 'mainline');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(what);
  };

  it('numbers past the documented bounds name their field', async () => {
    await refused(write(setAt(base(), ['threads', 0, 'think'], '999999999999s')), /threads\[0\]\.think: .*too large \(at most 10000s\)/);
    await refused(write(setAt(base(), ['duration'], 2 ** 52)), /duration: .*too large/);
    await refused(write(setAt(base(), ['vmas', 1, 'pages'], 2 ** 32)), /vmas\[1\]\.pages: /);
    await refused(write(setAt(base(), ['threads', 1, 'count'], 1e15)), /threads\[1\]\.count: expected an integer from 1 to 4096/);
    await refused(write(setAt(base(), ['vmas', 1, 'count'], 1e6)), /vmas\[1\]\.count: expected an integer from 1 to 50000/);
    await refused(write(setAt(base(), ['cpus'], 1e9)), /cpus: /);
  });

  it('totals over groups: threads and VMAs', async () => {
    const many = setAt(base(), ['threads'], Array.from({ length: 3 }, (_, i) => ({ name: `t${i}-{i}`, count: 2000, think: '1ms', ops: [{ op: 'fault', vma: 'heap' }] })));
    await refused(write(many), /threads: 6000 threads in all: at most 4096/);
    const vmas = setAt(base(), ['vmas'], [...(base() as { vmas: Json[] }).vmas, { name: 'more', kind: 'anon', count: 49_999, pages: 1 }]);
    await refused(write(vmas), /vmas: \d+ VMAs in all: at most 50000/);
  });

  it('a 1 ns frame period', async () => {
    const f = setAt(base(), ['threads', 0], { name: 'ui', frame: { period: '1ns', ops: [{ op: 'fault', vma: 'heap' }] } });
    await refused(write(f), /period: a frame period must be at least 100us/);
  });

  it('a loop of zero-time ops (every cost and think time zero) ends with a clear error', async () => {
    const z = {
      name: 'zero', description: 'zero-time loop', duration: '10ms', cpus: 1,
      costs: { handle_mm_fault: 0, do_anonymous_page: 0, fault_retry: 0 },
      vmas: [{ name: 'heap', kind: 'anon', pages: 16 }],
      threads: [{ name: 't', think: '0ns', ops: [{ op: 'fault', vma: 'heap', states: { zero: 1 } }] }],
    };
    await refused(write(z), /thread t took 1,000,000 steps at 0 ns without simulated time advancing/);
  });

  it('files that are not scenario text: devices, FIFOs, huge files, NUL bytes, invalid UTF-8, duplicate JSON keys', async () => {
    await refused('/dev/zero', /is not a regular file/);
    const fifo = join(dir, `faultline-fifo-${process.pid}`);
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    await refused(fifo, /is not a regular file/);
    const big = join(dir, `faultline-big-${process.pid}.yaml`);
    writeFileSync(big, 'a'.repeat(5_000_000));
    await refused(big, /at most 4,194,304 bytes/);
    const nul = join(dir, `faultline-nul-${process.pid}.yaml`);
    writeFileSync(nul, 'name: a\0\n');
    await refused(nul, /NUL byte/);
    const bad = join(dir, `faultline-utf8-${process.pid}.yaml`);
    writeFileSync(bad, Buffer.from([0x6e, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    await refused(bad, /not valid UTF-8/);
    const dup = join(dir, `faultline-dup-${process.pid}.json`);
    writeFileSync(dup, '{"name": "a", "name": "b"}');
    await refused(dup, /:1:\d+: JSON error: map keys must be unique/);
  });

  it('an error message built from a name of 1 MiB of spaces is made in linear time', async () => {
    const f = setAt(base(), ['threads', 0, 'ops', 0, 'vma'], ' '.repeat(1 << 20));
    await refused(write(f), /unknown VMA/);
  });
});
