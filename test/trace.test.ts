/**
 * Perfetto traces (src/trace): the output is checked against the rules of
 * the Chrome JSON format as Perfetto's importer applies them (validate.ts),
 * not just parsed; and the checker itself is shown to catch each rule.
 * No Perfetto trace_processor is available here (no package on npm or
 * Debian), so the validator stands in for it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { measure } from '../src/metrics/index.js';
import { loadScenario, scenarioFromObject, type Scenario } from '../src/scenario/index.js';
import {
  assignLanes, clean, measureTraced, tracePid, traceProcessName, us, validateChromeTrace, writeTraceFile, type RunTrace, type TraceWindow,
} from '../src/trace/index.js';
import { cli } from './cli-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tiny(durationNs = 100_000_000): Scenario {
  const sc = loadScenario('tiny');
  sc.duration = durationNs;
  return sc;
}

/** Contention on purpose: faulters that miss the page cache, a GC that mprotects, a forker. */
function contended(): Scenario {
  return scenarioFromObject({
    name: 'contended', description: 'test', seed: 1, duration: '40ms', warmup: '1ms', cpus: 2,
    io: { read: '200us' },
    vmas: [{ name: 'code', kind: 'file', count: 2, pages: 64 }, { name: 'heap', kind: 'anon', pages: 256, resident: 0.5 }],
    threads: [
      { name: 'ui', class: 'USER_INTERACTIVE', think: '50us', ops: [{ op: 'fault', vma: 'code', states: { cached: 0.7, absent: 0.3 } }] },
      { name: 'bg{i}', count: 2, class: 'BACKGROUND', think: '80us',
        ops: [{ op: 'fault', vma: 'code', states: { cached: 0.5, absent: 0.5 } }, { op: 'fault', vma: 'heap', access: 'write' }] },
      { name: 'gc', class: 'UTILITY', think: '300us', ops: [{ op: 'mprotect', vma: 'heap', pages: 64 }, { op: 'fork', weight: 0.2 }] },
    ],
  }, 'contended (test)');
}

function traced(sc: Scenario, fault: string, k = 0, window: TraceWindow = { from: 0, to: Infinity }, maxEvents = 1e7): RunTrace {
  const spec = { scenario: sc, fault, fork: 'fork-lock-all', seed: 1 };
  return measureTraced(spec, { pid: tracePid(k), name: traceProcessName(sc.name, spec) }, { window, maxEvents }).trace;
}

function write(name: string, runs: RunTrace[]): string {
  const path = join(dir, name);
  writeTraceFile(path, runs);
  return readFileSync(path, 'utf8');
}

describe('Perfetto trace of a run', () => {
  it('follows the format rules: nesting per thread, balanced async tracks, matched flows, numeric counters, metadata', () => {
    const sc = contended();
    const text = write('contended.json', ['pre-vma', 'hold-io'].map((f, k) => traced(sc, f, k)));
    const chk = validateChromeTrace(text);
    expect(chk.errors).toEqual([]);
    expect(chk.stats.processes).toBe(2);
    expect(chk.stats.threads).toBe(2 * sc.threads.length);
    expect(chk.stats.phases.X).toBeGreaterThan(100);
    expect(validateChromeTrace(write('tiny.json', ['mainline', 'retry-vma'].map((f, k) => traced(tiny(), f, k)))).errors).toEqual([]);
    expect(chk.stats.phases.b).toBe(chk.stats.phases.e);
    expect(chk.stats.phases.b).toBeGreaterThan(0); // lock holds and I/O
    expect(chk.stats.flows).toBeGreaterThan(0); // someone waited behind someone
    expect(chk.stats.counterTracks).toBeGreaterThanOrEqual(2 * 7); // mmap_lock x4, cpu x2, vma x1 per process
    // Timestamps are µs with 3 decimals, and no \u escapes.
    expect(text).not.toMatch(/"ts":[0-9]+\.[0-9]{4}/);
    expect(text).not.toMatch(/\\u[0-9a-f]{4}/i);
  });

  it('names locks and holders in waits, and shows faults, runs and holds', () => {
    const doc = JSON.parse(write('names.json', [traced(contended(), 'pre-vma', 0), traced(contended(), 'mainline', 1)])) as { traceEvents: Array<Record<string, unknown>> };
    const ev = doc.traceEvents;
    const names = new Set(ev.map((e) => e.name));
    for (const n of ['fault', 'running', 'thread_name', 'process_name', 'mmap_lock', 'cpu']) expect(names.has(n), n).toBe(true);
    const waits = ev.filter((e) => e.ph === 'X' && typeof e.name === 'string' && /^(down_read|down_write|folio_lock|folio_wait_locked|vma_start_write) /.test(e.name));
    expect(waits.length).toBeGreaterThan(0);
    for (const w of waits) {
      const a = w.args as Record<string, string>;
      expect(a.lock).toMatch(/mmap_lock|vma\[|folio\[/);
      expect(typeof a.holders).toBe('string');
    }
    expect(waits.some((w) => (w.args as Record<string, string>).holders !== '-')).toBe(true);
    const holds = ev.filter((e) => e.ph === 'b' && e.cat === 'lock');
    expect(holds.some((h) => String(h.name).includes('mm->mmap_lock (write)'))).toBe(true);
    expect(holds.some((h) => String(h.name).includes('(read)') && String(h.name).startsWith('vma['))).toBe(true);
    expect(ev.some((e) => e.ph === 'b' && e.cat === 'io')).toBe(true);
  });

  it('does not change the run: metrics with and without the trace are identical', () => {
    const sc = tiny(60_000_000);
    const spec = { scenario: sc, fault: 'retry-vma', fork: 'fork-lock-all', seed: 3 };
    const plain = measure(spec);
    const withTrace = measureTraced(spec, { pid: 100000, name: 'x' }, { window: { from: 0, to: Infinity }, maxEvents: 1e7 }).metrics;
    expect(withTrace).toEqual(plain);
  });

  it('a window keeps only its span, clipping slices at its edges', () => {
    const w = { from: 30_000_000, to: 45_000_000 };
    const text = write('window.json', [traced(tiny(), 'mainline', 0, w)]);
    expect(validateChromeTrace(text).errors).toEqual([]);
    const doc = JSON.parse(text) as { traceEvents: Array<{ ph: string; ts?: number; dur?: number }> };
    for (const e of doc.traceEvents) {
      if (e.ph === 'M') continue;
      expect(e.ts!).toBeGreaterThanOrEqual(30_000);
      expect(e.ts! + (e.dur ?? 0)).toBeLessThanOrEqual(45_000 + 1e-6);
    }
  });

  it('the event cap stops a run at a reported time and still writes a valid trace', () => {
    const t = traced(tiny(), 'mainline', 0, { from: 0, to: Infinity }, 2000);
    expect(t.cappedAt).not.toBeNull();
    expect(t.events.length).toBeLessThan(2000 * 1.5);
    const text = write('capped.json', [t]);
    expect(validateChromeTrace(text).errors).toEqual([]);
  });

  it('android-app: one window of a real-sized scenario is valid', () => {
    const sc = loadScenario('android-app');
    sc.duration = 1_500_000_000;
    const text = write('android.json', [traced(sc, 'mainline', 0, { from: 1_000_000_000, to: 1_200_000_000 })]);
    const chk = validateChromeTrace(text);
    expect(chk.errors).toEqual([]);
    expect(chk.stats.threads).toBeGreaterThan(10);
  });
});

describe('trace validator catches', () => {
  const meta = '{"ph":"M","name":"process_name","pid":1,"tid":2,"args":{"name":"p"}},{"ph":"M","name":"thread_name","pid":1,"tid":2,"args":{"name":"t"}}';
  const check = (events: string) => validateChromeTrace(`{"traceEvents":[${meta}${events === '' ? '' : ','}${events}]}`).errors.join('\n');

  it('a valid minimal trace', () => {
    expect(check('{"ph":"X","name":"a","pid":1,"tid":2,"ts":1.000,"dur":5.000},{"ph":"X","name":"b","pid":1,"tid":2,"ts":2.000,"dur":1.000}')).toBe('');
  });
  it('overlapping slices on a thread', () => {
    expect(check('{"ph":"X","name":"a","pid":1,"tid":2,"ts":1,"dur":5},{"ph":"X","name":"b","pid":1,"tid":2,"ts":2,"dur":10}')).toMatch(/without nesting/);
  });
  it('timestamps going back on a thread', () => {
    expect(check('{"ph":"X","name":"a","pid":1,"tid":2,"ts":5,"dur":1},{"ph":"X","name":"b","pid":1,"tid":2,"ts":2,"dur":1}')).toMatch(/goes back/);
  });
  it('a thread without thread_name, a process without process_name', () => {
    expect(check('{"ph":"X","name":"a","pid":1,"tid":3,"ts":1,"dur":1}')).toMatch(/no thread_name/);
    expect(check('{"ph":"X","name":"a","pid":7,"tid":2,"ts":1,"dur":1}')).toMatch(/no process_name/);
  });
  it('unbalanced or misnested async slices', () => {
    expect(check('{"ph":"b","cat":"c","name":"a","pid":1,"tid":2,"id2":{"local":"x"},"ts":1}')).toMatch(/b without e/);
    expect(check('{"ph":"b","cat":"c","name":"a","pid":1,"tid":2,"id2":{"local":"x"},"ts":1},{"ph":"b","cat":"c","name":"b","pid":1,"tid":2,"id2":{"local":"x"},"ts":2},'
      + '{"ph":"e","cat":"c","name":"a","pid":1,"tid":2,"id2":{"local":"x"},"ts":3},{"ph":"e","cat":"c","name":"b","pid":1,"tid":2,"id2":{"local":"x"},"ts":4}')).toMatch(/improper nesting/);
  });
  it('unmatched flows and flows outside any slice', () => {
    expect(check('{"ph":"X","name":"a","pid":1,"tid":2,"ts":1,"dur":5},{"ph":"s","cat":"l","name":"f","id":"1","pid":1,"tid":2,"ts":2}')).toMatch(/1 start\(s\) and 0 end/);
    expect(check('{"ph":"X","name":"a","pid":1,"tid":2,"ts":1,"dur":5},{"ph":"s","cat":"l","name":"f","id":"1","pid":1,"tid":2,"ts":2},'
      + '{"ph":"f","bp":"e","cat":"l","name":"f","id":"1","pid":1,"tid":2,"ts":9}')).toMatch(/end at 9000 .* is in no slice/);
  });
  it('non-numeric counters, sub-ns timestamps and \\u escapes', () => {
    expect(check('{"ph":"C","name":"c","pid":1,"tid":2,"ts":1,"args":{"v":"x"}}')).toMatch(/not a finite number/);
    expect(check('{"ph":"X","name":"a","pid":1,"tid":2,"ts":1.00001,"dur":1}')).toMatch(/more than 3 decimals/);
    expect(check('{"ph":"X","name":"\\u0041","pid":1,"tid":2,"ts":1,"dur":1}')).toMatch(/escape/);
  });
});

describe('trace helpers', () => {
  it('us() writes ns as µs with three decimals', () => {
    expect(us(0)).toBe('0.000');
    expect(us(1)).toBe('0.001');
    expect(us(1234567)).toBe('1234.567');
    expect(us(10_000_000_000_123)).toBe('10000000000.123');
  });
  it('clean() removes what would need a \\u escape', () => {
    expect(JSON.stringify(clean('a\u0001b\ud800c'))).toBe('"a b\ufffdc"');
  });
  it('lanes: on each lane intervals follow strictly or nest strictly', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 20 })), { maxLength: 40 }), (raw) => {
      const items = raw.map(([s, d]) => ({ start: s, end: s + d }));
      const lanes = assignLanes(items);
      const byLane = new Map<number, typeof items>();
      items.forEach((it, i) => { const l = byLane.get(lanes[i]!) ?? []; l.push(it); byLane.set(lanes[i]!, l); });
      for (const list of byLane.values()) {
        for (const a of list) {
          for (const b of list) {
            if (a === b) continue;
            const disjoint = a.end < b.start || b.end < a.start;
            const nested = (a.start < b.start && b.end < a.end) || (b.start < a.start && a.end < b.end);
            expect(disjoint || nested).toBe(true);
          }
        }
      }
    }));
  });
});

describe('faultline run --trace', () => {
  it('writes one process per combination and says where; bad windows are usage errors', async () => {
    const file = join(dir, 'cli.json');
    const r = await cli('run', 'tiny', '--strategy', 'mainline,hold-io', '--duration', '50ms', '--trace', file, '--trace-window', '10ms..40ms');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote .*cli\.json: \d+ events, [0-9.]+ MB, 2 runs/);
    const chk = validateChromeTrace(readFileSync(file, 'utf8'));
    expect(chk.errors).toEqual([]);
    expect(chk.stats.processes).toBe(2);
    const bad = await cli('run', 'tiny', '--trace', file, '--trace-window', '40ms..10ms');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--trace-window: the window '40ms\.\.10ms' is empty/);
  });

  it('says clearly when the cap stops a trace', async () => {
    const file = join(dir, 'cap.json');
    const r = await cli('run', 'tiny', '--duration', '100ms', '--trace', file, '--trace-max-events', '1000');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/trace of 'tiny mainline\/fork-lock-all seed 1' stops at [0-9.]+ms simulated: it reached 1000 events .*--trace-window/);
    expect(validateChromeTrace(readFileSync(file, 'utf8')).errors).toEqual([]);
  });
});
