/**
 * `faultline real` honours mprotect's `prot` and `restore`, and runs madvise
 * (advice) and mremap ops (issue 13): the translation writes them to the
 * load generator's config, and the native generator makes the calls. The
 * native part runs an anonymous-memory schedule (no root needed) and checks
 * what the calls did through the faults that follow them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnLoadgen } from './loadgen-spawn.js';
import {
  F_ERROR, F_SEGV, nativeDir, OP_MPROTECT_PROT, parseLoadgenResults, PROT_READ, PROT_WRITE, renderLoadgenConfig, translate, which,
  type OpPlan, type Translation,
} from '../src/real/index.js';
import { repoRoot, scenarioFromObject, type Scenario } from '../src/scenario/index.js';

function scenario(ops: unknown[]): Scenario {
  return scenarioFromObject({
    name: 'vma-ops', description: 'test', duration: '40ms', warmup: '0ms', cpus: 1,
    vmas: [{ name: 'heap', kind: 'anon', pages: 64 }, { name: 'lib', kind: 'file', pages: 32 }],
    threads: [{ name: 'gc', think: '1ms', ops }],
  }, 'vma-ops.yaml');
}

/** The config's op lines (fields after `op`: delay code region page pages state write). */
function opLines(t: Translation): number[][] {
  return renderLoadgenConfig(t, { mount: '/m', cgroup: null }).split('\n').filter((l) => l.startsWith('op ')).map((l) => l.split(' ').slice(1).map(Number));
}

describe('translate: mprotect prot/restore, madvise and mremap ops', () => {
  it('an mprotect with prot is OP_MPROTECT_PROT with its PROT_* bits and the restore flag; without prot, the PROT_EXEC flip pairs as before', () => {
    const t = translate(scenario([{ op: 'mprotect', vma: 'heap', pages: 8, prot: 'r', restore: true }]), { seed: 1, hostCpus: 1 });
    const lines = opLines(t);
    expect(lines.length).toBe(39);
    for (const [, code, region, page, pages, arg, flags] of lines) {
      expect([code, region, pages, arg, flags]).toEqual([OP_MPROTECT_PROT, 0, 8, PROT_READ, 1]);
      expect(page).toBeGreaterThanOrEqual(0);
      expect(page! + 8).toBeLessThanOrEqual(64);
    }
    const plain = opLines(translate(scenario([{ op: 'mprotect', vma: 'heap', pages: 8 }]), { seed: 1, hostCpus: 1 }));
    expect(plain.every(([, code, , , , arg, flags]) => code === 1 && arg === 0 && flags === 0)).toBe(true);
  });

  it('madvise is op 7 with the MADV_* advice and the restore flag', () => {
    const lines = opLines(translate(scenario([{ op: 'madvise', vma: 'lib', pages: 4, advice: 'sequential' }]), { seed: 1, hostCpus: 1 }));
    expect(lines.every(([, code, region, , pages, arg, flags]) => [code, region, pages, arg, flags].join() === '7,1,4,2,0')).toBe(true);
  });

  it('mremap is op 8 on the last pages of the region, with the new length and the MREMAP_* flags', () => {
    const t = translate(scenario([{ op: 'mremap', vma: 'heap', pages: 16, new_pages: 16, dontunmap: true }]), { seed: 1, hostCpus: 1 });
    expect(opLines(t).every(([, code, region, page, pages, arg, flags]) => [code, region, page, pages, arg, flags].join() === '8,0,48,16,16,5')).toBe(true);
    const grow = translate(scenario([{ op: 'mremap', vma: 'heap', new_pages: 65 }]), { seed: 1, hostCpus: 1 });
    expect(opLines(grow)[0]!.slice(1)).toEqual([8, 0, 0, 64, 65, 1]);
    expect(grow.notes.some((n) => n.startsWith('mremap by one page more'))).toBe(true);
  });
});

const onLinux = process.platform === 'linux';
const cc = which('cc') ?? which('gcc');
const loadgen = join(nativeDir(), 'faultline-loadgen');

beforeAll(() => {
  if (!onLinux || cc === null) return;
  execFileSync('make', ['-s', '-C', join(repoRoot(), 'native')], { stdio: 'pipe' });
}, 120_000);

/** Run the generator on `t` with gc's schedule replaced by `ops` (1 ms apart); the records of that thread. */
async function runOps(ops: Array<Partial<OpPlan> & Pick<OpPlan, 'op'>>) {
  const base = translate(scenario([{ op: 'fork' }]), { seed: 1, hostCpus: 1 });
  const t: Translation = {
    ...base,
    threads: [{ ...base.threads[0]!, ops: ops.map((o) => ({ delay: 1_000_000, region: 0, page: 0, pages: 1, state: 'none' as const, write: false, ...o })) }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'faultline-loadgen-vma-'));
  try {
    const cfg = join(dir, 'cfg'), out = join(dir, 'out');
    const filePaths = new Map(t.files.map((f) => [f.name, join(dir, f.name)]));
    for (const f of t.files) writeFileSync(filePaths.get(f.name)!, Buffer.alloc(f.bytes, 1)); // the file region's file (no FUSE)
    writeFileSync(cfg, renderLoadgenConfig(t, { mount: '/nonexistent', cgroup: null, filePaths }));
    const { code, stderr } = await spawnLoadgen(loadgen, cfg, out);
    expect(stderr).not.toMatch(/cannot|unknown|bad op|outside/);
    expect(code).toBe(0);
    // A fault may take another page in the same state (the generator's page pools): its page is not compared.
    return parseLoadgenResults(readFileSync(out, 'utf8')).records.map((r) => [r.op, r.op === 'fault' ? -1 : r.page, r.flags & (F_SEGV | F_ERROR)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('native load generator: prot, restore, advice, mremap', () => {
  const zero = { op: 'fault' as const, state: 'zero' as const };
  it.runIf(onLinux && cc !== null)('mprotect PROT_NONE with restore leaves the pages readable; without restore a read of them is a SIGSEGV', async () => {
    const recs = await runOps([
      { op: 'mprotect', page: 0, pages: 64, arg: 0, flags: 1 },
      { ...zero, page: 5 },
      { op: 'mprotect', page: 0, pages: 64, arg: 0, flags: 0 },
      { ...zero, page: 5 },
      { op: 'mprotect', page: 0, pages: 64, arg: PROT_READ | PROT_WRITE, flags: 0 },
      { ...zero, page: 5, write: true },
    ]);
    expect(recs).toEqual([
      ['mprotect', 0, 0], ['mprotect', 0, 0], ['fault', -1, 0],
      ['mprotect', 0, 0], ['fault', -1, F_SEGV],
      ['mprotect', 0, 0], ['fault', -1, 0],
    ]);
  }, 60_000);

  it.runIf(onLinux && cc !== null)('madvise with an advice, and its restore, succeed on anon and file regions', async () => {
    const recs = await runOps([
      { op: 'madvise', page: 4, pages: 8, arg: 1, flags: 1 },
      { op: 'madvise', region: 1, page: 0, pages: 32, arg: 2, flags: 0 },
    ]);
    expect(recs).toEqual([['madvise', 4, 0], ['madvise', 4, 0], ['madvise', 0, 0]]);
  }, 60_000);

  it.runIf(onLinux && cc !== null)('mremap shrink, growth that moves, and DONTUNMAP are each undone: the region is there for the next fault', async () => {
    const recs = await runOps([
      { ...zero, page: 60, write: true },
      { op: 'mremap', page: 32, pages: 32, arg: 16, flags: 1 },
      { ...zero, page: 60, write: true },
      { op: 'mremap', page: 0, pages: 64, arg: 200, flags: 1 },
      { ...zero, page: 10 },
      { op: 'mremap', page: 48, pages: 16, arg: 16, flags: 5 },
      { ...zero, page: 50, write: true },
      { op: 'mremap', page: 0, pages: 64, arg: 200, flags: 0 },
    ]);
    expect(recs).toEqual([
      ['fault', -1, 0], ['mremap', 32, 0], ['mremap', 32, 0], ['fault', -1, 0],
      ['mremap', 0, 0], ['mremap', 0, 0], ['fault', -1, 0],
      ['mremap', 48, 0], ['mremap', 48, 0], ['fault', -1, 0],
      ['mremap', 0, F_ERROR], // growth without MREMAP_MAYMOVE: the page after the region is the generator's reservation
    ]);
  }, 60_000);
});
