/**
 * Scenario -> load-generator configuration (`faultline real`).
 *
 * Pure: no I/O, no host probing, so it is unit-tested and `--dry-run` prints
 * it on any machine. Every VMA of every group becomes one region mapped at
 * its own address (file regions from one file per group on the FUSE mount,
 * at consecutive offsets); every scenario thread becomes one pthread with a
 * precomputed schedule of operations, drawn with the simulator's own laws
 * and generator (src/sim/rng.ts) from a stream of the run's seed that the
 * simulator does not use. Page states the host cannot produce are replaced by
 * the nearest one it can, and each replacement is counted (`substitutions`);
 * the model's prediction is computed on the same replaced scenario
 * (`modelScenario`), so model and reality run the same workload.
 */
import { Rng } from '../sim/rng.js';
import type { Law, OpSpec, PageState, PriorityClass, Scenario, ThreadSpec, VmaGroup } from '../scenario/types.js';
import { memoryPlan, type MemoryPlan } from './memcg.js';

export const PAGE_SIZE = 4096;

/** Op codes of the config (native/loadgen.h `OP_*`). */
export const OP_CODE = { fault: 0, mprotect: 1, madvise_dontneed: 2, munmap: 3, mmap: 4, fork: 5, madvise: 7, mremap: 8 } as const;
/** native/loadgen.h OP_MPROTECT_PROT: an mprotect to a given protection (the scenario's `prot`), recorded as `mprotect`. */
export const OP_MPROTECT_PROT = 6;
export type RealOpName = keyof typeof OP_CODE;
export const OP_BY_CODE: readonly RealOpName[] = ['fault', 'mprotect', 'madvise_dontneed', 'munmap', 'mmap', 'fork', 'mprotect', 'madvise', 'mremap'];

/** The advice values of madvise ops (include/uapi/asm-generic/mman-common.h MADV_*). */
export const MADV_CODE = { normal: 0, random: 1, sequential: 2 } as const;
/** MREMAP_MAYMOVE and MREMAP_DONTUNMAP (include/uapi/linux/mman.h). */
export const MREMAP_FLAG = { maymove: 1, dontunmap: 4 } as const;

/** Page states the host can produce (native/loadgen.c `ST_*`). */
export const STATE_CODE = { none: 0, cached: 1, absent: 2, zero: 3, swapped: 4, memcg: 5 } as const;
export type RealState = keyof typeof STATE_CODE;
export const STATE_BY_CODE: readonly RealState[] = ['none', 'cached', 'absent', 'zero', 'swapped', 'memcg'];

/**
 * Which real state stands in for each scenario page state. `cached`, `absent`,
 * `zero` and `swapped` are produced as such; the others need a folio locked or
 * under writeback by someone else at the moment of the fault, or a page left
 * in the swap cache, which the generator cannot arrange (docs/calibration.md).
 */
export const STATE_MAP: Record<PageState, RealState> = {
  cached: 'cached',
  absent: 'absent',
  locked: 'cached',
  writeback: 'cached',
  writeback_unlocked: 'cached',
  zero: 'zero',
  swapped: 'swapped',
  swapcache: 'swapped',
  swapcache_locked: 'swapped',
  swapcache_writeback: 'swapped',
};

/** Android nice values per class (moved to scenario/types.ts, where the simulator's per-CPU run queues read them too). */
import { CLASS_NICE } from '../scenario/types.js';
export { CLASS_NICE };

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
/** A scenario's mprotect `prot` as PROT_* bits. */
const PROT_BITS = { none: 0, r: PROT_READ, rw: PROT_READ | PROT_WRITE, rx: PROT_READ | PROT_EXEC, rwx: PROT_READ | PROT_WRITE | PROT_EXEC } as const;

export interface RegionPlan {
  id: number;
  group: string;
  /** Index of the VMA within its group. */
  index: number;
  kind: 'file' | 'anon';
  pages: number;
  prot: number;
  shared: boolean;
  dontfork: boolean;
  /** MADV_RANDOM: a page-cache miss reads one page (no read-around). */
  random: boolean;
  /** Anonymous pages populated at setup (besides the swap pool). */
  resident: number;
  /** Anonymous pages written then pushed to swap at setup. */
  swapPool: number;
  /** File regions: file name on the mount, byte offset in it. */
  file: string | null;
  offset: number;
}

export interface OpPlan {
  /** Sleep before the op (think time, or the gap of a repetition), ns. */
  delay: number;
  op: RealOpName;
  region: number;
  page: number;
  pages: number;
  state: RealState;
  write: boolean;
  /**
   * The op's argument, written in the config's `state` field: mprotect with
   * a prot, its PROT_* bits (absent: the generator's PROT_EXEC flip pairs);
   * madvise, the MADV_* advice; mremap, the new length in pages.
   */
  arg?: number;
  /** Written in the config's `write` field instead of `write`: mprotect / madvise, 1 to restore; mremap, the MREMAP_* flags. */
  flags?: number;
}

export interface ThreadPlan {
  id: number;
  name: string;
  class: PriorityClass;
  nice: number;
  start: number;
  ops: OpPlan[];
  /** True when the schedule was cut at `maxOpsPerThread` before the run's end. */
  truncated: boolean;
}

export interface FilePlan {
  name: string;
  bytes: number;
}

export interface Translation {
  scenario: string;
  seed: number;
  duration: number;
  warmup: number;
  /** CPUs the generator is pinned to (and the model is given). */
  cpus: number;
  regions: RegionPlan[];
  threads: ThreadPlan[];
  files: FilePlan[];
  /** Read delays the FUSE daemon serves in turn, ns (drawn from `io.read`). */
  readDelays: number[];
  /** "scenario state -> real state" -> number of scheduled faults. */
  substitutions: Record<string, number>;
  /** Notes on what the real run does differently from the scenario. */
  notes: string[];
  needs: { fuse: boolean; swap: boolean };
  /**
   * The scenario's `memory:` block as the run's memory cgroup applies it
   * (src/real/memcg.ts), or null without one. With it, every fault is of
   * state `memcg`: no preparation beyond zapping a file page's PTE, so the
   * cgroup's reclaim, not a drawn state, decides whether it is resident.
   */
  memory: MemoryPlan | null;
  /** The scenario the model runs for the comparison: same states, cpus and specials as the real run. */
  modelScenario: Scenario;
}

export interface TranslateOptions {
  seed: number;
  /** CPUs of the host available to the run. */
  hostCpus: number;
  /** Cap on scheduled ops per thread (default 200,000). */
  maxOpsPerThread?: number;
  /** Number of FUSE read delays to draw (default 65,536; served cyclically). */
  readDelays?: number;
}

/** Generator streams used here: far from the simulator's per-task streams 0..threads-1. */
const SCHEDULE_STREAM = 1 << 12;
const READ_DELAY_STREAM = (1 << 12) - 1;

function fileName(group: string): string {
  return `${group.replace(/[^A-Za-z0-9_.-]/g, '_')}.dat`;
}

function protOf(g: VmaGroup): number {
  return PROT_READ | (g.write ? PROT_WRITE : 0) | (g.exec ? PROT_EXEC : 0);
}

/** Deep copy of the scenario with real states, the host's CPUs and no special mappings. */
function modelScenarioOf(sc: Scenario, cpus: number): Scenario {
  const copy = structuredClone(sc);
  copy.cpus = cpus;
  for (const g of copy.vmas) {
    g.special = [];
    g.map_pages = true;
  }
  for (const th of copy.threads) {
    for (const op of th.ops) {
      if (op.op !== 'fault') continue;
      const merged = new Map<PageState, number>();
      for (const [st, w] of op.states) {
        const r = STATE_MAP[st] as PageState;
        merged.set(r, (merged.get(r) ?? 0) + w);
      }
      op.states = [...merged.entries()];
    }
  }
  return copy;
}

export function translate(sc: Scenario, opts: TranslateOptions): Translation {
  const maxOps = opts.maxOpsPerThread ?? 200_000;
  const cpus = Math.max(1, Math.min(sc.cpus ?? opts.hostCpus, opts.hostCpus));
  const notes: string[] = [];
  if (sc.cpus !== null && sc.cpus > opts.hostCpus) {
    notes.push(`the scenario has ${sc.cpus} CPUs, this host ${opts.hostCpus}: both the real run and the model use ${cpus}`);
  }

  // Regions.
  const regions: RegionPlan[] = [];
  const files: FilePlan[] = [];
  const groupRegions = new Map<string, RegionPlan[]>();
  for (const g of sc.vmas) {
    const list: RegionPlan[] = [];
    let offset = 0;
    const file = g.kind === 'file' ? fileName(g.name) : null;
    for (let i = 0; i < g.count; i++) {
      const pages = g.pages[i]!;
      const r: RegionPlan = {
        id: regions.length, group: g.name, index: i, kind: g.kind, pages, prot: protOf(g), shared: g.shared,
        dontfork: g.dontcopy, random: g.kind === 'file', resident: 0, swapPool: 0, file, offset,
      };
      if (g.kind === 'anon') r.resident = Math.round(g.resident * pages);
      offset += pages * PAGE_SIZE;
      regions.push(r);
      list.push(r);
    }
    if (file !== null) files.push({ name: file, bytes: Math.max(offset, PAGE_SIZE) });
    groupRegions.set(g.name, list);
    if (g.special.length > 0) {
      notes.push(`VMA group ${g.name}: special mapping (${g.special.join(', ')}) is mapped as a plain ${g.kind} mapping, in the model too`);
    }
    if (g.kind === 'file' && g.shared && g.write) {
      notes.push(`VMA group ${g.name}: shared writable file mapping on the FUSE mount (writes are discarded by the daemon)`);
    }
  }

  // Schedules.
  const substitutions: Record<string, number> = {};
  const threads: ThreadPlan[] = [];
  const memory = sc.memory === undefined ? null : memoryPlan(sc.memory);
  if (memory !== null) notes.push(...memory.notes);
  sc.threads.forEach((th, k) => {
    threads.push(schedule(sc, th, k, opts.seed, groupRegions, maxOps, substitutions, memory !== null));
  });
  for (const t of threads) {
    if (t.truncated) notes.push(`thread ${t.name}: schedule cut at ${maxOps} ops before the end of the run`);
  }
  if (threads.some((t) => t.ops.some((o) => o.op === 'mremap' && o.arg === o.pages + 1))) {
    notes.push('mremap by one page more: the model grows it in place (its VMAs are one free page apart); on the host the page between regions is the generator\'s PROT_NONE reservation, so the growth moves the pages');
  }
  for (const [k, n] of Object.entries(substitutions)) {
    notes.push(`page state ${k}: ${n} scheduled fault${n === 1 ? '' : 's'} (state not producible for real; the model gets the same replacement)`);
  }

  // Swap pools: as many pages as scheduled swapped faults, per region.
  const demand = new Map<number, number>();
  let anyFileFault = false;
  for (const t of threads) {
    for (const o of t.ops) {
      if (o.op !== 'fault') continue;
      if (o.state === 'swapped') demand.set(o.region, (demand.get(o.region) ?? 0) + 1);
      if (regions[o.region]!.kind === 'file') anyFileFault = true;
    }
  }
  for (const [id, n] of demand) {
    const r = regions[id]!;
    r.swapPool = Math.min(n, r.pages);
    r.resident = Math.min(r.resident, r.pages - r.swapPool);
  }

  const rng = Rng.stream(opts.seed, READ_DELAY_STREAM);
  const nDelays = opts.readDelays ?? 65_536;
  const readDelays: number[] = [];
  for (let i = 0; i < nDelays; i++) readDelays.push(rng.draw(sc.io.read));

  return {
    scenario: sc.name,
    seed: opts.seed,
    duration: sc.duration,
    warmup: sc.warmup,
    cpus,
    regions,
    threads,
    files,
    readDelays,
    substitutions,
    notes,
    needs: { fuse: files.length > 0 && (anyFileFault || regions.some((r) => r.kind === 'file')), swap: demand.size > 0 },
    memory,
    modelScenario: modelScenarioOf(sc, cpus),
  };
}

function schedule(
  sc: Scenario, th: ThreadSpec, k: number, seed: number, groups: Map<string, RegionPlan[]>, maxOps: number,
  substitutions: Record<string, number>, memcg: boolean,
): ThreadPlan {
  const cursors = new Map<OpSpec, number>();
  const rng = Rng.stream(seed, SCHEDULE_STREAM + k);
  let acc = 0;
  const cum = th.ops.map((o) => (acc += o.weight));
  const ops: OpPlan[] = [];
  let t = th.start;
  let truncated = false;
  const draw = (law: Law) => rng.draw(law);
  outer: for (;;) {
    const think = draw(th.think);
    t += think;
    if (t >= sc.duration) break;
    const spec: OpSpec = th.ops.length === 1 ? th.ops[0]! : th.ops[rng.pick(cum)]!;
    for (let rep = 0; rep < spec.repeat; rep++) {
      let delay = rep === 0 ? think : 0;
      if (rep > 0 && spec.gap !== null) {
        delay = draw(spec.gap);
        t += delay;
        if (t >= sc.duration) break outer;
      }
      if (ops.length >= maxOps) {
        truncated = true;
        break outer;
      }
      ops.push(plan(spec, delay, rng, groups, substitutions, memcg, cursors));
    }
  }
  return { id: k, name: th.name, class: th.class, nice: CLASS_NICE[th.class], start: th.start, ops, truncated };
}

/**
 * One op of a thread's schedule. A fault with `order: sequential` takes the
 * next page in address order over its group's VMAs, wrapping around (as the
 * simulator's UserFault does); with `memcg` (the scenario has `memory:`) its
 * state is `memcg` instead of a drawn one.
 */
function plan(
  spec: OpSpec, delay: number, rng: Rng, groups: Map<string, RegionPlan[]>, substitutions: Record<string, number>,
  memcg: boolean, cursors: Map<OpSpec, number>,
): OpPlan {
  const pickRegion = (group: string): RegionPlan => {
    const list = groups.get(group)!;
    return list.length === 1 ? list[0]! : list[rng.below(list.length)]!;
  };
  switch (spec.op) {
    case 'fault': {
      let r: RegionPlan, page: number;
      if (spec.order === 'sequential') {
        const list = groups.get(spec.vma)!;
        const total = list.reduce((n, x) => n + x.pages, 0);
        let c = cursors.get(spec) ?? 0;
        cursors.set(spec, c + 1 === total ? 0 : c + 1);
        let i = 0;
        while (c >= list[i]!.pages) c -= list[i++]!.pages;
        r = list[i]!;
        page = c;
      } else {
        r = pickRegion(spec.vma);
        page = rng.below(r.pages);
      }
      if (memcg) return { delay, op: 'fault', region: r.id, page, pages: 1, state: 'memcg', write: spec.access !== 'read' };
      let acc = 0;
      const cum = spec.states.map(([, w]) => (acc += w));
      const st = spec.states[spec.states.length === 1 ? 0 : rng.pick(cum)]![0];
      const real = STATE_MAP[st];
      if (real !== st) {
        const key = `${st} -> ${real}`;
        substitutions[key] = (substitutions[key] ?? 0) + 1;
      }
      return { delay, op: 'fault', region: r.id, page, pages: 1, state: real, write: spec.access !== 'read' };
    }
    case 'mprotect':
    case 'madvise_dontneed': {
      const r = pickRegion(spec.vma);
      const n = Math.min(spec.pages, r.pages);
      const page = rng.below(r.pages - n + 1);
      const p: OpPlan = { delay, op: spec.op, region: r.id, page, pages: n, state: 'none', write: false };
      if (spec.op === 'mprotect' && spec.prot != null) {
        p.arg = PROT_BITS[spec.prot];
        p.flags = spec.restore === true ? 1 : 0;
      }
      return p;
    }
    case 'madvise': {
      const r = pickRegion(spec.vma);
      const n = Math.min(spec.pages, r.pages);
      const page = rng.below(r.pages - n + 1);
      return { delay, op: 'madvise', region: r.id, page, pages: n, state: 'none', write: false, arg: MADV_CODE[spec.advice], flags: spec.restore ? 1 : 0 };
    }
    case 'mremap': {
      const r = pickRegion(spec.vma);
      const n = Math.min(spec.pages ?? r.pages, r.pages);
      const flags = (spec.maymove ? MREMAP_FLAG.maymove : 0) | (spec.dontunmap ? MREMAP_FLAG.dontunmap : 0);
      return { delay, op: 'mremap', region: r.id, page: r.pages - n, pages: n, state: 'none', write: false, arg: spec.new_pages, flags };
    }
    case 'munmap': {
      if (spec.fixed === true) throw new Error("op 'munmap' with fixed: true (mmap MAP_FIXED) is not supported by faultline real yet");
      const r = pickRegion(spec.vma);
      return { delay, op: 'munmap', region: r.id, page: 0, pages: r.pages, state: 'none', write: false };
    }
    case 'fork':
      return { delay, op: 'fork', region: -1, page: 0, pages: 0, state: 'none', write: false };
    case 'proc_maps':
    case 'proc_smaps':
    case 'proc_smaps_rollup':
    case 'gup':
      // Issue 12's non-fault mmap_lock readers: the load generator (native/loadgen.c) has no such op yet.
      throw new Error(`op '${spec.op}' is not supported by faultline real yet`);
  }
}

/** Total bytes of the regions (for the memory cgroup limit). */
export function mappedBytes(t: Translation): number {
  return t.regions.reduce((s, r) => s + r.pages * PAGE_SIZE, 0);
}

/** Bytes of the swap pools (for the zram size). */
export function swapPoolBytes(t: Translation): number {
  return t.regions.reduce((s, r) => s + r.swapPool * PAGE_SIZE, 0);
}

/** The generator's config file (format: native/loadgen.c parse_config). */
/**
 * `paths.mount`: the FUSE mount holding the files; `paths.filePaths`: instead,
 * the path of each file by name (its block device, `--io zram|loop`).
 */
export function renderLoadgenConfig(t: Translation, paths: { mount: string; cgroup: string | null; filePaths?: ReadonlyMap<string, string> }): string {
  const out: string[] = [
    'faultline-loadgen 1',
    `# scenario ${t.scenario}, seed ${t.seed}`,
    `duration ${t.duration}`,
    `warmup ${t.warmup}`,
    `cpus ${t.cpus}`,
    `cgroup ${paths.cgroup ?? '-'}`,
    `regions ${t.regions.length}`,
    `threads ${t.threads.length}`,
  ];
  for (const r of t.regions) {
    const path = r.file === null ? '-' : paths.filePaths?.get(r.file) ?? `${paths.mount}/${r.file}`;
    out.push(`region ${r.id} ${r.kind} ${r.pages} ${r.prot} ${r.shared ? 1 : 0} ${r.dontfork ? 1 : 0} ${r.random ? 1 : 0} ${r.resident} ${r.swapPool} ${r.offset} ${path}`);
  }
  for (const th of t.threads) {
    out.push(`thread ${th.id} ${th.nice} ${th.start} ${th.ops.length} ${th.name.replace(/\s+/g, '_')}`);
    for (const o of th.ops) {
      const code = o.op === 'mprotect' && o.arg !== undefined ? OP_MPROTECT_PROT : OP_CODE[o.op];
      out.push(`op ${o.delay} ${code} ${o.region} ${o.page} ${o.pages} ${o.arg ?? STATE_CODE[o.state]} ${o.flags ?? (o.write ? 1 : 0)}`);
    }
  }
  out.push('end');
  return out.join('\n') + '\n';
}

/** The FUSE daemon's config file (format: native/faultfs.c load). */
export function renderFuseConfig(t: Translation): string {
  const out = t.files.map((f) => `file ${f.name} ${f.bytes}`);
  out.push(`delays ${t.readDelays.length}`, ...t.readDelays.map(String));
  return out.join('\n') + '\n';
}

/** Counts for `--dry-run` and the report: ops per kind, faults per state. */
export function scheduleSummary(t: Translation): { ops: Record<string, number>; states: Record<string, number> } {
  const ops: Record<string, number> = {};
  const states: Record<string, number> = {};
  for (const th of t.threads) {
    for (const o of th.ops) {
      ops[o.op] = (ops[o.op] ?? 0) + 1;
      if (o.op === 'fault') states[o.state] = (states[o.state] ?? 0) + 1;
    }
  }
  return { ops, states };
}
