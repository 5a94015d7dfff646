/**
 * `faultline real` with a scenario's `memory:` block (src/real/memcg.ts,
 * translate.ts, results.ts, run.ts): the mapping to the cgroup's control
 * files and what is not applied (runs everywhere), the schedule of a memory
 * scenario (every fault of state `memcg`, `order: sequential` in address
 * order), the cgroup counters standing for the model's refault and reclaim
 * events; and, with root and a memory cgroup controller, a small thrashing
 * scenario run for real: refaults happen and the cgroup is gone afterwards.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildRealRun, cgroupFiles, generatorBytes, memoryPlan, parseLoadgenResults, probeHost, renderLoadgenConfig, requireHost, translate,
  which,
} from '../src/real/index.js';
import { repoRoot, scenarioFromObject } from '../src/scenario/index.js';
import { cli } from './cli-helpers.js';

const MiB = 2 ** 20;

const thrash = (memory: Record<string, unknown>) => scenarioFromObject({
  name: 'thrash-real', description: 'two readers of their own shared file, in rounds', duration: '50ms', warmup: '0ms', cpus: 2,
  io: { read: '50us' },
  memory,
  vmas: [{ name: 'file', kind: 'file', shared: true, count: 2, pages: 256 }, { name: 'heap', kind: 'anon', pages: 64, resident: 0.5 }],
  threads: [{ name: 'reader{i}', count: 2, think: '20us', ops: [{ op: 'fault', vma: 'file', order: 'sequential' }] }],
}, 'thrash-real.yaml');

describe('memory: -> the run\'s memory cgroup', () => {
  it('memoryPlan: limits in bytes; total, other, swappiness and dirty_* are named as not applied', () => {
    const plan = memoryPlan(thrash({ max: '2MiB', high: 448, total: '1GiB', other: 16 }).memory!);
    expect([plan.max, plan.high]).toEqual([2 * MiB, 448 * 4096]);
    expect(plan.notes.join('\n')).toMatch(/memory.high 1.8 MiB, memory.max 2.0 MiB applied/);
    expect(plan.notes.some((n) => n.startsWith('memory.total (1024.0 MiB) not applied'))).toBe(true);
    expect(plan.notes.some((n) => n.startsWith('memory.other (0.1 MiB, other resident memory) not applied'))).toBe(true);
    expect(plan.notes.some((n) => n.startsWith('memory.swappiness (60) and the dirty_* settings not applied'))).toBe(true);
  });

  it('cgroupFiles: v2 writes memory.max then memory.high, each plus the generator\'s bytes, page-aligned; "max" for none', () => {
    const plan = memoryPlan(thrash({ max: '2MiB', high: '1MiB' }).memory!);
    expect(cgroupFiles(plan, 2, 5000)).toEqual([['memory.max', String(2 * MiB + 8192)], ['memory.high', String(MiB + 8192)]]);
    expect(cgroupFiles(memoryPlan(thrash({ max: '2MiB' }).memory!), 2, 0)).toEqual([['memory.max', String(2 * MiB)], ['memory.high', 'max']]);
    expect(cgroupFiles(memoryPlan(thrash({ total: '1GiB' }).memory!), 2, 0)).toEqual([['memory.max', 'max'], ['memory.high', 'max']]);
  });

  it('cgroupFiles: v1 has only a hard limit (memory.limit_in_bytes); a memory.high is refused with the reason', () => {
    expect(cgroupFiles(memoryPlan(thrash({ max: '2MiB' }).memory!), 1, 4096)).toEqual([['memory.limit_in_bytes', String(2 * MiB + 4096)]]);
    expect(() => cgroupFiles(memoryPlan(thrash({ max: '2MiB', high: '1MiB' }).memory!), 1, 0)).toThrow(/memory.high needs a cgroup v2 memory controller/);
  });

  it('generatorBytes: the cgroup\'s charge minus its page cache and the scenario\'s resident anonymous pages', () => {
    expect(generatorBytes(10 * MiB, { file: 3 * MiB, anon: 7 * MiB }, 2 * MiB)).toBe(5 * MiB);
    expect(generatorBytes(10 * MiB, { cache: 3 * MiB }, 0)).toBe(7 * MiB); // v1 names
    expect(generatorBytes(MiB, { file: 3 * MiB }, 0)).toBe(0);
  });

  it('translate: every fault of a memory scenario is of state memcg, and order: sequential walks the group\'s pages in order', () => {
    const tr = translate(thrash({ max: '1MiB' }), { seed: 1, hostCpus: 2 });
    expect(tr.memory).not.toBeNull();
    expect(tr.notes.some((n) => n.startsWith('memory: memory.max 1.0 MiB applied'))).toBe(true);
    const faults = tr.threads[0]!.ops.filter((o) => o.op === 'fault');
    expect(faults.every((o) => o.state === 'memcg')).toBe(true);
    // 256 pages in region 0, then 256 in region 1, then around again
    expect(faults.slice(0, 3).map((o) => [o.region, o.page])).toEqual([[0, 0], [0, 1], [0, 2]]);
    expect(faults.slice(255, 258).map((o) => [o.region, o.page])).toEqual([[0, 255], [1, 0], [1, 1]]);
    expect(faults.slice(511, 513).map((o) => [o.region, o.page])).toEqual([[1, 255], [0, 0]]);
    expect(renderLoadgenConfig(tr, { mount: '/m', cgroup: null })).toMatch(/\nop \d+ 0 0 0 1 5 0\n/); // state code 5 (ST_MEMCG)
    expect(translate(thrash({ max: '1MiB' }), { seed: 1, hostCpus: 2 }).threads).toEqual(tr.threads); // deterministic
  });

  it('buildRealRun: the cgroup counters become the refault, reclaim and memcg events; the missing ones are unobservable', () => {
    const tr = translate(thrash({ max: '1MiB' }), { seed: 1, hostCpus: 2 });
    const results = parseLoadgenResults(['faultline-loadgen-results 1', 't0 1000', 'duration 50000000', 'tid 0 101', 'tid 1 102',
      'r 0 0 0 0 5 1000 90000 0 1 0 900 999', 'r 0 0 0 1 5 100000 100500 1 0 0 99000 99999'].join('\n'));
    const run = buildRealRun({
      translation: tr, results, fuse: null, trace: null,
      counters: { vmstat: {}, memcg: { pgmajfault: 1, workingset_refault_file: 7, workingset_refault_anon: 0, 'events.max': 3, 'events.high': 0 } },
      host: { kernel: '6.18', perVmaLock: true, perVmaLockStats: false },
      load: { before: [0, 0, 0], after: [0, 0, 0], hostCpus: 2 }, loadWarning: null, fork: 'fork-lock-all', notes: [],
      memcg: { version: 2, path: '/x', files: [['memory.max', '1052672']], generatorBytes: 4096 },
    });
    expect([run.metrics.vmEvents.WORKINGSET_REFAULT_FILE, run.metrics.vmEvents.MEMCG_MAX, run.metrics.vmEvents.PGMAJFAULT]).toEqual([7, 3, 1]);
    expect(run.unavailable).toEqual(expect.arrayContaining(['vm_events.PGSCAN_DIRECT', 'vm_events.PGSTEAL_KSWAPD']));
    expect(run.unavailable).not.toContain('vm_events.WORKINGSET_REFAULT_FILE');
    expect(run.extras.states.memcg).toMatchObject({ run: 2, asIntended: 1 }); // asIntended counts the major ones for memcg
    expect(run.extras.memcg!.files).toEqual([['memory.max', '1052672']]);
  });
});

describe('faultline real with memory: (end to end)', () => {
  let why: string | null = null;
  const cc = which('cc') ?? which('gcc');
  if (process.platform !== 'linux') why = 'not Linux';
  else if (cc === null) why = 'no C compiler';
  else {
    try {
      execFileSync('make', ['-s', '-C', join(repoRoot(), 'native')], { stdio: 'pipe' });
      const host = probeHost();
      requireHost(host, { fuse: true, swap: false, cgroup: true });
      // A max-only scenario: cgroup v2, or v1 (memory.limit_in_bytes). memory.high needs v2.
    } catch (e) {
      why = (e as Error).message.split('\n')[0]!;
    }
  }
  if (why !== null) console.warn(`SKIPPED faultline real with memory: ${why}`);

  it.runIf(why === null)('a small thrashing scenario refaults under the cgroup\'s limit, and the cgroup is removed', async () => {
    const host = probeHost();
    const dir = mkdtempSync(join(tmpdir(), 'faultline-memcg-'));
    const file = join(dir, 'thrash-real.yaml');
    writeFileSync(file, [
      'name: thrash-real', 'description: four readers of their own 1 MiB shared file, in rounds, under a 1 MiB memory.max',
      'duration: 200ms', 'warmup: 0ms', 'cpus: 2', 'io: { read: 50us }', 'memory: { max: 1MiB }',
      'vmas:', '  - { name: file, kind: file, shared: true, count: 4, pages: 256 }',
      'threads:', '  - { name: "reader{i}", count: 4, think: 20us, ops: [{ op: fault, vma: file, order: sequential }] }', '',
    ].join('\n'));
    // This process's cgroups only (faultline-real-PID-N, src/real/run.ts): another faultline on the host may own one meanwhile.
    const mine = `faultline-real-${process.pid}-`;
    const before = readdirSync(host.cgroup!.parent).filter((d) => d.startsWith(mine));
    const r = await cli('real', file, '--model-seeds', '1', '--allow-loaded', '--no-trace', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { real: { runs: Array<{ extras: { counters: { memcg: Record<string, number> }; memcg: { path: string; files: string[][] } } }> } };
    const x = doc.real.runs[0]!.extras;
    expect(x.counters.memcg.workingset_refault_file).toBeGreaterThan(0);
    expect(x.memcg.files[0]![0]).toBe(host.cgroup!.version === 2 ? 'memory.max' : 'memory.limit_in_bytes');
    expect(existsSync(x.memcg.path)).toBe(false);
    expect(readdirSync(host.cgroup!.parent).filter((d) => d.startsWith(mine))).toEqual(before);
  }, 180_000);

  it.runIf(why === null && probeHost().cgroup?.version === 1)('on cgroup v1, a memory.high is refused with the reason', async () => {
    const r = await cli('real', 'memcg-thrash', '--model-seeds', '1', '--allow-loaded', '--no-trace');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/memory.high needs a cgroup v2 memory controller/);
  }, 60_000);
});
