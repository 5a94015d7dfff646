import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as yamlParse } from 'yaml';
import {
  DEFAULT_COSTS,
  DEFAULT_IO,
  DurationError,
  formatDuration,
  listBuiltinScenarios,
  loadScenario,
  parseDuration,
  parseScenario,
  renderJsonSchema,
  repoRoot,
  ScenarioError,
  scenarioFromObject,
  type Scenario,
} from '../src/scenario/index.js';
import { COST_NAMES } from '../src/model/cost.js';

/** A small valid scenario; tests edit one line of it. */
const BASE = `name: t
description: A test.
duration: 100ms
vmas:
  - name: code
    kind: file
    count: 2
    pages: 16
  - name: heap
    kind: anon
    pages: 1024
threads:
  - name: ui
    class: USER_INTERACTIVE
    think: { law: exponential, mean: 1ms }
    ops:
      - { op: fault, vma: code, states: { cached: 0.9, absent: 0.1 } }
      - { op: fault, vma: heap, access: write, states: { zero: 1 } }
`;

const yaml = (text: string, source = 'scenarios/x.yaml'): Scenario => parseScenario(text, source, 'yaml');

/** The one-line message of the ScenarioError that `f` throws. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    const msg = (e as Error).message;
    expect(msg).not.toMatch(/\n/);
    expect(msg).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack frames
    return msg;
  }
  throw new Error('expected a ScenarioError');
}

const edit = (from: string | RegExp, to: string) => {
  const out = BASE.replace(from, to);
  if (out === BASE) throw new Error(`test edit did not apply: ${String(from)}`);
  return out;
};

describe('durations', () => {
  it('parses numbers as ns and strings with units', () => {
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration(2.6)).toBe(3);
    expect(parseDuration('500ns')).toBe(500);
    expect(parseDuration('17.7us')).toBe(17_700);
    expect(parseDuration('17.7µs')).toBe(17_700);
    expect(parseDuration('17.7μs')).toBe(17_700); // Greek mu
    expect(parseDuration('2ms')).toBe(2_000_000);
    expect(parseDuration('1.5s')).toBe(1_500_000_000);
    expect(parseDuration('1.5 s')).toBe(1_500_000_000);
    expect(parseDuration('.5ms')).toBe(500_000);
    expect(parseDuration('0.0004us')).toBe(0);
  });

  it('rejects bad durations with a clear message', () => {
    expect(() => parseDuration(-1)).toThrow('invalid duration -1: must not be negative');
    expect(() => parseDuration('-5ms')).toThrow('invalid duration "-5ms": must not be negative');
    expect(() => parseDuration(NaN)).toThrow(/invalid duration NaN/);
    expect(() => parseDuration(Infinity)).toThrow(/must be finite/);
    expect(() => parseDuration('5 parsecs')).toThrow(`invalid duration "5 parsecs": unknown unit 'parsecs' (expected ns, us (or µs), ms, s)`);
    expect(() => parseDuration('500')).toThrow(/missing unit/);
    expect(() => parseDuration('ms')).toThrow(/expected a number followed by a unit/);
    expect(() => parseDuration('1.2.3ms')).toThrow(DurationError);
    expect(() => parseDuration('1e400s')).toThrow(DurationError);
  });

  it('round-trips through formatDuration', () => {
    expect(formatDuration(17_700)).toBe('17.7us');
    expect(formatDuration(2_000_000)).toBe('2ms');
    expect(formatDuration(500)).toBe('500ns');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (ns) => {
        const back = parseDuration(formatDuration(ns));
        expect(Math.abs(back - ns)).toBeLessThanOrEqual(Math.max(1, ns * 1e-5));
      }),
    );
  });

  it('integer ns in, same integer out', () => {
    fc.assert(fc.property(fc.nat(), (n) => parseDuration(n) === n && parseDuration(`${n}ns`) === n));
  });
});

describe('defaults and resolution', () => {
  const sc = yaml(BASE);

  it('fills top-level defaults', () => {
    expect(sc.name).toBe('t');
    expect(sc.source).toBe('scenarios/x.yaml');
    expect(sc.seed).toBe(1);
    expect(sc.duration).toBe(100_000_000);
    expect(sc.warmup).toBe(0);
    expect(sc.cpus).toBe(8);
    expect(sc.preempt).toBe(true);
    expect(sc.mmap_lock).toEqual({ reader_wake: 'all' });
    expect(sc.costs).toEqual(DEFAULT_COSTS);
    expect(Object.keys(sc.costs).sort()).toEqual([...COST_NAMES].sort());
    expect(sc.io).toEqual(DEFAULT_IO);
  });

  it('fills VMA defaults by kind', () => {
    const [code, heap] = sc.vmas;
    expect(code).toEqual({
      name: 'code', count: 2, kind: 'file', shared: false, write: false, maywrite: true, exec: false,
      anon_vma: false, special: [], map_pages: true, dontcopy: false, pages: [16, 16], resident: 1,
    });
    expect(heap).toMatchObject({ count: 1, kind: 'anon', write: true, maywrite: true, anon_vma: true, pages: [1024] });
  });

  it('maywrite defaults to false only for shared read-only mappings', () => {
    const s = yaml(edit('    count: 2\n', '    count: 2\n    shared: true\n'));
    expect(s.vmas[0]).toMatchObject({ shared: true, write: false, maywrite: false });
  });

  it('fills op and thread defaults', () => {
    const t = sc.threads[0]!;
    expect(t).toMatchObject({ name: 'ui', group: 'ui', class: 'USER_INTERACTIVE', start: 0, think: { law: 'exponential', mean: 1_000_000 } });
    expect(t.ops[0]).toEqual({ op: 'fault', vma: 'code', access: 'read', states: [['cached', 0.9], ['absent', 0.1]], weight: 1, repeat: 1, gap: null });
    const noStates = yaml(edit('{ op: fault, vma: code, states: { cached: 0.9, absent: 0.1 } }', '{ op: fault, vma: code }'));
    expect(noStates.threads[0]!.ops[0]).toMatchObject({ states: [['cached', 1]] });
    const anon = yaml(edit('access: write, states: { zero: 1 } }', 'access: write }'));
    expect(anon.threads[0]!.ops[1]).toMatchObject({ states: [['zero', 1]] });
  });

  it('resolves every law form', () => {
    const s = yaml(
      edit(
        'duration: 100ms\n',
        `duration: 100ms
warmup: 10ms
cpus: unlimited
seed: 7
mmap_lock: { reader_wake: prefix }
costs: { copy_pte: 40ns, handle_mm_fault: 1.5us }
io:
  read: { law: lognormal, median: 172us, sigma: 0.14 }
  swap: 17.7us
  swap_synchronous: false
  writeback: { law: empirical, points: [[50, 112us], [99, 200us], [100, 1ms]] }
  folio_lock_hold: { law: uniform, min: 1us, max: 2us }
`,
      ),
    );
    expect(s.warmup).toBe(10_000_000);
    expect(s.cpus).toBeNull();
    expect(s.seed).toBe(7);
    expect(s.mmap_lock.reader_wake).toBe('prefix');
    expect(s.costs.copy_pte).toBe(40);
    expect(s.costs.handle_mm_fault).toBe(1500);
    expect(s.costs.zap_pte).toBe(DEFAULT_COSTS.zap_pte);
    expect(s.io).toEqual({
      read: { law: 'lognormal', median: 172_000, sigma: 0.14 },
      read_synchronous: false,
      swap: { law: 'constant', value: 17_700 },
      swap_synchronous: false,
      writeback: { law: 'empirical', points: [[50, 112_000], [99, 200_000], [100, 1_000_000]] },
      folio_lock_hold: { law: 'uniform', min: 1000, max: 2000 },
    });
  });

  it('sorts empirical map points and maps max to p100', () => {
    const s = yaml(edit('duration: 100ms\n', 'duration: 100ms\nio:\n  read: { law: empirical, points: { max: 2ms, p99.9: 330us, p1: 120us, p50: 172us } }\n'));
    expect(s.io.read).toEqual({ law: 'empirical', points: [[1, 120_000], [50, 172_000], [99.9, 330_000], [100, 2_000_000]] });
  });

  it('expands thread groups with {i}', () => {
    const s = yaml(
      BASE +
        `  - name: "Binder:{i}"
    count: 3
    think: 5ms
    ops:
      - { op: mprotect, vma: heap, pages: 512, repeat: 20, gap: 100us, weight: 2 }
      - { op: madvise_dontneed, vma: heap, pages: 16 }
      - { op: munmap, vma: code }
      - { op: fork, weight: 0.1 }
`,
    );
    const binders = s.threads.filter((t) => t.group === 'Binder');
    expect(binders.map((t) => t.name)).toEqual(['Binder:1', 'Binder:2', 'Binder:3']);
    expect(binders[0]!.class).toBe('DEFAULT');
    expect(binders[0]!.think).toEqual({ law: 'constant', value: 5_000_000 });
    expect(binders[0]!.ops).toEqual([
      { op: 'mprotect', vma: 'heap', pages: 512, weight: 2, repeat: 20, gap: { law: 'constant', value: 100_000 } },
      { op: 'madvise_dontneed', vma: 'heap', pages: 16, weight: 1, repeat: 1, gap: null },
      { op: 'munmap', vma: 'code', weight: 1, repeat: 1, gap: null },
      { op: 'fork', weight: 0.1, repeat: 1, gap: null },
    ]);
    // Each expanded thread has its own op objects.
    expect(binders[0]!.ops[0]).not.toBe(binders[1]!.ops[0]);
  });

  it('takes the VMA count from a pages list', () => {
    const s = yaml(edit('    count: 2\n    pages: 16\n', '    pages: [4, 8, 16]\n'));
    expect(s.vmas[0]).toMatchObject({ count: 3, pages: [4, 8, 16] });
  });

  it('accepts JSON and YAML alike', () => {
    const fromYaml = yaml(BASE);
    const obj = scenarioFromObject(yamlToObject(BASE));
    const fromJson = parseScenario(JSON.stringify(yamlToObject(BASE), null, 2), 'x.json', 'json');
    expect({ ...fromJson, source: '' }).toEqual({ ...fromYaml, source: '' });
    expect({ ...obj, source: '' }).toEqual({ ...fromYaml, source: '' });
  });

  it('accepts YAML anchors and merge keys', () => {
    const s = yaml(edit('  - name: heap\n    kind: anon\n    pages: 1024\n', '  - &heap { name: heap, kind: anon, pages: 1024 }\n  - { <<: *heap, name: heap2, anon_vma: false }\n'));
    expect(s.vmas[2]).toMatchObject({ name: 'heap2', kind: 'anon', pages: [1024], anon_vma: false });
  });

  it('allows a $schema key for editors', () => {
    expect(() => parseScenario(JSON.stringify({ $schema: '../schema/scenario.schema.json', ...yamlToObject(BASE) }), 'x.json', 'json')).not.toThrow();
  });
});

/** The plain object a YAML text denotes. */
function yamlToObject(text: string): Record<string, unknown> {
  return yamlParse(text) as Record<string, unknown>;
}

describe('errors', () => {
  it('unknown VMA group: exact message', () => {
    expect(errorOf(() => yaml(edit('vma: heap, access', 'vma: hep, access')))).toBe(
      "scenarios/x.yaml:18:27: threads[0].ops[1].vma: unknown VMA group 'hep' (did you mean 'heap'?) (groups: code, heap)",
    );
  });

  it('unknown key (typo): exact message', () => {
    expect(errorOf(() => yaml(edit('duration: 100ms', 'durtion: 100ms')))).toBe(
      "scenarios/x.yaml:3:1: durtion: unknown key (did you mean 'duration'?)",
    );
    expect(errorOf(() => yaml(edit('    kind: anon', '    kind: anon\n    colour: blue')))).toBe(
      'scenarios/x.yaml:11:5: vmas[1].colour: unknown key (expected one of: name, count, kind, shared, write, maywrite, exec, anon_vma, special, map_pages, dontcopy, readahead, page_mkwrite, pages, cached, resident)',
    );
  });

  it('missing field: exact message', () => {
    expect(errorOf(() => yaml(edit('    kind: anon\n', '')))).toBe(
      "scenarios/x.yaml:9:5: vmas[1].kind: missing required field (expected 'file' or 'anon')",
    );
    expect(errorOf(() => yaml(edit('duration: 100ms\n', '')))).toBe(
      'scenarios/x.yaml:1:1: duration: missing required field (expected a duration such as "17.7us", or a number of ns)',
    );
  });

  it('wrong type', () => {
    expect(errorOf(() => yaml(edit('    count: 2', '    count: two')))).toBe(
      'scenarios/x.yaml:7:12: vmas[0].count: expected an integer from 1 to 50000, got string "two"',
    );
    expect(errorOf(() => yaml(edit('duration: 100ms', 'duration: 100ms\ncpus: 0')))).toMatch(/cpus: expected an integer from 1 to 4096, got number 0$/);
    expect(errorOf(() => yaml(edit('duration: 100ms', 'duration: 100ms\ncpus: lots')))).toMatch(/cpus: expected an integer from 1 to 4096 or "unlimited", got string "lots"$/);
    expect(errorOf(() => yaml(edit('duration: 100ms', 'duration: 100ms\npreempt: yes')))).toMatch(/:4:10: preempt: expected true or false, got string "yes"$/);
    expect(errorOf(() => yaml(BASE + '  - name: idle\n    think: 1ms\n    ops: []\n'))).toBe(
      'scenarios/x.yaml:21:10: threads[1].ops: must not be empty (a thread needs at least one op)',
    );
    expect(errorOf(() => yaml('- 1\n- 2\n'))).toBe('scenarios/x.yaml:1:1: expected a mapping, got a list');
  });

  it('bad enum values name the choices', () => {
    expect(errorOf(() => yaml(edit('USER_INTERACTIVE', 'USER_INTERACTIV')))).toMatch(
      /threads\[0\]\.class: expected one of: USER_INTERACTIVE, USER_INITIATED, DEFAULT, UTILITY, BACKGROUND, got string "USER_INTERACTIV"$/,
    );
    expect(errorOf(() => yaml(edit('{ op: fault, vma: code,', '{ op: falut, vma: code,')))).toMatch(
      /:17:15: threads\[0\]\.ops\[0\]\.op: expected one of: fault, mprotect, madvise_dontneed, munmap, fork, proc_maps, proc_smaps, proc_smaps_rollup, gup, madvise, mremap, got string "falut" \(did you mean 'fault'\?\)$/,
    );
    expect(errorOf(() => yaml(edit('{ law: exponential, mean: 1ms }', '{ law: exp, mean: 1ms }')))).toMatch(
      /threads\[0\]\.think\.law: expected one of: constant, exponential, lognormal, uniform, empirical, got string "exp"$/,
    );
    expect(errorOf(() => yaml(edit('{ law: exponential, mean: 1ms }', '{ law: exponential, median: 1ms }')))).toMatch(
      /:15:32: threads\[0\]\.think\.median: unknown key \(did you mean 'mean'\?\)$/,
    );
    expect(errorOf(() => yaml(edit('{ law: exponential, mean: 1ms }', 'true')))).toMatch(
      /threads\[0\]\.think: expected a latency law: a duration such as "17\.7us", or a mapping with law: constant \| exponential \| lognormal \| uniform \| empirical, got boolean true$/,
    );
  });

  it('page state not valid for the VMA kind', () => {
    expect(errorOf(() => yaml(edit('states: { cached: 0.9, absent: 0.1 }', 'states: { cached: 0.9, swapped: 0.1 }')))).toBe(
      "scenarios/x.yaml:17:56: threads[0].ops[0].states.swapped: page state 'swapped' is not valid for file VMA group 'code' (file states: cached, absent, locked, writeback, writeback_unlocked)",
    );
    expect(errorOf(() => yaml(edit('states: { zero: 1 }', 'states: { zero: 1, writeback: 1 }')))).toMatch(
      /states\.writeback: page state 'writeback' is not valid for anon VMA group 'heap' \(anon states: zero, swapped, swapcache, swapcache_locked, swapcache_writeback\)$/,
    );
    expect(errorOf(() => yaml(edit('states: { zero: 1 }', 'states: { zro: 1 }')))).toMatch(/states\.zro: unknown key \(did you mean 'zero'\?\)$/);
    expect(errorOf(() => yaml(edit('states: { zero: 1 }', 'states: { zero: 0 }')))).toMatch(/states: expected at least one state with a weight > 0$/);
  });

  it('empirical points must increase and end at p100', () => {
    const withRead = (law: string) => yaml(edit('duration: 100ms\n', `duration: 100ms\nio:\n  read: ${law}\n`));
    expect(errorOf(() => withRead('{ law: empirical, points: { p50: 172us, p99: 100us, max: 2ms } }'))).toBe(
      'scenarios/x.yaml:5:54: io.read.points.p99: empirical points must not decrease: p99 (100us) is below p50 (172us)',
    );
    expect(errorOf(() => withRead('{ law: empirical, points: { p50: 172us, p99.9: 330us } }'))).toBe(
      'scenarios/x.yaml:5:35: io.read.points: the last point must be p100 (write it as max), but the highest is p99.9',
    );
    expect(errorOf(() => withRead('{ law: empirical, points: [[50, 1us], [40, 2us], [100, 3us]] }'))).toMatch(
      /io\.read\.points\[1\]: percentiles must increase: 40 comes after 50$/,
    );
    expect(errorOf(() => withRead('{ law: empirical, points: { p50: 1us, q99: 2us } }'))).toMatch(
      /:5:47: io\.read\.points\.q99: invalid percentile key "q99" \(expected pN with N from 0 to 100, e\.g\. p50 or p99\.9, or max\)$/,
    );
    expect(errorOf(() => withRead('{ law: empirical, points: { p50: 1us, p101: 2us } }'))).toMatch(/points\.p101: percentile 101 is out of range/);
    expect(errorOf(() => withRead('{ law: empirical, points: { p100: 1us, max: 2us } }'))).toMatch(/points\.max: same percentile as p100$/);
    expect(errorOf(() => withRead('{ law: uniform, min: 2us, max: 1us }'))).toMatch(/io\.read\.max: must be >= min \(2us\), got 1us$/);
    expect(errorOf(() => withRead('{ law: lognormal, median: 1us, sigma: 0 }'))).toMatch(/io\.read\.sigma: expected a number > 0, got number 0$/);
  });

  it('pages list length must equal count', () => {
    expect(errorOf(() => yaml(edit('    pages: 16', '    pages: [16, 32, 64]')))).toBe(
      'scenarios/x.yaml:8:12: vmas[0].pages: list has 3 entries but count is 2 (give one size per VMA, or omit count)',
    );
  });

  it('bad duration units', () => {
    expect(errorOf(() => yaml(edit('duration: 100ms', 'duration: 100 parsecs')))).toBe(
      `scenarios/x.yaml:3:11: duration: invalid duration "100 parsecs": unknown unit 'parsecs' (expected ns, us (or µs), ms, s)`,
    );
    expect(errorOf(() => yaml(edit('duration: 100ms', 'duration: -1ms')))).toMatch(/:3:11: duration: invalid duration "-1ms": must not be negative$/);
    expect(errorOf(() => yaml(edit('duration: 100ms', 'duration: -1')))).toMatch(/duration: invalid duration -1: must not be negative$/);
    expect(errorOf(() => yaml(edit('duration: 100ms', 'duration: .nan')))).toMatch(/duration: invalid duration NaN/);
    expect(errorOf(() => yaml(edit('duration: 100ms', 'duration: "100"')))).toMatch(/duration: invalid duration "100": missing unit/);
    expect(errorOf(() => yaml(edit('duration: 100ms', 'duration: 0')))).toMatch(/:3:11: duration: must be > 0$/);
    expect(errorOf(() => yaml(edit('duration: 100ms', 'duration: 100ms\nwarmup: 1s')))).toMatch(/warmup: must be shorter than duration \(100ms\), got 1s$/);
  });

  it('cross-field checks', () => {
    expect(errorOf(() => yaml(edit('  - name: heap', '  - name: code')))).toMatch(/:9:11: vmas\[1\]\.name: duplicate VMA group 'code' \(first defined at vmas\[0\]\)$/);
    expect(errorOf(() => yaml(BASE + '  - name: ui\n    think: 1ms\n    ops: [{ op: fork }]\n'))).toMatch(
      /threads\[1\]\.name: duplicate thread name 'ui' \(also made by threads\[0\]\)$/,
    );
    expect(errorOf(() => yaml(BASE + '  - name: w\n    count: 2\n    think: 1ms\n    ops: [{ op: fork }]\n'))).toMatch(
      /threads\[1\]\.name: must contain \{i\} when count is 2/,
    );
    expect(errorOf(() => yaml(edit('{ op: fault, vma: code,', '{ op: fault, vma: code, access: write,')))).toMatch(
      /threads\[0\]\.ops\[0\]\.access: write fault on VMA group 'code', which has write: false/,
    );
    expect(errorOf(() => yaml(edit('    kind: anon\n', '    kind: anon\n    shared: true\n')))).toMatch(/vmas\[1\]\.shared: a shared anonymous mapping is shmem/);
    expect(errorOf(() => yaml(edit('    kind: anon\n', '    kind: anon\n    maywrite: false\n')))).toMatch(/vmas\[1\]\.maywrite: must be true when write is true/);
    expect(errorOf(() => yaml(BASE + '  - name: g\n    think: 1ms\n    ops: [{ op: mprotect, vma: heap, pages: 2048 }]\n'))).toMatch(
      /threads\[1\]\.ops\[0\]\.pages: 2048 pages is more than the largest VMA in group 'heap' \(1024 pages\)$/,
    );
    expect(errorOf(() => yaml(BASE + '  - name: g\n    start: 1s\n    think: 1ms\n    ops: [{ op: fork }]\n'))).toMatch(/threads\[1\]\.start: must be before the end of the run/);
  });

  it('YAML syntax error', () => {
    expect(errorOf(() => yaml('name: x\ndescription: [unclosed\n  foo: bar\n'))).toBe(
      'scenarios/x.yaml:2:15: YAML syntax error: implicit keys of flow sequence pairs need to be on a single line',
    );
    expect(errorOf(() => yaml('name: a\nname: b\n'))).toMatch(/^scenarios\/x\.yaml:2:1: YAML syntax error: map keys must be unique$/);
    expect(errorOf(() => yaml(''))).toBe('scenarios/x.yaml: the file is empty (expected a scenario mapping)');
    expect(errorOf(() => yaml(BASE + '---\nname: other\n'))).toBe(
      'scenarios/x.yaml:19:1: YAML syntax error: a scenario file holds one YAML document, but a second one starts here',
    );
  });

  it('JSON errors carry positions too', () => {
    expect(errorOf(() => parseScenario('{"name": "x",\n "duration": "1s" "vmas": []}', 'x.json', 'json'))).toBe(
      "x.json:2:19: JSON syntax error: Expected ',' or '}' after property value",
    );
    const obj = yamlToObject(BASE);
    (obj.vmas as Array<Record<string, unknown>>)[1]!.pages = 'many';
    expect(errorOf(() => parseScenario(JSON.stringify(obj, null, 2), 'x.json', 'json'))).toMatch(
      /^x\.json:\d+:\d+: vmas\[1\]\.pages: expected a number of pages >= 1, or a list of per-VMA sizes, got string "many"$/,
    );
  });

  it('file not found', () => {
    expect(errorOf(() => loadScenario('no/such/file.yaml'))).toBe('no/such/file.yaml: file not found');
    expect(errorOf(() => loadScenario('andriod-app'))).toMatch(
      /^andriod-app: file not found, and no built-in scenario of that name \(did you mean 'android-app'\?\) \(built-ins: .*android-app.*\)$/,
    );
  });

  it('collects every issue, first one in the message', () => {
    try {
      yaml(edit('duration: 100ms', 'durtion: 100ms\ncpus: many'));
      throw new Error('no error');
    } catch (e) {
      const err = e as ScenarioError;
      expect(err.issues.length).toBe(3);
      expect(err.details.split('\n')).toHaveLength(3);
      expect(err.message).toMatch(/durtion: unknown key/);
    }
  });

  it('scenarioFromObject reports paths without positions', () => {
    const obj = yamlToObject(BASE);
    delete obj.description;
    expect(errorOf(() => scenarioFromObject(obj, 'sweep'))).toBe('sweep: description: missing required field (expected a string)');
  });
});

describe('files', () => {
  it('loads a scenario from a path, YAML and JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-'));
    writeFileSync(join(dir, 'a.yaml'), BASE);
    writeFileSync(join(dir, 'a.json'), JSON.stringify(yamlToObject(BASE)));
    const a = loadScenario(join(dir, 'a.yaml'));
    const b = loadScenario(join(dir, 'a.json'));
    expect(a.source).toBe(join(dir, 'a.yaml'));
    expect({ ...a, source: '' }).toEqual({ ...b, source: '' });
    expect(errorOf(() => loadScenario(dir))).toMatch(/is a directory/);
  });

  it('lists and loads the built-in scenarios', () => {
    const names = listBuiltinScenarios().map((b) => b.name);
    expect(names).toContain('android-app');
    expect(names).toContain('tiny');
    for (const b of listBuiltinScenarios()) {
      expect(b.description.length).toBeGreaterThan(20);
      expect(() => loadScenario(b.name)).not.toThrow();
    }
  });

  it('tiny is small', () => {
    const s = loadScenario('tiny');
    expect(s.source).toBe('scenarios/tiny.yaml');
    expect(s.cpus).toBe(2);
    expect(s.threads.length).toBeGreaterThanOrEqual(3);
    expect(s.threads.length).toBeLessThanOrEqual(5);
    expect(s.duration).toBe(200_000_000);
    expect(new Set(s.threads.flatMap((t) => t.ops.map((o) => o.op)))).toEqual(new Set(['fault', 'mprotect', 'madvise_dontneed', 'munmap', 'fork']));
  });

  it('android-app has the documented shape', () => {
    const s = loadScenario('android-app');
    expect(s.source).toBe('scenarios/android-app.yaml');
    expect(s.cpus).toBe(8);
    expect(s.duration).toBe(10_000_000_000);
    expect(s.warmup).toBe(1_000_000_000);
    const nvma = s.vmas.reduce((n, g) => n + g.count, 0);
    expect(nvma).toBeGreaterThanOrEqual(1000);
    expect(nvma).toBeLessThanOrEqual(3000);
    const names = s.threads.map((t) => t.name);
    for (const n of ['main', 'RenderThread', 'HeapTaskDaemon', 'FinalizerDaemon', 'FinalizerWatchdogDaemon', 'ReferenceQueueDaemon', 'Signal Catcher', 'Jit thread pool']) {
      expect(names).toContain(n);
    }
    expect(names.filter((n) => n.startsWith('Binder:'))).toEqual(['Binder:1', 'Binder:2', 'Binder:3', 'Binder:4']);
    const cls = Object.fromEntries(s.threads.map((t) => [t.name, t.class]));
    expect(cls.main).toBe('USER_INTERACTIVE');
    expect(cls.RenderThread).toBe('USER_INTERACTIVE');
    expect(cls.HeapTaskDaemon).toBe('UTILITY');
    expect(cls['Binder:1']).toBe('DEFAULT');
    const bg = s.threads.filter((t) => t.class === 'BACKGROUND');
    expect(bg.length).toBeGreaterThanOrEqual(2);
    expect(bg.length).toBeLessThanOrEqual(4);
    const heap = s.vmas.find((g) => g.name === 'java_heap')!;
    expect(heap).toMatchObject({ kind: 'anon', anon_vma: true, pages: [65536] });
    const gc = s.threads.find((t) => t.name === 'HeapTaskDaemon')!;
    expect(gc.ops.some((o) => o.op === 'mprotect' && o.vma === 'java_heap' && o.pages === 512 && o.repeat >= 10)).toBe(true);
    expect(s.threads.some((t) => t.ops.some((o) => o.op === 'fork'))).toBe(true);
    expect(s.vmas.some((g) => g.kind === 'anon' && !g.anon_vma)).toBe(true);
    expect(s.io.swap).toEqual({ law: 'constant', value: 17_700 });
    expect(s.io.swap_synchronous).toBe(true);
    expect(s.io.read_synchronous).toBe(false); // UFS: completion by interrupt
    expect(s.io.read).toEqual(DEFAULT_IO.read);
  });

  it('every number in android-app.yaml is sourced or labelled an assumption', () => {
    const text = readFileSync(join(repoRoot(), 'scenarios/android-app.yaml'), 'utf8');
    const lines = text.split('\n');
    const bare = lines.filter((l) => {
      const code = l.replace(/#.*$/, '');
      if (!/:\s*.*\d/.test(code) || /^\s*(name|description|-?\s*name):/.test(code)) return false;
      if (/^\s*(pages|resident|count|weight): /.test(code) && l.includes('#')) return false;
      return !l.includes('#');
    });
    expect(bare).toEqual([]);
  });
});

describe('JSON Schema', () => {
  it('the committed schema/scenario.schema.json is up to date (run npm run schema)', () => {
    const committed = readFileSync(join(repoRoot(), 'schema/scenario.schema.json'), 'utf8');
    expect(committed).toBe(renderJsonSchema());
  });

  it('describes the top-level fields', () => {
    const js = JSON.parse(renderJsonSchema()) as { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
    expect(Object.keys(js.properties)).toEqual(
      expect.arrayContaining(['name', 'description', 'seed', 'duration', 'warmup', 'cpus', 'preempt', 'mmap_lock', 'costs', 'io', 'vmas', 'threads']),
    );
    expect(js.required.sort()).toEqual(['description', 'duration', 'name', 'threads', 'vmas']);
    expect(js.additionalProperties).toBe(false);
  });
});
