/** `faultline real --io zram|loop`: the pure parts (device law, content, config); the host part runs only as root. */
import { describe, expect, it } from 'vitest';
import { parseBenchOutput } from '../src/calibrate/bench-output.js';
import { empiricalLaw, fileContent, ioPathSynchronous, isIoPath, renderLoadgenConfig, translate, withDeviceReadLaw } from '../src/real/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { Rng } from '../src/sim/rng.js';

const sc = scenarioFromObject({
  name: 'f', description: 'test', duration: '50ms', cpus: 2,
  vmas: [{ name: 'lib', kind: 'file', pages: 64 }],
  threads: [{ name: 'a', think: '1ms', ops: [{ op: 'fault', vma: 'lib', states: { absent: 1 } }] }],
}, 'f.yaml');

describe('device read law', () => {
  it('is the empirical law of the samples at fixed percentiles (nearest rank), ending at the maximum', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 + i); // 1000..1999 ns
    const law = empiricalLaw(samples);
    expect(law.law).toBe('empirical');
    const pts = (law as { points: Array<[number, number]> }).points;
    expect(pts[0]).toEqual([0, 1000]);
    expect(pts.find((p) => p[0] === 50)).toEqual([50, 1499]);
    expect(pts.find((p) => p[0] === 99)).toEqual([99, 1989]);
    expect(pts[pts.length - 1]).toEqual([100, 1999]);
    for (let i = 1; i < pts.length; i++) expect(pts[i]![1]).toBeGreaterThanOrEqual(pts[i - 1]![1]);
  });

  it('can be sampled by the simulator and stays within the measured range', () => {
    const law = empiricalLaw([5000, 6000, 7000, 9000]);
    const rng = Rng.stream(1, 0);
    for (let i = 0; i < 200; i++) {
      const v = rng.draw(law);
      expect(v).toBeGreaterThanOrEqual(5000);
      expect(v).toBeLessThanOrEqual(9000);
    }
  });

  it('replaces io.read in a copy of the model scenario only', () => {
    const law = empiricalLaw([2000, 3000]);
    const m = withDeviceReadLaw(sc, law, 'loop');
    expect(m.io.read).toEqual(law);
    expect(sc.io.read).not.toEqual(law);
    expect(m.io.read_synchronous).toBe(false);
  });

  it('marks zram reads synchronous (BLK_FEAT_SYNCHRONOUS), loop and FUSE not', () => {
    const law = empiricalLaw([2000, 3000]);
    expect(withDeviceReadLaw(sc, law, 'zram').io.read_synchronous).toBe(true);
    expect(sc.io.read_synchronous).toBe(false);
    expect(ioPathSynchronous('zram')).toBe(true);
    expect(ioPathSynchronous('loop')).toBe(false);
    expect(ioPathSynchronous('fuse')).toBe(false);
  });

  it('rejects no samples, and knows the three paths', () => {
    expect(() => empiricalLaw([])).toThrow(/no samples/);
    expect(['fuse', 'zram', 'loop'].every(isIoPath)).toBe(true);
    expect(isIoPath('nbd')).toBe(false);
  });
});

describe('device content', () => {
  it('is deterministic, never a same-filled page, about half zero bytes, and the same split or whole', () => {
    const a = Buffer.alloc(8192);
    fileContent(0, 0, a);
    const b = Buffer.alloc(4096);
    fileContent(0, 4096, b);
    expect(a.subarray(4096).equals(b)).toBe(true);
    const c = Buffer.alloc(4096);
    fileContent(1, 0, c);
    expect(c.equals(a.subarray(0, 4096))).toBe(false);
    const zeros = [...a].filter((x) => x === 0).length;
    expect(zeros).toBeGreaterThan(4096);
    expect(zeros).toBeLessThan(4096 + 200);
    expect(() => fileContent(0, 3, Buffer.alloc(8))).toThrow(/aligned/);
  });
});

describe('loadgen config with block devices', () => {
  it('maps each file region from its device instead of the FUSE mount', () => {
    const tr = translate(sc, { seed: 1, hostCpus: 2 });
    const cfg = renderLoadgenConfig(tr, { mount: '/mnt', cgroup: null, filePaths: new Map([['lib.dat', '/dev/zram7']]) });
    expect(cfg).toMatch(/^region 0 file 64 .* \/dev\/zram7$/m);
    expect(renderLoadgenConfig(tr, { mount: '/mnt', cgroup: null })).toMatch(/^region 0 file 64 .* \/mnt\/lib\.dat$/m);
  });
});

describe('faultline-calibrate output', () => {
  it('parses samples per parameter and notes', () => {
    const out = parseBenchOutput('bench mprotect\ns 1 2400\ns 1 2500\ns 64 7400\n# major 3 of 4\nend mprotect\n');
    expect(out.bench).toBe('mprotect');
    expect([...out.samples.entries()]).toEqual([[1, [2400, 2500]], [64, [7400]]]);
    expect(out.notes).toEqual(['major 3 of 4']);
  });

  it.each([
    ['s 1 2\nend x\n', /before the "bench"/],
    ['bench x\ns 1\nend x\n', /bad sample/],
    ['bench x\ns 1 -3\nend x\n', /bad sample/],
    ['bench x\ns 1 2\n', /incomplete/],
    ['bench x\nend y\n', /another bench/],
    ['bench x\nhello\nend x\n', /unexpected/],
  ])('rejects malformed output %j', (text, msg) => {
    expect(() => parseBenchOutput(text)).toThrow(msg);
  });
});
