/** `faultline real`: parsing the generator's, the FUSE daemon's and the kernel's outputs into RunMetrics (pure). */
import { describe, expect, it } from 'vitest';
import { flatten } from '../src/report/index.js';
import {
  analyseMmapLock, buildRealRun, compareReal, counterDelta, F_CHILD_FIRST, F_ERROR, F_PREP, F_SEGV, F_UNFINISHED, HostError, parseCounters,
  parseFuseLog, parseLoadgenResults, parseTrace, renderRealJson, renderRealTable, requireHost, translate, type HostInfo,
} from '../src/real/index.js';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';

const T0 = 5_000_000_000; // CLOCK_MONOTONIC of the run start
const us = (x: number) => x * 1000;
/** A trace line at T0 + t ns (printed with microsecond resolution, as tracefs does). */
function line(task: string, tid: number, t: number, event: string, args: string): string {
  const ns = T0 + t;
  const sec = Math.floor(ns / 1e9);
  const usec = String(Math.floor((ns % 1e9) / 1000)).padStart(6, '0');
  return `${task.padStart(16)}-${tid}    [001] .....  ${sec}.${usec}: ${event}: ${args}`;
}
const MM = 'mm=00000000f68729cd memcg_id=7625';

describe('parseTrace / analyseMmapLock', () => {
  const text = [
    '# tracer: nop',
    '#',
    // reader 101: an uncontended read hold inside a fault.
    line('reader1', 101, us(100), 'mmap_lock_start_locking', `${MM} write=false`),
    line('reader1', 101, us(101), 'mmap_lock_acquire_returned', `${MM} write=false success=true`),
    line('reader1', 101, us(104), 'mmap_lock_released', `${MM} write=false`),
    // writer 102 holds for 50 us; reader 101 fails its trylock then blocks 40 us.
    line('gc', 102, us(200), 'mmap_lock_start_locking', `${MM} write=true`),
    line('gc', 102, us(200), 'mmap_lock_acquire_returned', `${MM} write=true success=true`),
    line('reader1', 101, us(210), 'mmap_lock_start_locking', `${MM} write=false`),
    line('reader1', 101, us(210), 'mmap_lock_acquire_returned', `${MM} write=false success=false`),
    line('reader1', 101, us(210), 'mmap_lock_start_locking', `${MM} write=false`),
    line('reader1', 101, us(211), 'contention_begin', '00000000b23a4989 (flags=READ)'),
    line('gc', 102, us(250), 'mmap_lock_released', `${MM} write=true`),
    line('reader1', 101, us(250), 'contention_end', '00000000b23a4989 (ret=0)'),
    line('reader1', 101, us(250), 'mmap_lock_acquire_returned', `${MM} write=false success=true`),
    line('reader1', 101, us(253), 'mmap_lock_released', `${MM} write=false`),
    // A spinlock contention inside a lock attempt does not make it a blocked wait.
    line('reader1', 101, us(300), 'mmap_lock_start_locking', `${MM} write=false`),
    line('reader1', 101, us(300), 'contention_begin', '000000000500e9b4 (flags=SPIN)'),
    line('reader1', 101, us(301), 'mmap_lock_acquire_returned', `${MM} write=false success=true`),
    line('reader1', 101, us(302), 'mmap_lock_released', `${MM} write=false`),
    // fork also locks the child's mm: a different mm is ignored.
    line('forker', 103, us(400), 'mmap_lock_start_locking', 'mm=00000000deadbeef memcg_id=7625 write=true'),
    'garbage line',
  ].join('\n');

  it('parses event lines with mono timestamps and fields', () => {
    const ev = parseTrace(text);
    expect(ev).toHaveLength(18);
    expect(ev[0]).toMatchObject({ tid: 101, ts: T0 + us(100), name: 'mmap_lock_start_locking', mm: '00000000f68729cd', write: false });
    expect(ev.find((e) => e.name === 'contention_begin')!.rwsem).toBe(true);
    expect(ev.filter((e) => e.name === 'contention_begin' && !e.rwsem)).toHaveLength(1);
  });

  it('pairs waits, holds, acquisitions and failed trylocks per task', () => {
    const a = analyseMmapLock(parseTrace(text), { contentionEvents: true });
    expect(a.mm).toBe('00000000f68729cd');
    expect(a.failedTrylocks).toEqual([{ tid: 101, ts: T0 + us(210) }]);
    const blocked = a.waits.filter((w) => w.blocked);
    expect(blocked).toEqual([{ tid: 101, start: T0 + us(210), end: T0 + us(250), write: false, blocked: true }]);
    expect(a.waits).toHaveLength(4);
    expect(a.holds.map((h) => [h.tid, h.write, h.end - h.start])).toEqual([
      [101, false, us(3)], [102, true, us(50)], [101, false, us(3)], [101, false, us(1)],
    ]);
    expect(a.acquisitions.filter((q) => q.write)).toHaveLength(1);
  });

  it('without lock events, a long wait counts as blocked', () => {
    const noLock = parseTrace(text).filter((e) => !e.name.startsWith('contention'));
    const a = analyseMmapLock(noLock, { contentionEvents: false, blockedThresholdNs: us(5) });
    expect(a.waits.filter((w) => w.blocked).map((w) => w.end - w.start)).toEqual([us(40)]);
  });

  it('ends a write hold at a downgrade', () => {
    const t = [
      line('a', 1, 0, 'mmap_lock_start_locking', `${MM} write=true`),
      line('a', 1, us(1), 'mmap_lock_acquire_returned', `${MM} write=true success=true`),
      line('a', 1, us(9), 'mmap_lock_acquire_returned', `${MM} write=false success=true`),
      line('a', 1, us(20), 'mmap_lock_released', `${MM} write=false`),
    ].join('\n');
    const a = analyseMmapLock(parseTrace(t), { contentionEvents: true });
    expect(a.holds.map((h) => [h.write, h.end - h.start])).toEqual([[true, us(8)], [false, us(11)]]);
  });
});

describe('buildRealRun', () => {
  const sc = scenarioFromObject({
    name: 'r', description: 'test', duration: '10ms', warmup: '1ms', cpus: 2,
    vmas: [{ name: 'code', kind: 'file', pages: 64 }, { name: 'heap', kind: 'anon', pages: 64 }],
    threads: [
      { name: 'reader1', class: 'DEFAULT', think: '1ms', ops: [{ op: 'fault', vma: 'code', states: { absent: 1 } }] },
      { name: 'gc', class: 'UTILITY', think: '1ms', ops: [{ op: 'mprotect', vma: 'heap', pages: 8 }] },
    ],
  }, 'r.yaml');
  const tr = translate(sc, { seed: 1, hostCpus: 2 });
  // thread op region page state start end minflt majflt flags prep_start prep_end
  const results = parseLoadgenResults([
    'faultline-loadgen-results 1', `t0 ${T0}`, 'duration 10000000', 'tid 0 101', 'tid 1 102',
    'r 0 0 0 5 2 500000 700000 0 1 0 490000 499000', // before warm-up: left out
    `r 0 0 0 6 2 ${us(1100)} ${us(1400)} 0 1 0 ${us(1090)} ${us(1099)}`, // absent, major: as intended
    `r 0 0 0 7 1 ${us(2000)} ${us(2002)} 1 0 ${F_PREP} ${us(1990)} ${us(1999)}`, // cached, prepared in line
    `r 0 0 0 8 1 ${us(3000)} ${us(3000)} 0 0 0 ${us(2990)} ${us(2999)}`, // no fault at all: left out
    `r 0 0 0 9 1 ${us(4000)} ${us(4003)} 0 0 ${F_SEGV} -1 -1`, // SIGSEGV
    `r 0 0 0 10 2 ${us(9900)} ${us(10500)} 0 1 ${F_UNFINISHED} -1 -1`, // still running at the end
    `r 1 1 1 0 0 ${us(1500)} ${us(1530)} 0 0 0 -1 -1`,
  ].join('\n'));
  const fuse = parseFuseLog(['faultline-fuse-log 1', `read ${T0 + us(1150)} ${T0 + us(1322)} 101 0 24576 4096 172000`, `read ${T0 + 10} ${T0 + 20} 999 0 0 4096 10`].join('\n'));
  const trace = analyseMmapLock(parseTrace([
    line('reader1', 101, us(1300), 'mmap_lock_start_locking', `${MM} write=false`),
    line('reader1', 101, us(1300), 'mmap_lock_acquire_returned', `${MM} write=false success=true`),
    line('reader1', 101, us(1302), 'mmap_lock_released', `${MM} write=false`),
    line('gc', 102, us(1500), 'mmap_lock_start_locking', `${MM} write=true`),
    line('gc', 102, us(1501), 'mmap_lock_acquire_returned', `${MM} write=true success=true`),
    line('gc', 102, us(1529), 'mmap_lock_released', `${MM} write=true`),
    // between ops (the generator's own page fault, e.g. on its record array behind a fork): not counted
    line('reader1', 101, us(2500), 'mmap_lock_start_locking', `${MM} write=false`),
    line('reader1', 101, us(2500), 'contention_begin', '00000000fa16850a (flags=READ)'),
    line('reader1', 101, us(2900), 'contention_end', '00000000fa16850a (ret=0)'),
    line('reader1', 101, us(2900), 'mmap_lock_acquire_returned', `${MM} write=false success=true`),
    line('reader1', 101, us(2901), 'mmap_lock_released', `${MM} write=false`),
    // during the untimed preparation of a fault: not counted
    line('reader1', 101, us(1995), 'mmap_lock_start_locking', `${MM} write=false`),
    line('reader1', 101, us(1995), 'mmap_lock_acquire_returned', `${MM} write=false success=true`),
    line('reader1', 101, us(1996), 'mmap_lock_released', `${MM} write=false`),
  ].join('\n')), { contentionEvents: true });
  const build = (withTrace: boolean) => buildRealRun({
    translation: tr, results, fuse,
    trace: withTrace ? { analysis: trace, events: 9, lost: 0, contentionEvents: true } : null,
    counters: { vmstat: { pgfault: 10 }, memcg: null },
    host: { kernel: '6.18', perVmaLock: true, perVmaLockStats: false },
    load: { before: [0.5, 0.4, 0.3], after: [0.7, 0.5, 0.3], hostCpus: 2 }, loadWarning: null,
    fork: 'fork-lock-all', notes: [],
  });

  it('splits fork latency by the child\'s placement (F_CHILD_FIRST), in the window, failed forks left out', () => {
    const withForks = parseLoadgenResults([
      'faultline-loadgen-results 1', `t0 ${T0}`, 'duration 10000000', 'tid 0 101', 'tid 1 102',
      `r 1 5 -1 0 0 ${us(500)} ${us(2500)} 0 0 ${F_CHILD_FIRST} -1 -1`, // before warm-up: left out
      `r 1 5 -1 0 0 ${us(2000)} ${us(4000)} 0 0 ${F_CHILD_FIRST} -1 -1`,
      `r 1 5 -1 0 0 ${us(5000)} ${us(6200)} 0 0 0 -1 -1`,
      `r 1 5 -1 0 0 ${us(7000)} ${us(8300)} 0 0 0 -1 -1`,
      `r 1 5 -1 0 0 ${us(9000)} ${us(9001)} 0 0 ${F_ERROR} -1 -1`,
    ].join('\n'));
    const run = buildRealRun({
      translation: tr, results: withForks, fuse: null, trace: null,
      counters: { vmstat: {}, memcg: null }, host: { kernel: '6.18', perVmaLock: true, perVmaLockStats: false },
      load: { before: [0.5, 0.4, 0.3], after: [0.7, 0.5, 0.3], hostCpus: 2 }, loadWarning: null, fork: 'fork-lock-all', notes: [],
    });
    expect(run.extras.forkModes!.child_first).toMatchObject({ count: 1, p50: us(2000), max: us(2000) });
    expect(run.extras.forkModes!.parent_first).toMatchObject({ count: 2, max: us(1300) });
    expect(run.metrics.opsAll.fork!.count).toBe(4); // the mixed figure keeps every fork, the failed one too
    expect(build(true).extras.forkModes).toBeNull(); // no fork
  });

  it('counts ops in the window the way the simulator does', () => {
    const { metrics: m, extras } = build(true);
    expect(m.fault).toBe('real');
    expect(m.opsAll.fault).toMatchObject({ count: 3, unfinished: 1 });
    expect(m.opsAll.fault!.latency!.max).toBe(us(300));
    expect(m.opsByClass.DEFAULT!.fault!.count).toBe(3);
    expect(m.opsAll.mprotect!.count).toBe(1);
    expect(extras.touchesWithoutFault).toBe(1);
    expect(extras.states.absent).toMatchObject({ run: 2, asIntended: 2, prepared: 0 });
    expect(extras.states.cached).toMatchObject({ run: 2, asIntended: 1, prepared: 1 });
    expect(m.vmEvents.PGFAULT).toBe(2);
    expect(m.vmEvents.PGMAJFAULT).toBe(1);
    expect(m.vmEvents.FAULT_SIGSEGV).toBe(1);
    expect(m.vmEvents.IO_READ).toBe(1); // the other read is not from a scenario thread
    expect(extras.fuse!.faultOverhead!.max).toBe(us(300) - 172_000);
  });

  it('takes mmap_lock figures from the trace, leaving out the preparation of pages and what falls between ops', () => {
    const { metrics: m, extras } = build(true);
    expect(m.mmapLock.readWait.count).toBe(0);
    expect(extras.notes.some((n) => /^\d+ mmap_lock event\(s\) of the scenario's threads fell outside every timed op/.test(n))).toBe(true);
    expect(m.mmapLock.readAcquisitions).toBe(1);
    expect(m.mmapLock.writeAcquisitions).toBe(1);
    expect(m.mmapLock.writeHold).toMatchObject({ count: 1, total: us(28) });
    expect(m.vmEvents.FAULT_MMAP_PATH).toBe(1);
    expect(extras.faultsViaMmapLock).toBe(1);
    expect(m.vmEvents.VMA_LOCK_SUCCESS).toBe(2);
  });

  it('lists what the host cannot observe; without a trace, the mmap_lock figures too', () => {
    expect(build(true).unavailable).toContain('vma_lock.writer_wait');
    expect(build(true).unavailable).not.toContain('mmap_lock.');
    expect(build(false).unavailable).toEqual(expect.arrayContaining(['mmap_lock.', 'vm_events.FAULT_MMAP_PATH']));
  });

  it('renders model and reality side by side, with the ratio, and drops unobservable figures', () => {
    const real = build(true);
    const model = [measure({ scenario: tr.modelScenario, fault: 'mainline', fork: 'fork-lock-all', seed: 1 })];
    const rc = compareReal(model, [real], { name: 'r', source: 'r.yaml', seed: 1, seeds: 1, duration: sc.duration, warmup: sc.warmup }, tr);
    const realCombo = rc.cmp.combinations.find((c) => c.fault === 'real')!;
    expect(realCombo.summary['vma_lock.writer_wait.count']).toBeUndefined();
    expect(realCombo.summary['ops.all.fault.count']!.ratio).toBeDefined();
    expect([...flatten(real.metrics).keys()]).toContain('mmap_lock.read_acquisitions');
    const table = renderRealTable(rc);
    expect(table).toMatch(/mainline\s+real/);
    expect(table).toContain('page states met');
    expect(table).toMatch(/wait count\s+\d+\s+-/);
    const doc = JSON.parse(renderRealJson(rc, '0.1.0')) as { combinations: Array<{ fault: string }>; real: { kernel: string } };
    expect(doc.combinations.map((c) => c.fault)).toEqual(['mainline', 'real']);
    expect(doc.real.kernel).toBe('6.18');
    expect(doc.real).not.toHaveProperty('model_modes');
    const modes = { fault: { cached: { count: 3, p50: 1000, p99: 2000 } }, fork: {} };
    const withModes = compareReal(model, [real], { name: 'r', source: 'r.yaml', seed: 1, seeds: 1, duration: sc.duration, warmup: sc.warmup }, tr, modes);
    expect((JSON.parse(renderRealJson(withModes, '0.1.0')) as { real: { model_modes: unknown } }).real.model_modes).toEqual(modes);
    expect(table).toContain('host load, run 1: before load average 0.50 0.40 0.30 (2 CPUs), after 0.70 0.50 0.30');
    expect(table).not.toContain('WARNING');
    const loaded = { ...real, extras: { ...real.extras, loadWarning: 'the host is loaded (x)' } };
    const rc2 = compareReal(model, [loaded], { name: 'r', source: 'r.yaml', seed: 1, seeds: 1, duration: sc.duration, warmup: sc.warmup }, tr);
    expect(renderRealTable(rc2)).toContain('WARNING: the host is loaded (x); tails are not the kernel\'s alone');
  });
});

describe('host requirements', () => {
  const ok: HostInfo = {
    kernel: '6.18', cpus: 2, root: true, config: new Map([['CONFIG_ZRAM', 'y']]), perVmaLock: true, perVmaLockStats: false,
    binaries: { loadgen: '/x/faultline-loadgen', fuse: '/x/faultline-fuse', calibrate: '/x/faultline-calibrate' }, loop: true,
    fuse: { dev: true, fusermount: true }, zram: { control: true, tools: true },
    cgroup: { version: 1, parent: '/sys/fs/cgroup/memory' }, tracefs: '/sys/kernel/tracing',
  };
  const all = { fuse: true, swap: true, cgroup: true };

  it('accepts a complete host', () => {
    if (process.platform !== 'linux') return;
    expect(() => requireHost(ok, all)).not.toThrow();
  });

  it.each([
    [{ root: false }, /needs root/],
    [{ binaries: { loadgen: null, fuse: null, calibrate: null } }, /load generator is not built/],
    [{ binaries: { loadgen: '/x', fuse: null, calibrate: '/x' } }, /FUSE daemon is not built.*libfuse3-dev/],
    [{ fuse: { dev: false, fusermount: true } }, /no FUSE/],
    [{ zram: { control: false, tools: true } }, /zram-control/],
    [{ config: new Map<string, string>() }, /CONFIG_ZRAM/],
    [{ cgroup: null }, /--no-cgroup/],
  ] as Array<[Partial<HostInfo>, RegExp]>)('names what is missing: %o', (patch, msg) => {
    if (process.platform !== 'linux') return;
    expect(() => requireHost({ ...ok, ...patch }, all)).toThrow(HostError);
    expect(() => requireHost({ ...ok, ...patch }, all)).toThrow(msg);
  });

  it('asks only for what the scenario needs', () => {
    if (process.platform !== 'linux') return;
    expect(() => requireHost({ ...ok, zram: { control: false, tools: false }, fuse: { dev: false, fusermount: false } }, { fuse: false, swap: false, cgroup: true })).not.toThrow();
  });

  it('with a block-device read path, asks for the device and the calibrate binary instead of FUSE', () => {
    if (process.platform !== 'linux') return;
    const noFuse = { ...ok, fuse: { dev: false, fusermount: false } };
    expect(() => requireHost(noFuse, { fuse: false, swap: false, cgroup: true, blockdev: 'zram' })).not.toThrow();
    expect(() => requireHost({ ...noFuse, zram: { control: false, tools: true } }, { fuse: false, swap: false, cgroup: true, blockdev: 'zram' })).toThrow(/--io zram needs/);
    expect(() => requireHost({ ...noFuse, loop: false }, { fuse: false, swap: false, cgroup: true, blockdev: 'loop' })).toThrow(/--io loop needs losetup/);
    expect(() => requireHost({ ...noFuse, binaries: { ...ok.binaries, calibrate: null } }, { fuse: false, swap: false, cgroup: true, blockdev: 'loop' })).toThrow(/faultline-calibrate/);
  });
});

describe('counters', () => {
  it('parses vmstat and memory.stat and takes deltas', () => {
    const a = parseCounters('pgfault 10\npgmajfault 2\nnr_free_pages 5\n');
    const b = parseCounters('pgfault 25\npgmajfault 3\n');
    expect(counterDelta(a, b, ['pgfault', 'pgmajfault', 'pswpin'])).toEqual({ pgfault: 15, pgmajfault: 1 });
  });
});
