/**
 * From micro-benchmark samples to the model's costs (pure; unit-tested with
 * recorded outputs). Each cost is tied to the kernel path the model charges it
 * for (src/model) and to the bench that runs that path on the host:
 *
 * | cost | model charges it (src/model) | fitted from |
 * |---|---|---|
 * | handle_mm_fault | every fault attempt (fault.ts) | `anon-read`: a read fault on a never-touched anonymous page (exception entry, `lock_vma_under_rcu`, `handle_mm_fault` walk, `do_anonymous_page` mapping the zero page): the floor every fault pays |
 * | do_read_fault | the first attempt of a fault on a file VMA (fault.ts) | `minor-cached` − `anon-read`: `do_read_fault` → `do_fault_around` → `filemap_map_pages` on a page-cache hit |
 * | do_anonymous_page | an anonymous fault that allocates (memory.ts) | `anon-write` − `anon-read`: `alloc_anon_folio`, clearing, `set_pte` |
 * | anon_vma_prepare | the first write fault of a VMA (memory.ts) | `anon-first` − `anon-write`: `__anon_vma_prepare` |
 * | fault_retry | each retried attempt (fault.ts) | `major` − device read − 2 × handle_mm_fault − do_read_fault: the rest of a major fault beyond the device — the I/O submission before the lock drop, the completion and wake-up, the retry's walk (the model has no step of its own for the I/O path's CPU) |
 * | mprotect_fixup, change_pte | do_mprotect_pkey, once per call (mprotect.ts) | `mprotect-split` on a VMA of its own between PROT_NONE guards (no split, no merge): intercept and slope (without that bench: `mprotect` of P pages inside a VMA, less the split/merge defaults) |
 * | split_vma, merge_vma | __split_vma, commit_merge of vma_merge_existing_range (vma.ts) | `mprotect-split`: the pair in the middle of a VMA − the pair on a VMA of its own, call by call: the protect's two splits / 2, the unprotect's one merge |
 * | munmap_vma, zap_pte | do_vmi_align_munmap (vma.ts) | `munmap` of a VMA with P resident pages: intercept and slope |
 * | madvise_vma | madvise (madvise.ts) | `madvise` (MADV_DONTNEED) of P resident pages: intercept (its slope is a second zap_pte figure) |
 * | do_mmap | do_mmap (vma.ts) | `mmap` |
 * | dup_vma, copy_pte | dup_mmap (mmap.ts) | `fork-vmas` slope per VMA; `fork-anon` slope per present anonymous PTE |
 * | copy_process | the simulator's fork op, before dup_mmap (sim/workload.ts) | `fork-vmas` intercept |
 * | anon_vma_fork | dup_mmap, per VMA with an anon_vma (mmap.ts) | `fork-vmas-anon` slope − `fork-vmas-holes` slope (the same VMAs without anon_vma): anon_vma_fork and copy_page_range's per-VMA part |
 * | copy_pte_range | dup_mmap, per populated PTE table (mmap.ts) | `fork-tables` slope (one present page per table) − copy_pte |
 * | copy_pte | dup_mmap, per present PTE (mmap.ts) | `fork-anon` slope, less its share of copy_pte_range (1/512 per page) |
 * | wrprotect_pte | dup_mmap, per writable anonymous PTE (mmap.ts) | `fork-anon-dirty` slope − `fork-anon` slope |
 * | copy_file_pte | dup_mmap, per present PTE of a copied private file VMA, on top of copy_pte (mmap.ts) | `fork-file-private` slope, less its share of copy_pte_range, − copy_pte |
 * | flush_tlb_multi | mprotect, munmap, madvise, mremap, fork: per remote CPU running the mm (tlb.ts) | `tlb-remote`: X=1 median − X=0 median |
 * | exit_mmap_pte | the fork op's child exit, per PTE it copied (mmap.ts fork_child_exit_cpu, sim/workload.ts) | `exit-anon` slope: the child's exit with P present anonymous pages shared with the parent |
 * | exit_mmap_vma | the same, per VMA | `exit-vmas-holes` slope: VMAs with no anon_vma and no PTE |
 * | unlink_anon_vmas | the same, per VMA with an anon_vma | `exit-vmas` slope (one present page each) − `exit-vmas-holes` slope − exit_mmap_pte |
 * | do_exit | the same, once | `exit-vmas-holes` intercept − wakeup (the timed interval ends with the parent's wake-up) |
 * | wakeup | every wake-up in the simulator (sim/engine.ts): the delay until the woken task runs | `wakeup` |
 * | io.swap | a swapped-page fault's synchronous zram read (CPU_LAW swap) | `swapin` − handle_mm_fault, as an empirical law |
 * | folio_batch_move_lru | every PAGEVEC_SIZE-th new anonymous folio (swap.ts) | `anon-write`, in sample order: the faults at least twice the median recur every 31 faults (the lru_add batch); their median − the median (fitLruAddBatch) |
 * | fault_after_sleep | a fault begun right after its thread slept (sim/workload.ts) | `fault-after-sleep`: median of the faults after a sleep − median back to back; `by_sleep`: the same at each sleep S (at least 0; bySleep) |
 * | timer_wakeup | how late a think time or gap ends (sim/engine.ts Simulator.timerSleep) | `timer-sleep`: median lateness of an absolute clock_nanosleep, over every sleep length |
 * | flush_tlb_func | CPU a TLB shoot-down's IPI takes from the task on each target CPU (sim/engine.ts Simulator.tlbShootdown) | `tlb-target`: X=1 median − X=0 median of a spinning thread's largest gap while a thread of the process mprotects (native/calibrate-irq.c) |
 * | hrtimer_irq | CPU a think time's or gap's expiry takes from the task on the sleeper's CPU (sim/cpus.ts CpuSched.irq) | `hrtimer-irq`: X=1 median − X=0 median of a spinning thread's largest gap near the expiry (native/calibrate-irq.c) |
 * | tick_sched_timer | CPU the scheduler tick takes from the task on each busy CPU, every tick_nsec (sim/cpus.ts CpuSched.sched_tick) | `sched-tick`: X=HZ median − X=0 median of a spinning thread's largest gap at the 1/HZ boundaries and half a period off (native/calibrate-tick.c) |
 * | tick_nsec | the tick's period, TICK_NSEC (not CPU) | `sched-tick`: 1e9 / the HZ whose boundaries the gaps fall on (the X of its samples) |
 * | cached_fault_after_sleep | a page-cache hit fault begun right after its thread slept | `cached-after-sleep`: median after a sleep − median back to back (at least 0); `by_sleep` per S as fault_after_sleep |
 * | major_fault_after_sleep | a major fault begun right after its thread slept | `major-after-sleep`: median after a sleep − median back to back; `by_sleep` per S |
 * | swapin_fault_after_sleep | a swap-in begun right after its thread slept | `swapin-after-sleep`: median after a sleep − median back to back; `by_sleep` per S |
 * | filemap_map_pages | the first attempt of a page-cache miss with a cached neighbour in its fault-around window (fault_around.ts) | `fault-around` (a major fault with X of the 15 neighbours of its 16-page window cached and mapped): the intercept of the fit over X ≥ 1 − the median at X = 0 (fitFaultAround) |
 * | next_uptodate_folio | per cached neighbour, per walk: the first attempt of a miss, every retried file attempt (fault_around.ts) | `fault-around`: the slope over X ≥ 1 / 2 (the major fault walks the window twice) |
 * | change_pte_after_sleep | per page changed by an mprotect whose range was last walked long ago or before a sleep (mprotect.ts change_pte_refill; sim/mprotect-walk.ts) | `mprotect-after-sleep`: (median of the protects right after a sleep − median of the same protects back to back) / P; `by_sleep` per S (fitMprotectAfterSleep) |
 * | copy_pte_after_sleep | per present PTE a fork copies, by the time since the mm's last fork (mmap.ts copy_page_range_cpu; sim/workload.ts) | `fork-anon-after-sleep`: (median of the forks after a sleep and a 64 MiB cache-evicting walk − median of the same forks back to back) / P; `by_sleep` per S (fit-fork.ts fitForkAfterSleep) |
 * | lock_atomic | every atomic on a lock's cache line: mmap_lock's down/up, a VMA's vm_refcnt in vma_start_read / vma_end_read / vma_start_write (model/lock_line.ts, sim/lock-line.ts) | `cacheline` X=0: a `lock xadd` on a line the CPU owns, median / R (native/calibrate-line.c) |
 * | cacheline_transfer | the same atomic when another CPU wrote the line last, on top | `cacheline`: ping-pong of one line between CPU 0 and CPU 1 (half a round trip, X=1) − the same loop on private lines (X=2), medians / R (fitCacheline) |
 * | set_pte_range | per cached neighbour whose PTE is none, mapped by the walk of a miss's first attempt or of a retried file attempt (fault_around.ts) | `fault-around-unmapped` − `fault-around-cached`: the difference of their slopes over X ≥ 1 (fitSetPteRange) |
 *
 * Every value keeps its spread (p10/p50/p90 of the samples) and, for fits,
 * the points, slope, intercept and R² over the per-x medians (relative least
 * squares, see linearFit). Costs no bench
 * measures keep their default and say so. Figures the model has no cost for
 * (uncontended and contended lock costs,
 * context switch, the device read itself) are kept under `measurements`.
 */
import { COST_NAMES, type CostName } from '../model/cost.js';
import { DEFAULT_COSTS } from '../scenario/schema.js';
import type { BenchSamples } from './bench-output.js';
import type { CostProfile, CostValue, LinearFit, Measurement, SleepPoint, Spread } from './profile.js';
import { empiricalLaw } from '../real/blockdev.js';
import { PAGEVEC_SIZE } from '../model/swap.js';
import { fitMprotectAfterSleep, fitMprotectSplit, MPROTECT_AFTER_SLEEP_PAGES } from './fit-mprotect.js';
import { FORK_AFTER_SLEEP_PAGES, fitForkAfterSleep } from './fit-fork.js';
import { CACHELINE_BATCH, fitCacheline } from './fit-line.js';

// The mprotect benches' fits live in fit-mprotect.ts; importers of fit.ts keep finding them here.
export { fitMprotectAfterSleep, fitMprotectSplit, MPROTECT_AFTER_SLEEP_PAGES, MPROTECT_SPLIT_KIND, type MprotectSplitFit } from './fit-mprotect.js';
export { FORK_AFTER_SLEEP_KIND, FORK_AFTER_SLEEP_PAGES, fitForkAfterSleep, type ForkAfterSleepFit } from './fit-fork.js';
export { CACHELINE_BATCH, CACHELINE_KIND, fitCacheline, type CachelineFit } from './fit-line.js';

/** Nearest-rank percentile of sorted values. */
function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * A `*-after-sleep` bench's refill at each sleep it measured: the median
 * after a sleep of S µs − `back` (the median back to back), at least 0, in
 * sleep order (the simulator interpolates between them by the thread's sleep).
 */
export function bySleep(samples: ReadonlyMap<number, readonly number[]>, back: number): SleepPoint[] {
  return [...samples.entries()].filter(([x, v]) => x > 0 && v.length > 0).sort((p, q) => p[0] - q[0])
    .map(([x, v]) => ({ sleep_us: x, value: nonNeg(spreadOf(v).p50 - back), n: v.length }));
}

export function spreadOf(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new Error('spreadOf: no samples');
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p10: pct(s, 10), p50: pct(s, 50), p90: pct(s, 90) };
}

/**
 * Least squares y = a + b x over the per-x medians, each weighted by
 * 1 / median² (relative error): the x values span three or four decades, and
 * unweighted the largest ones would set the intercept alone (a 1 µs fixed cost
 * is invisible beside 1 ms of per-page work). R² is of the same weighted fit.
 */
export function linearFit(samples: ReadonlyMap<number, readonly number[]>): LinearFit {
  return fitPoints([...samples.entries()].filter(([, v]) => v.length > 0).sort((a, b) => a[0] - b[0])
    .map(([x, v]) => ({ x, median: spreadOf(v).p50, n: v.length })));
}

/** linearFit's least squares over given points (x, the value at x, samples behind it), sorted by x. */
export function fitPoints(points: LinearFit['points']): LinearFit {
  if (points.length < 2) throw new Error('linearFit: needs at least two parameter values');
  const w = points.map((p) => 1 / Math.max(p.median, 1) ** 2);
  const sw = w.reduce((a, b) => a + b, 0);
  const mx = points.reduce((a, p, i) => a + w[i]! * p.x, 0) / sw;
  const my = points.reduce((a, p, i) => a + w[i]! * p.median, 0) / sw;
  let sxx = 0, sxy = 0, syy = 0;
  points.forEach((p, i) => {
    sxx += w[i]! * (p.x - mx) ** 2;
    sxy += w[i]! * (p.x - mx) * (p.median - my);
    syy += w[i]! * (p.median - my) ** 2;
  });
  if (sxx === 0) throw new Error('linearFit: all parameter values are equal');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  points.forEach((p, i) => { sse += w[i]! * (p.median - (intercept + slope * p.x)) ** 2; });
  const r2 = syy === 0 ? 1 : 1 - sse / syy;
  return { intercept, slope, r2, points };
}

/** The recorded outputs a fit needs, by bench key (see SUITE in suite.ts). */
export type BenchSet = ReadonlyMap<string, BenchSamples>;

function all(b: BenchSamples): number[] {
  return [...b.samples.values()].flat();
}

function need(set: BenchSet, key: string): BenchSamples {
  const b = set.get(key);
  if (b === undefined || all(b).length === 0) throw new Error(`calibrate: no samples of bench ${key}`);
  return b;
}

function median(set: BenchSet, key: string): { v: number; spread: Spread } {
  const spread = spreadOf(all(need(set, key)));
  return { v: spread.p50, spread };
}

/** Rounded to the ns, at least 0. */
export const nonNeg = (x: number): number => Math.max(0, Math.round(x));

export interface FitInput {
  name: string;
  description: string;
  host: CostProfile['host'];
  benches: BenchSet;
}

/** A row of the fit table `faultline calibrate` prints. */
export interface FitRow {
  cost: string;
  value: number;
  source: string;
  from: string;
  spread: Spread | null;
  r2: number | null;
  previous: number | null;
}

/**
 * The `fault-around` bench (a major fault with X cached, mapped neighbours in
 * its fault-around window): the median alone (X = 0), and the fit over
 * X >= 1, whose intercept − the median alone is filemap_map_pages' set-up
 * (a first walk that finds a folio) and whose slope / 2 is one neighbour
 * passed by one walk (the major fault walks twice). null without X = 0 or
 * without two values of X >= 1.
 */
export function fitFaultAround(b: BenchSamples): { alone: number; fit: LinearFit; setup: number; perFolio: number; xs: number[] } | null {
  const zero = b.samples.get(0);
  const some = new Map([...b.samples.entries()].filter(([x, v]) => x >= 1 && v.length > 0));
  if (zero === undefined || zero.length === 0 || some.size < 2) return null;
  const alone = spreadOf(zero).p50;
  const fit = linearFit(some);
  return { alone, fit, setup: nonNeg(fit.intercept - alone), perFolio: nonNeg(fit.slope / 2), xs: [...some.keys()].sort((p, q) => p - q) };
}

/**
 * set_pte_range from the two page-cache-hit benches (one walk each, the
 * faulting page cached, X of its 15 neighbours cached): `fault-around-unmapped`
 * (their PTEs none: the walk maps each) and `fault-around-cached` (present:
 * the walk passes each). The slope per neighbour of the first − that of the
 * second, each over X >= 1 (at X = 0 the `fault-around-unmapped` window has
 * no present PTE at all and its samples spread 1.5-2.8 us p10-p90 on the idle
 * recording, against <= 0.2 us at X >= 5: not a neighbour's cost; the major
 * fit, fitFaultAround, leaves X = 0 out as well). null unless each has two
 * values of X >= 1.
 */
export function fitSetPteRange(unmapped: BenchSamples, mapped: BenchSamples): { value: number; unmapped: LinearFit; mapped: LinearFit } | null {
  const some = (b: BenchSamples) => new Map([...b.samples.entries()].filter(([x, v]) => x >= 1 && v.length > 0));
  const u = some(unmapped), m = some(mapped);
  if (u.size < 2 || m.size < 2) return null;
  const fu = linearFit(u), fm = linearFit(m);
  return { value: nonNeg(fu.slope - fm.slope), unmapped: fu, mapped: fm };
}

export function fitProfile(inp: FitInput): CostProfile {
  const b = inp.benches;
  const costs = {} as Record<CostName, CostValue>;
  for (const n of COST_NAMES) {
    costs[n] = { value: DEFAULT_COSTS[n], source: 'default', from: 'not measured by faultline calibrate: the built-in default (docs/scenario-format.md)' };
  }
  const anonRead = median(b, 'anon-read');
  const anonWrite = median(b, 'anon-write');
  const anonFirst = median(b, 'anon-first');
  const cached = median(b, 'minor-cached');
  const hmf = anonRead.v;
  costs.handle_mm_fault = { value: nonNeg(hmf), source: 'measured', from: 'anon-read: read fault on a never-touched anonymous page (fault entry, lock_vma_under_rcu, handle_mm_fault, zero-page map)', spread: anonRead.spread };
  costs.do_read_fault = { value: nonNeg(cached.v - hmf), source: 'derived', from: 'minor-cached − anon-read: do_read_fault → do_fault_around → filemap_map_pages on a page-cache hit', spread: cached.spread };
  costs.do_anonymous_page = { value: nonNeg(anonWrite.v - hmf), source: 'derived', from: 'anon-write − anon-read: do_anonymous_page allocating, clearing and mapping a page', spread: anonWrite.spread };
  costs.anon_vma_prepare = { value: nonNeg(anonFirst.v - anonWrite.v), source: 'derived', from: 'anon-first − anon-write: __anon_vma_prepare on the first write fault of a VMA', spread: anonFirst.spread };

  const measurements: Record<string, Measurement> = {};
  if (b.has('major') && b.has('pread-direct')) {
    const major = median(b, 'major');
    const dev = median(b, 'pread-direct');
    const floor = b.has('getppid') ? median(b, 'getppid').v : 0;
    const device = Math.max(0, dev.v - floor);
    costs.fault_retry = {
      value: nonNeg(major.v - device - 2 * hmf - costs.do_read_fault.value), source: 'derived',
      from: 'major − (pread-direct − getppid) − 2 × handle_mm_fault − do_read_fault: a major fault beyond the device (I/O submission before the lock drop, completion and wake-up, the retry) on a zram block device',
      spread: major.spread,
    };
    measurements.major_fault = { what: 'major fault on a zram block device, MADV_RANDOM (one page read, lock drop, retry), ns', spread: major.spread };
    measurements.device_read = { what: 'O_DIRECT 4 KiB pread of the same device (the syscall included), ns', spread: dev.spread };
  }

  const mp = linearFit(need(b, 'mprotect').samples);
  if (b.has('mprotect-split')) {
    // mprotect_fixup and change_pte from the VMA of its own (no split, no merge); split_vma and
    // merge_vma from the middle of a VMA minus it, call by call: the model charges mprotect_fixup
    // and change_pte once per call, split_vma per __split_vma, merge_vma per commit_merge (mprotect.ts, vma.ts).
    const ms = fitMprotectSplit(need(b, 'mprotect-split'));
    costs.mprotect_fixup = { value: nonNeg(ms.own.intercept), source: 'fit', from: 'mprotect-split: mprotect (PROT_READ and back) of P resident anonymous pages that are a VMA of their own between PROT_NONE guards (no split, no merge), the mean of the two calls\' medians: intercept (the syscall, mmap_write_lock, vma_modify finding nothing to merge or split, vma_start_write, the local TLB flush)', fit: ms.own };
    costs.change_pte = { value: nonNeg(ms.own.slope), source: 'fit', from: 'mprotect-split, the VMA of its own: slope per page (change_protection of present PTEs)', fit: ms.own };
    costs.split_vma = { value: nonNeg(ms.split.p50), source: 'derived', from: `mprotect-split: the protect of P pages in the middle of a VMA − the same on a VMA of their own, / 2 (vma_modify's two __split_vma: vm_area_dup, anon_vma_clone, vma_prepare .. vma_complete, the maple-tree store), per pair of calls, p50 over P = ${ms.ps.join(', ')}`, spread: ms.split };
    costs.merge_vma = { value: nonNeg(ms.merge.p50), source: 'derived', from: `mprotect-split: the unprotect of the middle − the same on a VMA of its own (vma_merge_existing_range merging the three pieces: one commit_merge, the middle and the tail detached, unlink_anon_vmas, freed), per pair of calls, p50 over P = ${ms.ps.join(', ')}`, spread: ms.merge };
    measurements.mprotect_inside_vma = { what: 'mprotect of P resident pages inside a VMA, the protect (two splits) and the unprotect (one merge) pooled, ns: intercept and slope (the model charges it as mprotect_fixup + P × change_pte + the split_vma / merge_vma of each call)', fit: mp };
  } else {
    // Without mprotect-split, the mprotect intercept holds the split and merge work too: take off
    // their mean per call, at the built-in split_vma / merge_vma the model then charges on top.
    const sm = (2 * DEFAULT_COSTS.split_vma + DEFAULT_COSTS.merge_vma) / 2;
    costs.mprotect_fixup = { value: nonNeg(mp.intercept - sm), source: 'fit', from: `mprotect of P resident anonymous pages inside a VMA, the protect (two splits) and the unprotect (one merge): intercept − (2 split_vma + merge_vma) / 2 at their defaults (${sm} ns; no mprotect-split bench recorded)`, fit: mp };
    costs.change_pte = { value: nonNeg(mp.slope), source: 'fit', from: 'mprotect: slope per page (change_protection of present PTEs, with the TLB flush)', fit: mp };
  }
  const mu = linearFit(need(b, 'munmap').samples);
  costs.munmap_vma = { value: nonNeg(mu.intercept), source: 'fit', from: 'munmap of a VMA with P resident anonymous pages: intercept', fit: mu };
  costs.zap_pte = { value: nonNeg(mu.slope), source: 'fit', from: 'munmap: slope per resident page (zap_pte_range, freeing the page)', fit: mu };
  const ma = linearFit(need(b, 'madvise').samples);
  costs.madvise_vma = { value: nonNeg(ma.intercept), source: 'fit', from: 'madvise(MADV_DONTNEED) of P resident pages: intercept (slope in measurements.madvise_zap_pte)', fit: ma };
  measurements.madvise_zap_pte = { what: 'madvise(MADV_DONTNEED) slope per resident page, ns (a second zap_pte figure; the model uses the munmap one)', fit: ma };
  const mm = median(b, 'mmap');
  costs.do_mmap = { value: nonNeg(mm.v), source: 'measured', from: 'mmap of a fresh 64-page anonymous VMA', spread: mm.spread };
  const fv = linearFit(need(b, 'fork-vmas').samples);
  costs.dup_vma = { value: nonNeg(fv.slope), source: 'fit', from: 'fork of a process with V anonymous VMAs, no resident page: slope per VMA (vm_area_dup, anon_vma_fork, vma_start_write)', fit: fv };
  costs.copy_process = { value: nonNeg(fv.intercept), source: 'fit', from: 'fork-vmas: intercept (fork with no extra VMA: copy_process and wake-up around dup_mmap, and the few VMAs every process has)', fit: fv };
  const fa = linearFit(need(b, 'fork-anon').samples);
  costs.copy_pte = { value: nonNeg(fa.slope), source: 'fit', from: 'fork with one VMA of P present anonymous pages: slope per PTE (copy_present_pte: write-protect, folio ref, rmap)', fit: fa };
  if (b.has('fork-tables')) {
    // fork-anon's slope holds 1/PTRS_PER_PTE of a table per page: a = copy_pte + r / 512, t = r + copy_pte.
    const ft = linearFit(need(b, 'fork-tables').samples);
    const pte = (fa.slope - ft.slope / 512) / (1 - 1 / 512);
    costs.copy_pte = { value: nonNeg(pte), source: 'fit', from: 'fork-anon slope per present PTE less its share of copy_pte_range (fork-tables slope / 512): copy_present_ptes (folio ref, rmap dup, set_ptes)', fit: fa };
    costs.copy_pte_range = { value: nonNeg(ft.slope - pte), source: 'fit', from: 'fork with one VMA spanning T PTE tables, one present page each: slope per table − copy_pte (copy_pte_range: the child table\'s allocation, both PTLs, the scan of pte_none entries)', fit: ft };
  }
  if (b.has('fork-file-private')) {
    const fp = linearFit(need(b, 'fork-file-private').samples);
    const table = costs.copy_pte_range.source === 'fit' ? costs.copy_pte_range.value / 512 : 0;
    costs.copy_file_pte = { value: nonNeg(fp.slope - table - costs.copy_pte.value), source: 'fit', from: 'fork with a MAP_PRIVATE file VMA of P read pages (and one written: an anon_vma): slope per page less its share of copy_pte_range, − copy_pte (a file folio\'s copy_present_ptes, folio_dup_file_rmap_ptes, beyond an anonymous one)', fit: fp };
  }
  if (b.has('fork-anon-dirty')) {
    const fd = linearFit(need(b, 'fork-anon-dirty').samples);
    costs.wrprotect_pte = { value: nonNeg(fd.slope - fa.slope), source: 'fit', from: 'fork-anon-dirty slope − fork-anon slope: a writable, PageAnonExclusive PTE (written again before each fork) write-protected in the parent (__copy_present_ptes wrprotect_ptes, folio_try_dup_anon_rmap_ptes)', fit: fd };
  }
  if (b.has('fork-vmas-anon') && b.has('fork-vmas-holes')) {
    const fx = linearFit(need(b, 'fork-vmas-anon').samples);
    const fh = linearFit(need(b, 'fork-vmas-holes').samples);
    costs.anon_vma_fork = { value: nonNeg(fx.slope - fh.slope), source: 'fit', from: `fork-vmas-anon slope − fork-vmas-holes slope (${Math.round(fh.slope)} ns, the same VMAs without anon_vma): a VMA with an anon_vma of its own and no present page (anon_vma_fork, copy_page_range's per-VMA walk)`, fit: fx };
  }
  if (b.has('tlb-remote')) {
    const tr = need(b, 'tlb-remote').samples;
    const alone = tr.get(0), spin = tr.get(1);
    if (alone !== undefined && spin !== undefined && alone.length > 0 && spin.length > 0) {
      const a = spreadOf(alone), s = spreadOf(spin);
      costs.flush_tlb_multi = { value: nonNeg(s.p50 - a.p50), source: 'derived', from: `tlb-remote: mprotect of one resident page with a thread of the process spinning on the other CPU (p50 ${s.p50} ns) − alone (p50 ${a.p50} ns): native_flush_tlb_multi's IPI to one remote CPU`, spread: s };
      measurements.mprotect_one_page_alone = { what: 'mprotect of one resident page, no other thread of the process running, ns', spread: a };
    }
  }
  if (b.has('fork-file')) {
    const ff = linearFit(need(b, 'fork-file').samples);
    measurements.fork_file_pte = { what: 'fork with a MAP_SHARED file VMA of P mapped pages: slope per page, ns (≈0: vma_needs_copy skips it, as the model does)', fit: ff };
  }

  if (b.has('anon-write')) {
    const lru = fitLruAddBatch(all(need(b, 'anon-write')));
    measurements.lru_add_batch = { what: `anon-write faults ≥ 2 × the median (${lru.slow} of ${lru.n}), ns; their period in faults (median gap) is ${lru.period} (PAGEVEC_SIZE = ${PAGEVEC_SIZE})`, spread: lru.spread };
    costs.folio_batch_move_lru = lru.value === null
      ? { value: DEFAULT_COSTS.folio_batch_move_lru, source: 'default', from: `anon-write: the slow faults do not recur every PAGEVEC_SIZE (${PAGEVEC_SIZE}) faults (median gap ${lru.period}): no lru_add batch drain fitted, the default` }
      : { value: lru.value, source: 'derived', from: `anon-write: the faults ≥ 2 × the median recur every ${lru.period} faults (PAGEVEC_SIZE); their median − the median: folio_add_lru -> folio_batch_move_lru, the lruvec lock and 31 folios put on the LRU`, spread: lru.spread };
  }
  if (b.has('fault-after-sleep')) {
    const fs = need(b, 'fault-after-sleep').samples;
    const back = fs.get(0) ?? [];
    const after = [...fs.entries()].filter(([x]) => x > 0).flatMap(([, v]) => v);
    if (back.length > 0 && after.length > 0) {
      const a = spreadOf(after), z = spreadOf(back);
      costs.fault_after_sleep = { value: nonNeg(a.p50 - z.p50), source: 'derived', from: `fault-after-sleep: write fault on a fresh page right after a sleep of ${[...fs.keys()].filter((x) => x > 0).join(', ')} µs (p50 ${a.p50} ns) − back to back (p50 ${z.p50} ns): the fault path's caches and TLB refilled after the CPU idled`, spread: a, by_sleep: bySleep(fs, z.p50) };
      measurements.fault_after_sleep_by_sleep = { what: 'fault-after-sleep: write fault on a fresh page by the sleep before it (µs; 0 = back to back), ns', by: [...fs.entries()].sort((p, q) => p[0] - q[0]).map(([x, v]) => ({ x, spread: spreadOf(v) })) };
    }
  }
  // A page-cache fault, a major fault and a swap-in after a sleep, prepared as the load generator does, by
  // the sleep (0: back to back): the cost of each kind as the anonymous one, the median after a
  // sleep − back to back (docs/calibration.md "The per-state fault p50s").
  const fileKinds = [
    ['cached-after-sleep', 'cached_fault_after_sleep', 'a page-cache hit',
      'filemap_map_pages (do_fault_around) after the CPU idled; back to back, the bench zaps the whole mapping before each touch (as minor-cached), so the fault is cold already and the difference can be below 0 (kept at 0)'],
    ['major-after-sleep', 'major_fault_after_sleep', 'a page-cache miss (major fault)',
      'the fault path, the page cache\'s xarray, the block layer\'s and zram\'s decompression lines and TLB entries refilled after the CPU idled'],
    ['swapin-after-sleep', 'swapin_fault_after_sleep', 'a swap-in (a read fault on an anonymous page pushed out to zram just before)',
      'the fault path, the swap layer\'s and zram\'s decompression lines and TLB entries refilled after the CPU idled'],
  ] as const;
  for (const [key, cost, kind, what] of fileKinds) {
    if (!b.has(key)) continue;
    const fs = need(b, key).samples;
    const where = key === 'swapin-after-sleep' ? 'on the zram swap device' : 'on the zram block device';
    const prep = key === 'swapin-after-sleep' ? 'the page pushed out (MADV_PAGEOUT) first' : 'every page of the device cached and mapped first';
    measurements[key.replace(/-/g, '_')] = { what: `${key === 'swapin-after-sleep' ? key : 'file-after-sleep'}: ${kind} ${where} by the sleep before it (µs; 0 = back to back), ${prep}, ns`, by: [...fs.entries()].sort((p, q) => p[0] - q[0]).map(([x, v]) => ({ x, spread: spreadOf(v) })) };
    const back = fs.get(0) ?? [];
    const after = [...fs.entries()].filter(([x]) => x > 0).flatMap(([, v]) => v);
    if (back.length === 0 || after.length === 0) continue;
    const a = spreadOf(after), z = spreadOf(back);
    costs[cost] = { value: nonNeg(a.p50 - z.p50), source: 'derived', from: `${key}: ${kind} ${where} right after a sleep of ${[...fs.keys()].filter((x) => x > 0).join(', ')} µs (p50 ${a.p50} ns) − back to back (p50 ${z.p50} ns): ${what}`, spread: a, by_sleep: bySleep(fs, z.p50) };
  }
  if (b.has('mprotect-after-sleep')) {
    const m = fitMprotectAfterSleep(need(b, 'mprotect-after-sleep'), MPROTECT_AFTER_SLEEP_PAGES);
    if (m !== null) {
      costs.change_pte_after_sleep = { value: m.value, source: 'derived', from: `mprotect-after-sleep: the load generator's mprotect (a PROT_EXEC flip of ${MPROTECT_AFTER_SLEEP_PAGES} resident pages in the middle of a VMA) right after a sleep of ${m.sleeps.join(', ')} µs (p50 ${m.after.p50} ns) − the same protect again back to back (p50 ${m.back} ns), / ${MPROTECT_AFTER_SLEEP_PAGES}: change_pte_range's PTE-table and struct-page lines refilled, per page; by_sleep the same at each sleep S`, spread: m.after, by_sleep: m.bySleep };
    }
  }
  if (b.has('fork-anon-after-sleep')) {
    const f = fitForkAfterSleep(need(b, 'fork-anon-after-sleep'), FORK_AFTER_SLEEP_PAGES);
    if (f !== null) {
      const how = f.cold === 'walk' ? 'after a sleep of S and a cache-evicting write walk of a buffer (the scenario\'s workers fault between its forks)' : 'right after a sleep of S';
      costs.copy_pte_after_sleep = { value: f.value, source: 'derived', from: `fork-anon-after-sleep: a fork with ${FORK_AFTER_SLEEP_PAGES} present anonymous pages ${how}, S = ${f.sleeps.join(', ')} µs (p50 ${f.after.p50} ns) − the same fork back to back (p50 ${f.back} ns), / ${FORK_AFTER_SLEEP_PAGES}, the forks whose parent returned first (${f.childFirst} with the child first left out): copy_pte_range's PTE-table lines and copy_present_ptes' struct-page lines (folio_get, folio_try_dup_anon_rmap_ptes) refilled, per present PTE; by_sleep the same at each S`, spread: f.after, by_sleep: f.bySleep };
      if (f.sleepOnly.length > 0) {
        measurements.fork_after_sleep_only = { what: `fork-anon-after-sleep: a fork with ${FORK_AFTER_SLEEP_PAGES} present anonymous pages right after a sleep of S µs alone, no walk (what a sleep alone leaves cold; the back-to-back p50 is ${f.back} ns; no model cost), the whole fork by S, ns`, by: f.sleepOnlySpread };
      }
    }
  }
  if (b.has('cacheline')) {
    const cl = fitCacheline(need(b, 'cacheline'), CACHELINE_BATCH);
    if (cl !== null) {
      const f = (x: number): string => x.toFixed(1);
      costs.lock_atomic = { value: cl.atomic, source: 'measured', from: `cacheline X=0: ${CACHELINE_BATCH} lock xadd on a line the CPU owns (thread pinned to CPU 0), median ${f(cl.own.p50)} ns each: the uncontended atomic of rwsem_read_trylock / __up_read / rwsem_write_trylock / __up_write on sem->count and of vma_start_read / vma_refcount_put on vma->vm_refcnt`, spread: cl.own };
      costs.cacheline_transfer = { value: cl.transfer, source: 'derived', from: `cacheline: one line ping-ponged between threads pinned to CPU 0 and CPU 1, each waiting for the other's write then adding 1 (half a round trip, median ${f(cl.pingpong.p50)} ns) − the same load and add on private lines, both threads at once (median ${f(cl.private.p50)} ns), per operation: the line's transfer from the CPU that wrote it last, between two vCPUs of this VM`, spread: cl.pingpong };
    }
  }
  if (b.has('fault-around')) {
    const fa = fitFaultAround(need(b, 'fault-around'));
    if (fa !== null) {
      costs.filemap_map_pages = { value: fa.setup, source: 'fit', from: `fault-around: a major fault on the zram block device with X of the 15 neighbours of its 16-page fault-around window cached and mapped: the intercept of the fit over X = ${fa.xs.join(', ')} (${Math.round(fa.fit.intercept)} ns) − the median at X = 0 (${fa.alone} ns): filemap_map_pages' set-up once next_uptodate_folio finds a folio (filemap_map_pmd, pte_offset_map_lock .. pte_unmap_unlock), which the first walk of a major fault with no cached neighbour (the major bench) skips`, fit: fa.fit };
      costs.next_uptodate_folio = { value: fa.perFolio, source: 'fit', from: 'fault-around: the slope per cached neighbour over X ≥ 1, / 2 (the first attempt\'s walk and the retry\'s each pass it): next_uptodate_folio (xarray step, folio_try_get, folio_trylock, the present PTE left, folio_unlock, folio_put)', fit: fa.fit };
    }
  }
  if (b.has('fault-around-unmapped') && b.has('fault-around-cached')) {
    const sp = fitSetPteRange(need(b, 'fault-around-unmapped'), need(b, 'fault-around-cached'));
    if (sp !== null) {
      costs.set_pte_range = { value: sp.value, source: 'fit', from: `fault-around-unmapped − fault-around-cached: a page-cache hit on the zram block device with X of its 15 window neighbours cached, their PTEs none (the walk maps each) or present (the walk passes each): the slope per neighbour over X ≥ 1, ${sp.unmapped.slope.toFixed(1)} − ${sp.mapped.slope.toFixed(1)} ns: filemap_map_order0_folio → set_pte_range (folio_add_file_rmap_ptes, set_ptes), folio_ref_inc`, fit: sp.unmapped };
    }
  }
  for (const [key, what] of [
    ['fault-around-cached', 'fault-around cached-mapped: a page-cache hit (its PTE zapped) with X of its 15 window neighbours cached and mapped, ns: one walk, the slope is next_uptodate_folio again'],
    ['fault-around-unmapped', 'fault-around cached-unmapped: a page-cache hit with X of its 15 window neighbours cached and not mapped (as minor-cached: fault-around maps them), ns: the slope is a neighbour mapped (set_pte_range, folio_add_file_rmap_ptes)'],
  ] as const) {
    if (b.has(key)) measurements[key.replace(/-/g, '_')] = { what, fit: linearFit(need(b, key).samples) };
  }
  if (b.has('timer-sleep')) {
    const ts = need(b, 'timer-sleep').samples;
    const late = [...ts.entries()].filter(([x]) => x > 0).flatMap(([, v]) => v);
    if (late.length > 0) {
      const a = spreadOf(late);
      costs.timer_wakeup = { value: nonNeg(a.p50), source: 'measured', from: `timer-sleep: how late a clock_nanosleep to an absolute time ${[...ts.keys()].filter((x) => x > 0).join(', ')} µs ahead (1 ns timer slack) is back in user space, p50 over all: the hrtimer's expiry (hrtimer_wakeup -> wake_up_process) and the wake-up on its CPU; a delay, not CPU`, spread: a };
      measurements.timer_sleep_by_sleep = { what: 'timer-sleep: lateness of a clock_nanosleep (TIMER_ABSTIME) by the sleep asked for (µs), ns', by: [...ts.entries()].sort((p, q) => p[0] - q[0]).map(([x, v]) => ({ x, spread: spreadOf(v) })) };
    }
  }
  if (b.has('hrtimer-irq')) {
    const hi = need(b, 'hrtimer-irq').samples;
    const with1 = hi.get(1) ?? [], without = hi.get(0) ?? [];
    if (with1.length > 0 && without.length > 0) {
      const s = spreadOf(with1), z = spreadOf(without);
      costs.hrtimer_irq = { value: nonNeg(s.p50 - z.p50), source: 'derived', from: `hrtimer-irq: the largest gap of a thread spinning on CPU 0 near a SCHED_IDLE thread's hrtimer expiry on that CPU (p50 ${s.p50} ns) − near the same time without one (p50 ${z.p50} ns): the timer interrupt's VM exit, hrtimer_interrupt -> hrtimer_wakeup -> try_to_wake_up (local enqueue, no preemption), taken from the task on the CPU; no remote-wake IPI`, spread: s };
    }
  }
  if (b.has('tlb-target')) {
    const tt = need(b, 'tlb-target').samples;
    const with1 = tt.get(1) ?? [], without = tt.get(0) ?? [];
    if (with1.length > 0 && without.length > 0) {
      const s = spreadOf(with1), z = spreadOf(without);
      costs.flush_tlb_func = { value: nonNeg(s.p50 - z.p50), source: 'derived', from: `tlb-target: the largest gap of a thread spinning on CPU 1 while a thread of the process on CPU 0 mprotects a resident page (p50 ${s.p50} ns) − without (p50 ${z.p50} ns): the TLB shoot-down's call-function IPI on the target CPU (its VM exit, flush_tlb_func), taken from the task there`, spread: s };
    }
  }
  if (b.has('sched-tick')) {
    const st = need(b, 'sched-tick').samples;
    const hz = [...st.keys()].filter((x) => x > 0);
    const at = hz.length === 1 ? st.get(hz[0]!)! : [], off = st.get(0) ?? [];
    if (at.length > 0 && off.length > 0) {
      const s = spreadOf(at), z = spreadOf(off), tick = Math.round(1e9 / hz[0]!);
      costs.tick_sched_timer = { value: nonNeg(s.p50 - z.p50), source: 'derived', from: `sched-tick: the largest gap of a thread spinning on CPU 1 at the 1/HZ boundaries (HZ ${hz[0]!}, p50 ${s.p50} ns) − half a period later (p50 ${z.p50} ns): the tick's timer interrupt (VM exit), tick_sched_timer -> update_process_times -> sched_tick and the softirqs it raised, taken from the task on a busy CPU`, spread: s };
      costs.tick_nsec = { value: tick, source: 'measured', from: `sched-tick: the spinner's gaps fall on the grid of 1/${hz[0]!} s (CONFIG_HZ=${hz[0]!}: TICK_NSEC), the candidate HZ (100, 250, 300, 1000) with the largest share of boundaries that have a gap (the bench's notes)` };
    }
  }
  if (b.has('wakeup')) {
    const w = median(b, 'wakeup');
    costs.wakeup = { value: nonNeg(w.v), source: 'measured', from: 'wakeup: futex wake → the woken thread runs (try_to_wake_up, IPI, idle exit, context switch); a delay, not CPU', spread: w.spread };
  }
  if (b.has('exit-vmas') && b.has('exit-vmas-holes') && b.has('exit-anon')) {
    const ea = linearFit(need(b, 'exit-anon').samples);
    const eh = linearFit(need(b, 'exit-vmas-holes').samples);
    const ev = linearFit(need(b, 'exit-vmas').samples);
    costs.exit_mmap_pte = { value: nonNeg(ea.slope), source: 'fit', from: 'exit-anon: a forked child\'s exit (its start → the parent woken in waitpid) with one VMA of P present anonymous pages it shares with the parent: slope per PTE (unmap_vmas → zap_present_ptes, folio_remove_rmap_ptes; its share of free_pgtables)', fit: ea };
    costs.exit_mmap_vma = { value: nonNeg(eh.slope), source: 'fit', from: 'exit-vmas-holes: the child\'s exit with V never-touched 2-page VMAs (no anon_vma, no PTE, not copied): slope per VMA (exit_mmap: unmap_vmas\' walk, free_pgtables, remove_vma)', fit: eh };
    costs.unlink_anon_vmas = { value: nonNeg(ev.slope - eh.slope - ea.slope), source: 'fit', from: `exit-vmas slope (V 2-page VMAs with an anon_vma and one present page each) − exit-vmas-holes slope (${Math.round(eh.slope)} ns) − exit_mmap_pte: free_pgtables → unlink_anon_vmas per VMA with an anon_vma`, fit: ev };
    const wake = costs.wakeup.source === 'measured' ? costs.wakeup.value : 0;
    costs.do_exit = { value: nonNeg(eh.intercept - wake), source: 'fit', from: `exit-vmas-holes intercept − wakeup (${wake} ns, the parent's wake-up that ends the interval): do_exit of a child with the bench process's own few VMAs`, fit: eh };
  }
  let swap: CostProfile['io']['swap'] = null;
  if (b.has('swapin')) {
    const samples = all(need(b, 'swapin')).map((v) => Math.max(0, v - hmf));
    swap = { law: empiricalLaw(samples), source: 'derived', from: 'swapin − handle_mm_fault: a fault on a page pushed to zram (do_swap_page, SWP_SYNCHRONOUS_IO read and decompress), empirical law', spread: spreadOf(samples) };
  }

  const simple: Array<[string, string, string]> = [
    ['getppid', 'syscall_floor', 'getppid(): the syscall entry/exit floor, ns'],
    ['mmap-read', 'mmap_read_uncontended', 'mincore of one page: mmap_read_lock + find_vma + one PTE walk + the syscall, ns'],
    ['mmap-write', 'mmap_write_uncontended', 'mprotect to the same protection: mmap_write_lock_killable + lookup + unlock + the syscall, ns'],
    ['ctxswitch', 'context_switch', 'one futex hand-over between two threads on one CPU (round trip / 2), ns'],
    ['cow', 'cow_fault', 'write fault on a private page shared with a child (wp_page_copy), ns'],
    ['anon-write', 'anon_write_fault', 'write fault on a never-touched anonymous page, ns'],
    ['minor-cached', 'cached_fault', 'page-cache hit fault with fault-around, ns'],
  ];
  for (const [key, name, what] of simple) {
    if (b.has(key) && all(b.get(key)!).length > 0) measurements[name] = { what, spread: median(b, key).spread };
  }
  const byThreads: Array<[string, string, string]> = [
    ['lock-threads', 'mmap_write_by_threads', 'T threads doing mprotect(same prot) at once: per-op time by T (rwsem hand-over, cache-line bouncing), ns'],
    ['fault-threads', 'fault_shared_vma_by_threads', 'T threads write-faulting fresh pages of one VMA (shared per-VMA lock count): per-fault time by T, ns'],
    ['fault-threads-own', 'fault_own_vma_by_threads', 'the same with a VMA per thread: per-fault time by T, ns'],
    ['short-sleep', 'short_sleep_by_sleep', 'a clock_nanosleep (TIMER_ABSTIME, 1 ns slack) to now + S ns: how late the thread is back, by X = 10 S + k (k = 1: the sleep switched out, ru_nvcsw; 0: the timer fired before schedule()), ns; no model cost (docs/calibration.md "What interrupts a real writer, traced")'],
    ['mprotect-siblings', 'mprotect_256_by_siblings', 'mprotect of 256 resident pages with X threads of the process looping sleep 20 µs / spin 2.5 µs (X = 100 + k: k such threads in another process), ns; no model cost (docs/calibration.md)'],
  ];
  for (const [key, name, what] of byThreads) {
    const x = b.get(key);
    if (x === undefined || x.samples.size === 0) continue;
    measurements[name] = { what, by: [...x.samples.entries()].sort((p, q) => p[0] - q[0]).map(([t, v]) => ({ x: t, spread: spreadOf(v) })) };
  }

  return { name: inp.name, description: inp.description, host: inp.host, costs, io: { swap }, measurements };
}

/**
 * The lru_add batch in a sequence of write faults on fresh anonymous pages
 * (in the order they ran): the slow faults (at least 2 × the median) and the
 * median gap between them, in faults. When that gap is PAGEVEC_SIZE (± 1: a
 * migration to the other CPU, whose batch has its own fill, shifts one gap),
 * the drain's cost is the slow faults' median − the median; otherwise null.
 */
export function fitLruAddBatch(seq: readonly number[]): { value: number | null; period: number; slow: number; n: number; spread: Spread } {
  const p50 = spreadOf(seq).p50;
  const idx: number[] = [];
  seq.forEach((v, i) => { if (v >= 2 * p50) idx.push(i); });
  const gaps = idx.slice(1).map((v, i) => v - idx[i]!).sort((a, b) => a - b);
  const period = gaps.length === 0 ? 0 : gaps[(gaps.length - 1) >> 1]!;
  const slow = idx.map((i) => seq[i]!);
  const spread = spreadOf(slow.length > 0 ? slow : seq);
  const value = Math.abs(period - PAGEVEC_SIZE) <= 1 ? nonNeg(spread.p50 - p50) : null;
  return { value, period, slow: slow.length, n: seq.length, spread };
}

/** Rows of the fit table: every cost, the swap law, with the previous value (built-in default) beside. */
export function fitRows(p: CostProfile): FitRow[] {
  const rows: FitRow[] = COST_NAMES.map((n) => {
    const c = p.costs[n];
    return {
      cost: n, value: c.value, source: c.source, from: c.from, spread: c.spread ?? null,
      r2: c.fit?.r2 ?? null, previous: DEFAULT_COSTS[n],
    };
  });
  if (p.io.swap !== null) {
    const l = p.io.swap.law;
    const med = l.law === 'empirical' ? l.points.find(([q]) => q === 50)?.[1] ?? 0 : l.law === 'constant' ? l.value : 0;
    rows.push({ cost: 'io.swap (p50)', value: med, source: p.io.swap.source, from: p.io.swap.from, spread: p.io.swap.spread ?? null, r2: null, previous: 17_700 });
  }
  return rows;
}
