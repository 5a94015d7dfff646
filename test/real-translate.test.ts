/** `faultline real`: scenario -> load-generator configuration (pure, runs anywhere). */
import { describe, expect, it } from 'vitest';
import {
  CLASS_NICE, OP_CODE, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, renderFuseConfig, renderLoadgenConfig,
  scheduleSummary, STATE_CODE, STATE_MAP, translate,
} from '../src/real/index.js';
import { loadScenario, scenarioFromObject, type Scenario } from '../src/scenario/index.js';

function small(extra: Record<string, unknown> = {}): Scenario {
  return scenarioFromObject({
    name: 'small',
    description: 'test',
    duration: '50ms',
    warmup: '5ms',
    cpus: 4,
    io: { read: { law: 'constant', value: '100us' } },
    vmas: [
      { name: 'code', kind: 'file', exec: true, count: 3, pages: [8, 16, 32] },
      { name: 'heap', kind: 'anon', pages: 64, resident: 0.5 },
    ],
    threads: [
      {
        name: 'ui', class: 'USER_INTERACTIVE', think: { law: 'constant', value: '1ms' },
        ops: [
          { op: 'fault', vma: 'code', states: { cached: 0.5, absent: 0.3, locked: 0.2 } },
          { op: 'fault', vma: 'heap', access: 'write', states: { swapped: 0.5, swapcache: 0.5 } },
        ],
      },
      {
        name: 'gc', class: 'UTILITY', start: '2ms', think: { law: 'constant', value: '10ms' },
        ops: [{ op: 'mprotect', vma: 'heap', pages: 48, repeat: 3, gap: '100us' }],
      },
      { name: 'forker', class: 'BACKGROUND', think: { law: 'constant', value: '20ms' }, ops: [{ op: 'fork' }, { op: 'munmap', vma: 'heap' }] },
    ],
    ...extra,
  }, 'small.yaml');
}

describe('translate', () => {
  it('maps every VMA of every group to a region, file groups to one file at consecutive offsets', () => {
    const t = translate(small(), { seed: 1, hostCpus: 8 });
    expect(t.regions.map((r) => [r.group, r.kind, r.pages, r.offset])).toEqual([
      ['code', 'file', 8, 0], ['code', 'file', 16, 8 * PAGE_SIZE], ['code', 'file', 32, 24 * PAGE_SIZE], ['heap', 'anon', 64, 0],
    ]);
    expect(t.files).toEqual([{ name: 'code.dat', bytes: 56 * PAGE_SIZE }]);
    expect(t.regions[0]!.prot).toBe(PROT_READ | PROT_EXEC);
    expect(t.regions[3]!.prot).toBe(PROT_READ | PROT_WRITE);
    expect(t.regions[0]!.random).toBe(true);
    expect(t.needs).toEqual({ fuse: true, swap: true });
  });

  it('gives each thread its class nice value and a schedule that fits the duration', () => {
    const sc = small();
    const t = translate(sc, { seed: 1, hostCpus: 8 });
    expect(t.threads.map((th) => th.nice)).toEqual([CLASS_NICE.USER_INTERACTIVE, CLASS_NICE.UTILITY, CLASS_NICE.BACKGROUND]);
    for (const th of t.threads) {
      const total = th.start + th.ops.reduce((s, o) => s + o.delay, 0);
      expect(total).toBeLessThan(sc.duration);
    }
    // ui: one op per 1 ms think over 50 ms -> 49 ops.
    expect(t.threads[0]!.ops).toHaveLength(49);
    // gc: bursts of 3 mprotects, the 2nd and 3rd after a 100 us gap.
    const gc = t.threads[1]!.ops;
    expect(gc.slice(0, 3).map((o) => [o.op, o.delay])).toEqual([['mprotect', 10_000_000], ['mprotect', 100_000], ['mprotect', 100_000]]);
    for (const o of gc) {
      expect(o.pages).toBe(48);
      expect(o.page + o.pages).toBeLessThanOrEqual(64);
    }
  });

  it('replaces page states it cannot produce, counts the replacements and gives the model the same states', () => {
    const t = translate(small(), { seed: 3, hostCpus: 8 });
    const states = scheduleSummary(t).states;
    expect(Object.keys(states).sort()).toEqual(['absent', 'cached', 'swapped']);
    expect(t.substitutions['locked -> cached']).toBeGreaterThan(0);
    expect(t.substitutions['swapcache -> swapped']).toBeGreaterThan(0);
    const modelStates = t.modelScenario.threads.flatMap((th) => th.ops.flatMap((o) => (o.op === 'fault' ? o.states.map(([s]) => s) : [])));
    expect(new Set(modelStates)).toEqual(new Set(['cached', 'absent', 'swapped']));
    // Weights are merged: cached 0.5 + locked 0.2.
    const f = t.modelScenario.threads[0]!.ops[0]!;
    expect(f.op === 'fault' && f.states).toEqual([['cached', 0.7], ['absent', 0.3]]);
    for (const to of Object.values(STATE_MAP)) expect(STATE_CODE[to]).toBeGreaterThan(0);
  });

  it('sizes the swap pool by the scheduled swapped faults, without overfilling the region', () => {
    const t = translate(small(), { seed: 1, hostCpus: 8 });
    const heap = t.regions[3]!;
    const swappedFaults = t.threads.flatMap((th) => th.ops).filter((o) => o.op === 'fault' && o.state === 'swapped').length;
    expect(heap.swapPool).toBe(Math.min(swappedFaults, heap.pages));
    expect(heap.swapPool + heap.resident).toBeLessThanOrEqual(heap.pages);
  });

  it('is deterministic in the seed', () => {
    const a = translate(small(), { seed: 7, hostCpus: 8 });
    const b = translate(small(), { seed: 7, hostCpus: 8 });
    const c = translate(small(), { seed: 8, hostCpus: 8 });
    expect(renderLoadgenConfig(a, { mount: '/m', cgroup: null })).toBe(renderLoadgenConfig(b, { mount: '/m', cgroup: null }));
    expect(renderLoadgenConfig(a, { mount: '/m', cgroup: null })).not.toBe(renderLoadgenConfig(c, { mount: '/m', cgroup: null }));
    expect(a.readDelays).toEqual(b.readDelays);
  });

  it('clamps the CPUs to the host, in the model scenario too, and says so', () => {
    const t = translate(small(), { seed: 1, hostCpus: 2 });
    expect(t.cpus).toBe(2);
    expect(t.modelScenario.cpus).toBe(2);
    expect(t.notes.some((n) => n.includes('4 CPUs') && n.includes('2'))).toBe(true);
  });

  it('renders the generator config line by line', () => {
    const t = translate(small(), { seed: 1, hostCpus: 8 });
    const text = renderLoadgenConfig(t, { mount: '/mnt/x', cgroup: '/sys/fs/cgroup/y' });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('faultline-loadgen 1');
    expect(lines).toContain('duration 50000000');
    expect(lines).toContain('cgroup /sys/fs/cgroup/y');
    expect(lines).toContain(`region 1 file 16 5 0 0 1 0 0 ${8 * PAGE_SIZE} /mnt/x/code.dat`);
    expect(lines.filter((l) => l.startsWith('region '))).toHaveLength(4);
    expect(lines.filter((l) => l.startsWith('thread '))).toHaveLength(3);
    const nOps = t.threads.reduce((s, th) => s + th.ops.length, 0);
    expect(lines.filter((l) => l.startsWith('op '))).toHaveLength(nOps);
    const firstOp = lines.find((l) => l.startsWith('op '))!.split(' ').map(Number);
    expect(firstOp).toHaveLength(8);
    expect([OP_CODE.fault]).toContain(firstOp[2]);
    expect(lines.at(-1)).toBe('end');
  });

  it('renders the FUSE config with the read-law delays', () => {
    const t = translate(small(), { seed: 1, hostCpus: 8, readDelays: 4 });
    expect(renderFuseConfig(t)).toBe('file code.dat 229376\ndelays 4\n100000\n100000\n100000\n100000\n');
  });

  it('translates the built-in scenarios', () => {
    for (const name of ['tiny', 'android-app', 'calib-file-mprotect', 'calib-fork-file', 'calib-gc-swapin', 'calib-fork-many', 'calib-pft']) {
      const sc = loadScenario(name);
      const t = translate(sc, { seed: sc.seed, hostCpus: 2, maxOpsPerThread: 2000 });
      expect(t.regions.length).toBe(sc.vmas.reduce((s, g) => s + g.count, 0));
      expect(t.threads.length).toBe(sc.threads.length);
      for (const th of t.threads) {
        for (const o of th.ops) {
          if (o.region >= 0) expect(o.page + o.pages).toBeLessThanOrEqual(t.regions[o.region]!.pages);
        }
      }
    }
  });
});
