/**
 * `faultline calibrate`: the fit (from the calibration host's recorded bench
 * outputs in test/fixtures/calibrate), the cost-profile format, the shipped
 * profiles, and their use by `run --costs` and a scenario's `costs:` key. No
 * root needed: the benches themselves run only in `faultline calibrate`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchOutput } from '../src/calibrate/bench-output.js';
import { fitProfile, fitRows, linearFit, spreadOf } from '../src/calibrate/fit.js';
import { phoneProfile } from '../src/calibrate/phone.js';
import { applyProfile, loadProfile, parseProfile, ProfileError, profilesDir, renderProfile } from '../src/calibrate/profile.js';
import { BENCHES_AFTER_SHIPPED_ROUNDS, CALIB_FIXTURES, calibHostProfile, shippedProfiles, calibRecorded } from '../src/calibrate/shipped.js';
import { readRounds, runSuite, SUITE } from '../src/calibrate/suite.js';
import { HostError, probeHost } from '../src/real/index.js';
import { COST_NAMES } from '../src/model/cost.js';
import { loadScenario, repoRoot, scenarioFromObject } from '../src/scenario/index.js';
import { DEFAULT_COSTS } from '../src/scenario/schema.js';
import { cli } from './cli-helpers.js';
import { measure } from '../src/metrics/index.js';

const fixtures = join(repoRoot(), CALIB_FIXTURES);
const recorded = calibRecorded();

/** Median (nearest rank) of a bench's samples, computed here independently of fit.ts. */
function medianOf(key: string, x?: number): number {
  const b = recorded.get(key)!;
  const v = (x === undefined ? [...b.samples.values()].flat() : b.samples.get(x)!).slice().sort((a, c) => a - c);
  return v[Math.ceil(v.length / 2) - 1]!;
}

describe('linearFit', () => {
  it('recovers an exact line, R² = 1', () => {
    const f = linearFit(new Map([[1, [1100]], [10, [2000]], [100, [11000]], [1000, [101000]]]));
    expect(f.intercept).toBeCloseTo(1000, 6);
    expect(f.slope).toBeCloseTo(100, 9);
    expect(f.r2).toBeCloseTo(1, 12);
    expect(f.points.map((p) => p.x)).toEqual([1, 10, 100, 1000]);
  });

  it('weighs each point by its relative error: a small fixed cost survives a large per-page one', () => {
    // 2 us + 250 ns/page, the 4096-page point 2% high: unweighted least squares would put the intercept far below 0.
    const f = linearFit(new Map([[0, [2000]], [16, [6000]], [256, [66000]], [4096, [1.02 * (2000 + 250 * 4096)]]]));
    expect(f.intercept).toBeGreaterThan(1500);
    expect(f.intercept).toBeLessThan(2500);
    expect(f.slope).toBeGreaterThan(245);
    expect(f.slope).toBeLessThan(256);
    expect(f.r2).toBeLessThan(1);
  });

  it('needs two parameter values', () => {
    expect(() => linearFit(new Map([[5, [1, 2]]]))).toThrow(/two parameter values/);
    expect(() => linearFit(new Map())).toThrow(/two parameter values/);
  });
});

describe('spreadOf', () => {
  it('is nearest-rank p10/p50/p90 and the count', () => {
    expect(spreadOf([5, 1, 4, 2, 3, 6, 7, 8, 9, 10])).toEqual({ n: 10, p10: 1, p50: 5, p90: 9 });
    expect(() => spreadOf([])).toThrow(/no samples/);
  });
});

describe('fit of the recorded calibration-host outputs', { timeout: 20_000 }, () => {
  const p = fitProfile({ name: 't', description: 'd', host: null, benches: recorded });

  it('has every bench of the suite recorded', () => {
    // Benches added to SUITE after the idle fixtures were recorded (each with a fixture of its own,
    // recorded under load for its fit's test): the next idle re-recording of the rounds takes them.
    const later = BENCHES_AFTER_SHIPPED_ROUNDS;
    expect([...recorded.keys()].every((k) => SUITE.some((b) => b.key === k))).toBe(true);
    expect(SUITE.map((b) => b.key).filter((k) => !recorded.has(k) && !later.has(k))).toEqual([]);
  });

  it('takes each fault cost from its bench, by difference with the zero-page floor', () => {
    const floor = medianOf('anon-read');
    expect(p.costs.handle_mm_fault).toMatchObject({ value: floor, source: 'measured' });
    expect(p.costs.do_anonymous_page.value).toBe(medianOf('anon-write') - floor);
    expect(p.costs.anon_vma_prepare.value).toBe(medianOf('anon-first') - medianOf('anon-write'));
    expect(p.costs.do_read_fault.value).toBe(medianOf('minor-cached') - floor);
    const retry = medianOf('major') - (medianOf('pread-direct') - medianOf('getppid')) - 2 * floor - p.costs.do_read_fault.value;
    expect(p.costs.fault_retry.value).toBe(Math.max(0, Math.round(retry)));
    expect(p.costs.do_mmap.value).toBe(medianOf('mmap'));
    expect(p.costs.wakeup).toMatchObject({ value: medianOf('wakeup'), source: 'measured' });
  });

  it('fits fixed + per-unit costs with a good line (R² > 0.95) and plausible magnitudes', () => {
    for (const n of ['mprotect_fixup', 'change_pte', 'munmap_vma', 'zap_pte', 'dup_vma', 'copy_pte', 'madvise_vma'] as const) {
      expect(p.costs[n].source).toBe('fit');
      expect(p.costs[n].fit!.r2).toBeGreaterThan(0.95);
    }
    // The recorded host: per-page work in tens to hundreds of ns, fixed parts in µs.
    expect(p.costs.change_pte.value).toBeGreaterThan(10);
    expect(p.costs.change_pte.value).toBeLessThan(1000);
    expect(p.costs.copy_pte.value).toBeGreaterThan(10);
    expect(p.costs.copy_pte.value).toBeLessThan(1000);
    expect(p.costs.mprotect_fixup.value).toBeGreaterThan(500);
    // The per-VMA slope of fork and its fixed part are consistent with the 0-VMA and 2,000-VMA medians.
    const f = p.costs.dup_vma.fit!;
    expect(Math.abs(f.intercept + 2000 * f.slope - medianOf('fork-vmas', 2000)) / medianOf('fork-vmas', 2000)).toBeLessThan(0.25);
    expect(p.costs.copy_process.value).toBe(Math.round(f.intercept));
  });

  it('splits fork by page-table kind: synthetic exact lines give back their costs', () => {
    // fork-anon: 40 us + 75 ns/page, of which a table (2 us) per 512 pages; fork-tables: 40 us + (2 us + copy_pte)/table;
    // fork-anon-dirty: +30 ns/page; fork-vmas-anon: 300 ns/VMA more than fork-vmas-holes; fork-file-private: copy_pte + 15 ns/page + its table share; tlb-remote: 2 us alone, 11 us with a spinner.
    const pte = 75 - 2000 / 512;
    const line = (key: string, a: number, b: number, xs: number[]) => parseBenchOutput(
      [`bench ${key}`, ...xs.map((x) => `s ${x} ${Math.round(a + b * x)}`), `end ${key}`].join('\n'));
    const set = new Map(recorded);
    set.set('fork-anon', line('fork-anon', 40_000, 75, [0, 1024, 4096, 16384]));
    set.set('fork-tables', line('fork-tables', 40_000, 2000 + pte, [1, 16, 64, 256, 1024]));
    set.set('fork-anon-dirty', line('fork-anon-dirty', 40_000, 105, [0, 1024, 4096, 16384]));
    set.set('fork-vmas-holes', line('fork-vmas-holes', 40_000, 700, [0, 100, 1000, 2000]));
    set.set('fork-vmas-anon', line('fork-vmas-anon', 40_000, 1000, [0, 100, 1000, 2000]));
    set.set('tlb-remote', parseBenchOutput(['bench tlb-remote', 's 0 2000', 's 0 2000', 's 1 11000', 's 1 11000', 'end tlb-remote'].join('\n')));
    set.set('fork-file-private', line('fork-file-private', 40_000, pte + 15 + 2000 / 512, [0, 1024, 4096, 16383]));
    const q = fitProfile({ name: 't', description: 'd', host: null, benches: set });
    expect(q.costs.copy_pte.value).toBe(Math.round(pte));
    expect(Math.abs(q.costs.copy_pte_range.value - 2000)).toBeLessThanOrEqual(1);
    expect(q.costs.wrprotect_pte.value).toBe(30);
    expect(Math.abs(q.costs.copy_file_pte.value - 15)).toBeLessThanOrEqual(1);
    expect(q.costs.anon_vma_fork.value).toBe(300);
    expect(q.costs.flush_tlb_multi).toMatchObject({ value: 9000, source: 'derived' });
    for (const n of ['copy_pte_range', 'wrprotect_pte', 'anon_vma_fork', 'copy_file_pte'] as const) expect(q.costs[n].source).toBe('fit');
  });

  it('fits the forked child\'s exit: synthetic exact lines give back do_exit, exit_mmap_vma, unlink_anon_vmas, exit_mmap_pte', () => {
    // exit-vmas-holes: 80 us + 400 ns/VMA; exit-vmas: + 1.1 us/VMA more (an anon_vma and one present PTE each);
    // exit-anon: 80 us + 90 ns/PTE; the recorded wakeup median is the parent's wake-up in the intercept.
    const line = (key: string, a: number, b: number, xs: number[]) => parseBenchOutput(
      [`bench ${key}`, ...xs.map((x) => `s ${x} ${Math.round(a + b * x)}`), `end ${key}`].join('\n'));
    const set = new Map(recorded);
    set.set('exit-vmas-holes', line('exit-vmas-holes', 80_000, 400, [0, 250, 500, 1000, 2000]));
    set.set('exit-vmas', line('exit-vmas', 80_000, 1_500, [0, 250, 500, 1000, 2000]));
    set.set('exit-anon', line('exit-anon', 80_000, 90, [0, 1024, 4096, 16384]));
    const q = fitProfile({ name: 't', description: 'd', host: null, benches: set });
    expect(q.costs.exit_mmap_pte.value).toBe(90);
    expect(q.costs.exit_mmap_vma.value).toBe(400);
    expect(q.costs.unlink_anon_vmas.value).toBe(1_500 - 400 - 90);
    expect(q.costs.do_exit.value).toBe(80_000 - q.costs.wakeup.value);
    expect(q.costs.wakeup.source).toBe('measured');
    for (const n of ['do_exit', 'exit_mmap_vma', 'unlink_anon_vmas', 'exit_mmap_pte'] as const) expect(q.costs[n].source).toBe('fit');
  });

  it('fits the child\'s exit from the recorded benches, and keeps the defaults (0: no child) without them', () => {
    const p = fitProfile({ name: 't', description: 'd', host: null, benches: recorded });
    // The recorded host: per-PTE work in tens to hundreds of ns, per-VMA in hundreds of ns to µs, do_exit in tens of µs.
    expect(p.costs.exit_mmap_pte.value).toBeGreaterThan(10);
    expect(p.costs.exit_mmap_pte.value).toBeLessThan(1000);
    expect(p.costs.exit_mmap_vma.value).toBeGreaterThan(50);
    expect(p.costs.exit_mmap_vma.value).toBeLessThan(5000);
    expect(p.costs.do_exit.value).toBeGreaterThan(5000);
    expect(p.costs.do_exit.value).toBe(Math.max(0, Math.round(p.costs.exit_mmap_vma.fit!.intercept - p.costs.wakeup.value)));
    const set = new Map(recorded);
    set.delete('exit-anon');
    const q = fitProfile({ name: 't', description: 'd', host: null, benches: set });
    for (const n of ['do_exit', 'exit_mmap_vma', 'unlink_anon_vmas', 'exit_mmap_pte'] as const) expect(q.costs[n]).toMatchObject({ value: 0, source: 'default' });
  });

  it('keeps flush_tlb_multi at its default when no tlb-remote sample had the spinner on its CPU', () => {
    const set = new Map(recorded);
    set.set('tlb-remote', parseBenchOutput(['bench tlb-remote', 's 0 2000', '# 2 of 2 samples dropped', 'end tlb-remote'].join('\n')));
    expect(fitProfile({ name: 't', description: 'd', host: null, benches: set }).costs.flush_tlb_multi.source).toBe('default');
  });

  it('derives the swap-in law from the swap-in faults minus the floor', () => {
    const law = p.io.swap!.law;
    expect(law.law).toBe('empirical');
    const pts = (law as { points: Array<[number, number]> }).points;
    expect(pts.find(([q]) => q === 50)![1]).toBe(medianOf('swapin') - medianOf('anon-read'));
    expect(pts[pts.length - 1]![0]).toBe(100);
  });

  it('keeps the defaults of what no bench measures, and says so', () => {
    for (const n of ['exit_vma', 'pgscan', 'pgsteal', 'swap_out'] as const) {
      expect(p.costs[n]).toMatchObject({ value: DEFAULT_COSTS[n], source: 'default' });
    }
  });

  it('keeps what the model has no cost for under measurements, lock costs by thread count included', () => {
    expect(Object.keys(p.measurements)).toEqual(expect.arrayContaining([
      'context_switch', 'mmap_write_uncontended', 'mmap_write_by_threads', 'fault_shared_vma_by_threads', 'device_read',
    ]));
    expect(p.measurements.mmap_write_by_threads!.by!.map((b) => b.x)).toEqual([1, 2, 4, 8]);
  });

  it('fails clearly when a bench the fit needs is missing', () => {
    const partial = new Map(recorded);
    partial.delete('mprotect');
    expect(() => fitProfile({ name: 't', description: 'd', host: null, benches: partial })).toThrow(/no samples of bench mprotect/);
  });

  it('lists a row per cost and the swap law in the fit table', () => {
    const rows = fitRows(p);
    expect(rows.map((r) => r.cost)).toEqual([...COST_NAMES, 'io.swap (p50)']);
  });
});

describe('cost profile format', { timeout: 20_000 }, () => {
  it('round-trips: render then parse gives the same values, and rendering is deterministic', { timeout: 20_000 }, () => {
    const p = calibHostProfile();
    const text = renderProfile(p);
    const q = parseProfile(text, 'x.yaml');
    for (const n of COST_NAMES) expect(q.costs[n].value).toBe(p.costs[n].value);
    expect(q.io.swap!.law).toEqual(p.io.swap!.law);
    expect(renderProfile(q)).toBe(text);
  });

  it('labels every value with its source and what it comes from', () => {
    for (const prof of [calibHostProfile(), phoneProfile()]) {
      for (const n of COST_NAMES) {
        expect(prof.costs[n].from.length).toBeGreaterThan(10);
        expect(['measured', 'fit', 'derived', 'parameters.md', 'assumption', 'default']).toContain(prof.costs[n].source);
      }
    }
  });

  it.each([
    ['faultline_cost_profile: 2\n', /faultline_cost_profile/],
    ['{', /YAML error/],
  ])('rejects a bad document %j', (text, msg) => {
    expect(() => parseProfile(text, 'bad.yaml')).toThrow(ProfileError);
    expect(() => parseProfile(text, 'bad.yaml')).toThrow(msg);
  });

  it('rejects a missing cost and a bad duration, naming the key', () => {
    const text = renderProfile(phoneProfile());
    expect(() => parseProfile(text.replace(/\n {2}copy_pte:\n(?: {4}.*\n)+/, '\n'), 'p.yaml')).toThrow(/costs\.copy_pte/);
    expect(() => parseProfile(text.replace('value: 30ns', 'value: 30 parsecs'), 'p.yaml')).toThrow(/costs\.copy_pte\.value/);
  });

  it('loads shipped profiles by name and others by path; says what is missing', () => {
    expect(loadProfile('phone').name).toBe('phone');
    expect(loadProfile(join(profilesDir(), 'calib-host.yaml')).name).toBe('calib-host');
    expect(() => loadProfile('nope')).toThrow(/no shipped profile/);
    expect(() => loadProfile('./nope.yaml')).toThrow(/file not found/);
  });
});

describe('shipped profiles', { timeout: 20_000 }, () => {
  it('are up to date (npm run profiles): calib-host refits from the recorded outputs, phone from phone.ts', () => {
    for (const [name, text] of shippedProfiles()) {
      expect(readFileSync(join(profilesDir(), name), 'utf8'), `profiles/${name}`).toBe(text);
    }
  });

  it('phone: the android-app scenario uses exactly its costs and swap-in law', () => {
    const sc = loadScenario('android-app');
    const ph = phoneProfile();
    for (const n of COST_NAMES) expect(sc.costs[n], n).toBe(ph.costs[n].value);
    expect(sc.io.swap).toEqual(ph.io.swap!.law);
  });
});

describe('using a profile', () => {
  const base = {
    name: 'p', description: 'test', duration: '20ms', cpus: 2,
    vmas: [{ name: 'heap', kind: 'anon', pages: 64 }],
    threads: [{ name: 'a', think: '1ms', ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 } }] }],
  };

  it('costs: NAME takes every cost and the swap law from the profile', () => {
    const sc = scenarioFromObject({ ...base, costs: 'calib-host' });
    const p = loadProfile('calib-host');
    for (const n of COST_NAMES) expect(sc.costs[n]).toBe(p.costs[n].value);
    expect(sc.io.swap).toEqual(p.io.swap!.law);
    expect(sc.cost_profile).toBe('calib-host');
  });

  it('costs: {profile, key: value} overrides the profile key by key; an explicit io.swap stays', () => {
    const sc = scenarioFromObject({ ...base, costs: { profile: 'calib-host', copy_pte: '100ns' }, io: { swap: '9us' } });
    expect(sc.costs.copy_pte).toBe(100);
    expect(sc.costs.dup_vma).toBe(loadProfile('calib-host').costs.dup_vma.value);
    expect(sc.io.swap).toEqual({ law: 'constant', value: 9000 });
  });

  it('a profile that does not exist is a scenario error at costs', () => {
    expect(() => scenarioFromObject({ ...base, costs: 'nope' })).toThrow(/costs.*no shipped profile/s);
    expect(() => scenarioFromObject({ ...base, costs: { profile: 'nope' } })).toThrow(/costs\.profile/);
  });

  it('applyProfile replaces costs and swap law in a copy', () => {
    const sc = scenarioFromObject(base);
    const p = loadProfile('calib-host');
    const q = applyProfile(sc, p);
    expect(q.costs.handle_mm_fault).toBe(p.costs.handle_mm_fault.value);
    expect(sc.costs.handle_mm_fault).toBe(DEFAULT_COSTS.handle_mm_fault);
  });

  it('faultline run --costs changes the prediction and names the profile; a bad one is a usage error', async () => {
    const plain = await cli('run', 'tiny', '--duration', '50ms');
    const fitted = await cli('run', 'tiny', '--duration', '50ms', '--costs', 'calib-host');
    expect(fitted.code).toBe(0);
    expect(fitted.stdout).toContain('(scenarios/tiny.yaml, costs calib-host)');
    expect(fitted.stdout).not.toBe(plain.stdout);
    const bad = await cli('run', 'tiny', '--costs', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--costs: cost profile nope');
  });
});

describe('the costs profiles add to the model (built-in defaults 0)', () => {
  const forker = (extra: Record<string, string>) => scenarioFromObject({
    name: 'f', description: 'test', duration: '100ms', cpus: 1,
    vmas: [{ name: 'heap', kind: 'anon', pages: 100, resident: 1, count: 10 }, { name: 'lib', kind: 'file', pages: 64 }],
    threads: [
      { name: 'forker', think: '5ms', ops: [{ op: 'fork' }] },
    ],
    costs: { dup_vma: '1us', copy_pte: '10ns', ...extra },
  });

  it('copy_process: charged once per fork, before dup_mmap, outside mmap_lock', () => {
    const lat = (sc: ReturnType<typeof forker>) => measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 1 }).opsAll.fork!.latency!;
    const hold = (sc: ReturnType<typeof forker>) => measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 1 }).mmapLock.writeHold!;
    const a = forker({}), b = forker({ copy_process: '40us' });
    // 11 VMAs x 1 us + 1,000 resident anonymous PTEs x 10 ns = 21 us; +40 us with copy_process.
    expect(lat(a).max).toBe(21_000);
    expect(lat(b).max).toBe(61_000);
    expect(hold(b).max).toBe(hold(a).max);
  });

  it('do_read_fault: charged on the first attempt of a file fault only', () => {
    const faults = (extra: Record<string, string>, vma: string, state: string) => measure({
      scenario: scenarioFromObject({
        name: 'f', description: 'test', duration: '50ms', cpus: 1,
        vmas: [{ name: 'heap', kind: 'anon', pages: 1000 }, { name: 'lib', kind: 'file', pages: 1000 }],
        threads: [{ name: 'a', think: '1ms', ops: [{ op: 'fault', vma, states: { [state]: 1 } }] }],
        costs: { handle_mm_fault: '1us', do_anonymous_page: '1us', ...extra },
      }), fault: 'mainline', fork: 'fork-lock-all', seed: 1,
    }).opsAll.fault!.latency!;
    expect(faults({}, 'lib', 'cached').max).toBe(1000);
    expect(faults({ do_read_fault: '2us' }, 'lib', 'cached').max).toBe(3000);
    expect(faults({ do_read_fault: '2us' }, 'heap', 'zero').max).toBe(faults({}, 'heap', 'zero').max);
  });
});

describe('wake-up latency', () => {
  it('delays every woken task by Cost.wakeup: a reader behind a writer resumes that much later', () => {
    const sc = (wakeup: string) => scenarioFromObject({
      name: 'w', description: 'test', duration: '20ms', cpus: 2,
      vmas: [{ name: 'lib', kind: 'file', pages: 64 }],
      threads: [{ name: 'a', think: '1ms', ops: [{ op: 'fault', vma: 'lib', states: { absent: 1 } }] }],
      io: { read: '100us' },
      costs: { handle_mm_fault: '1us', fault_retry: '1us', wakeup },
    });
    const lat = (w: string) => measure({ scenario: sc(w), fault: 'mainline', fork: 'fork-lock-all', seed: 1 }).opsAll.fault!.latency!.max;
    // A miss: 1 us, the read (100 us), the I/O completion's wake-up, the retry (2 us).
    expect(lat('0ns')).toBe(103_000);
    expect(lat('3us')).toBe(106_000);
  });
});

describe('faultline calibrate --from (recorded outputs, no root)', () => {
  it('fits, writes the profile and prints the fit table', { timeout: 20_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-calibrate-test-'));
    try {
      const out = join(dir, 'p.yaml');
      const r = await cli('calibrate', '--from', fixtures, '--name', 'calib-host', '--out', out);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/handle_mm_fault\s+\S+\s+2\.00us\s+/);
      expect(r.stdout).toContain('measured, not a model cost');
      const p = parseProfile(readFileSync(out, 'utf8'), out);
      expect(p.costs.copy_pte.value).toBe(calibHostProfile().costs.copy_pte.value);
      writeFileSync(join(dir, 'getppid.txt'), 'bench getppid\ns 0 100\n');
      const bad = await cli('calibrate', '--from', dir, '--out', join(dir, 'q.yaml'));
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/incomplete/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to run the benches without root or without the binary, naming the way out', () => {
    if (process.platform !== 'linux') return;
    const h = probeHost();
    expect(() => runSuite({ ...h, root: false }, () => {})).toThrow(HostError);
    expect(() => runSuite({ ...h, root: false }, () => {})).toThrow(/needs root.*--from DIR/);
    expect(() => runSuite({ ...h, root: true, binaries: { ...h.binaries, calibrate: null } }, () => {})).toThrow(/faultline-calibrate is not built/);
  });

  it('parses what the native benches print', () => {
    expect(parseBenchOutput(readRounds([fixtures])[0]!.raw.get('fork-anon')!).samples.get(16384)!.length).toBe(30);
  });
});
