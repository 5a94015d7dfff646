/**
 * Differential test, generated scenarios (issue 11, extended by issue 13):
 * fast-check draws small check scenarios with a fault strategy, a fork
 * strategy and at most one mutation, and the default search (stateless and
 * stateful) must never call one "safe, complete" where a reference finds a
 * violation, nor disagree with a reference that finishes
 * (./check-differential.ts). A failure is shrunk by fast-check to the smallest
 * scenario that still disagrees, and printed with its seed.
 *
 * Two properties:
 * - fixed shapes (issue 11's draw): one or two VMAs of two pages, two or
 *   three threads of one or two ops among fault, mprotect without `prot`,
 *   madvise_dontneed, whole-VMA munmap and fork;
 * - VMAs that change shape and die (issue 13): VMAs of 2-4 pages, anonymous
 *   stacks (`growsdown`, faults one page below them), `nondet` sites
 *   (`vm_area_reuse`, `vma_start_read_spurious_fail`), and the ops that
 *   split, merge, move and free VMAs: mprotect with `prot` over a page range,
 *   partial munmap, madvise random/sequential/normal, mremap (in place,
 *   moved, MREMAP_DONTUNMAP), munmap followed by mmap of the same VMA.
 *
 * FAULTLINE_DIFF=full raises the budgets and the number of scenarios;
 * FAULTLINE_DIFF_RUNS=n and FAULTLINE_DIFF_SEED=s override the number of
 * scenarios per property and fast-check's seed (docs/checker.md).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANON_STATES, checkScenarioFromObject, FILE_STATES, INJECTION_NAMES, NONDET_SITES, PROTS, type Injection,
} from '../src/check/index.js';
import { FORK_STRATEGIES } from '../src/strategies/index.js';
import { compare, DIFF_FAULTS, FULL, label } from './check-differential.js';

interface GenVma {
  name: string; kind: 'file' | 'anon'; shared: boolean; anon_vma: boolean; special: string[]; map_pages: boolean; pages: number;
  growsdown?: boolean;
  process?: string;
}
type GenOp = Record<string, unknown>;
interface GenScenario {
  vmas: GenVma[];
  nondet?: string[];
  threads: GenOp[][];
  /** Each thread's process (two processes); omitted: one process. */
  procs?: string[];
  fault: string;
  fork: string;
  inject: readonly Injection[];
}

/** Draw issue 13's shapes (page counts 2-4, stacks, every VMA op) or issue 11's fixed ones; `processes`: issue 13's shapes over two processes. */
type Shapes = 'fixed' | 'changing' | 'processes';

/** Mutations that only a second mm can reach (a VMA object another mm reused). */
const SECOND_MM: readonly Injection[] = ['vma-start-read-skip-mm-check', 'lock-vma-mm-check-without-mmgrab'];
/**
 * Mutations added after the properties' draws were fixed (issue 13's page
 * tables): left out of the draws, so the generated scenarios stay the ones
 * documented; the built-in differential runs them on every scenario they reach.
 */
const LATER: readonly Injection[] = [
  'free-pgtables-before-detach', 'vma-expand-skip-write-lock', 'vma-mark-detached-skip-refcnt-wait',
  'mbind-skip-vma-write-lock', 'retract-pte-free-no-rcu',
  // Reached only with an rmap_walk op, which the generators do not draw.
  'anon-vma-fork-skip-clone', 'folio-lock-anon-vma-read-skip-recheck',
  // Reached only with an anonymous khugepaged collapse, which the generators do not draw.
  'collapse-check-pmd-before-vma-write-lock',
  // Reached only with a try_to_unmap op (issue 13b), which the generators do not draw.
  'mmap-i-mmap-lock-before-vma-write-lock',
  // Reached only with an uffdio_move op, which the generators do not draw (issue 13a).
  'uffd-move-lock-src-fallback',
  // Reached only with an rmap walk or try_to_unmap op and an mremap (issue 13b), which the generators do not draw together.
  'mremap-skip-rmap-locks',
  // Reached only with a try_to_unmap op (issue 13b), which the generators do not draw.
  'unlink-file-vma-skip-i-mmap-lock',
  // Reached only with a fault on a uffd_missing VMA, which the generators do not draw (issue 13a).
  'handle-userfault-keep-lock',
];
/** The mutations the one-mm properties draw (their draws stay what they were before the second mm). */
const ONE_MM_INJECTIONS = INJECTION_NAMES.filter((i) => !SECOND_MM.includes(i) && !LATER.includes(i));

const vmaArb = (name: string, shapes: Shapes): fc.Arbitrary<GenVma> => {
  const pages = shapes === 'fixed' ? fc.constant(2) : fc.integer({ min: 2, max: 4 });
  return fc.oneof(
    fc.record({
      name: fc.constant(name), kind: fc.constant('anon' as const), shared: fc.constant(false), anon_vma: fc.boolean(),
      special: fc.constant([] as string[]), map_pages: fc.constant(true), pages,
      // A stack is private anonymous memory (MAP_GROWSDOWN | MAP_ANONYMOUS).
      ...(shapes === 'changing' ? { growsdown: fc.boolean() } : {}),
    }),
    fc.record({
      name: fc.constant(name), kind: fc.constant('file' as const), shared: fc.boolean(), anon_vma: fc.boolean(),
      special: fc.subarray(['pfnmap', 'uffd_wp']), map_pages: fc.boolean(), pages,
    }),
  );
};

/** `page` and optionally `pages` of a range inside `v` (the format's rule: page + pages <= v.pages). */
function rangeArb(v: GenVma): fc.Arbitrary<{ page: number; pages?: number }> {
  return fc.integer({ min: 0, max: v.pages - 1 }).chain((page) =>
    fc.option(fc.integer({ min: 1, max: v.pages - page }), { nil: undefined })
      .map((pages) => (pages === undefined ? { page } : { page, pages })));
}

/** One op group: a single op, or (changing shapes) `munmap` then `mmap` of the same VMA (mmap needs that munmap first). */
function opArb(vmas: readonly GenVma[], shapes: Shapes): fc.Arbitrary<GenOp[]> {
  const vma = fc.constantFrom(...vmas);
  const fault = vma.chain((v) =>
    fc.record({
      op: fc.constant('fault'), vma: fc.constant(v.name),
      // One page below a stack expands it (expand_downwards).
      page: shapes === 'fixed' ? fc.constantFrom(0, 1) : fc.integer({ min: v.growsdown === true ? -1 : 0, max: v.pages - 1 }),
      access: fc.constantFrom('read', 'write'),
      state: fc.constantFrom(...(v.kind === 'file' ? FILE_STATES : ANON_STATES)),
    }));
  const single = (a: fc.Arbitrary<GenOp>): fc.Arbitrary<GenOp[]> => a.map((o) => [o]);
  if (shapes === 'fixed') {
    const vmaOp = fc.record({ op: fc.constantFrom('mprotect', 'madvise_dontneed', 'munmap'), vma: vma.map((v) => v.name) });
    return fc.oneof(single(fault), single(fault), single(vmaOp), fc.constant<GenOp[]>([{ op: 'fork' }]));
  }
  const ranged = (op: string, extra: (v: GenVma) => fc.Arbitrary<GenOp>): fc.Arbitrary<GenOp> =>
    vma.chain((v) => fc.tuple(rangeArb(v), extra(v)).map(([r, x]) => ({ op, vma: v.name, ...r, ...x })));
  // mprotect with `prot` splits and merges; without it, the model before splits.
  const mprotect = ranged('mprotect', () => fc.option(fc.constantFrom(...PROTS), { freq: 5, nil: undefined })
    .map((prot) => (prot === undefined ? {} : { prot })));
  const munmap = fc.oneof(vma.map((v) => ({ op: 'munmap', vma: v.name })), ranged('munmap', () => fc.constant({})));
  const madvise = ranged('madvise', () => fc.record({ advice: fc.constantFrom('random', 'sequential', 'normal') }));
  const mremap = ranged('mremap', (v) => fc.record({
    new_pages: fc.integer({ min: 1, max: v.pages + 2 }), maymove: fc.boolean(), dontunmap: fc.boolean(),
  }));
  const remap = vma.map((v) => [{ op: 'munmap', vma: v.name }, { op: 'mmap', vma: v.name }]);
  return fc.oneof(
    { arbitrary: single(fault), weight: 4 },
    { arbitrary: single(mprotect), weight: 2 },
    { arbitrary: single(munmap), weight: 1 },
    { arbitrary: single(madvise), weight: 1 },
    { arbitrary: single(mremap), weight: 1 },
    { arbitrary: single(vma.map((v) => ({ op: 'madvise_dontneed', vma: v.name }))), weight: 1 },
    { arbitrary: remap, weight: 1 },
    { arbitrary: fc.constant<GenOp[]>([{ op: 'fork' }]), weight: 1 },
  );
}

/** A thread: one or two op groups, at most two ops. */
const threadArb = (vmas: readonly GenVma[], shapes: Shapes): fc.Arbitrary<GenOp[]> =>
  fc.array(opArb(vmas, shapes), { minLength: 1, maxLength: 2 }).map((gs) => gs.flat()).filter((ops) => ops.length <= 2);

/**
 * Two processes: VMA a in the first, b in process B; two or three threads,
 * each of one process, with issue 13's ops on its own VMA, a thread of B
 * perhaps ending in `exit` (mmput: exit_mmap frees B's VMAs, then the
 * mm_struct). Objects one mm frees may be reused by the other.
 */
const processesArb: fc.Arbitrary<GenScenario> = fc
  .tuple(vmaArb('a', 'changing'), vmaArb('b', 'changing'))
  .chain(([a, b0]) => {
    const b: GenVma = { ...b0, process: 'B' };
    const thread = fc.boolean().chain((inB) => fc.tuple(threadArb([inB ? b : a], 'changing'), fc.boolean())
      .map(([ops, exit]) => ({ proc: inB ? 'B' : '', ops: inB && exit ? [...ops, { op: 'exit' }] : ops })));
    return fc.record({
      vmas: fc.constant<GenVma[]>([a, b]),
      nondet: fc.subarray([...NONDET_SITES]),
      threads: fc.array(thread, { minLength: 2, maxLength: 3 }),
      fault: fc.constantFrom(...DIFF_FAULTS),
      fork: fc.constantFrom(...FORK_STRATEGIES),
      inject: fc.constantFrom<readonly Injection[]>([], [], ...SECOND_MM.map((i) => [i]), ...INJECTION_NAMES.filter((i) => !LATER.includes(i)).map((i) => [i])),
    }).map((g) => ({ ...g, threads: g.threads.map((t) => t.ops), procs: g.threads.map((t) => t.proc) }));
  })
  .filter((g) => g.threads.flat().filter((o) => o['op'] === 'fork').length <= 1);

const scenarioArb = (shapes: Shapes): fc.Arbitrary<GenScenario> => shapes === 'processes' ? processesArb : fc
  .tuple(vmaArb('a', shapes), fc.option(vmaArb('b', shapes), { nil: undefined }))
  .chain(([a, b]) => {
    const vmas = b !== undefined ? [a, b] : [a];
    return fc.record({
      vmas: fc.constant(vmas),
      ...(shapes === 'changing' ? { nondet: fc.subarray([...NONDET_SITES]) } : {}),
      threads: fc.array(threadArb(vmas, shapes), { minLength: 2, maxLength: 3 }),
      fault: fc.constantFrom(...DIFF_FAULTS),
      fork: fc.constantFrom(...FORK_STRATEGIES),
      inject: fc.constantFrom<readonly Injection[]>([], [], ...ONE_MM_INJECTIONS.map((i) => [i])),
    });
  })
  // At most one fork (the check format allows more; a second fork makes the search too large for the budgets).
  .filter((g) => g.threads.flat().filter((o) => o['op'] === 'fork').length <= 1);

function envInt(name: string): number | undefined {
  const s = process.env[name];
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${s}: expected a positive integer`);
  return n;
}

/** Compare every drawn scenario; returns how many were compared with a reference that finished. */
async function differential(shapes: Shapes, seed: number, numRuns: number): Promise<number> {
  let compared = 0;
  await fc.assert(
    fc.asyncProperty(scenarioArb(shapes), async (g) => {
      await new Promise<void>((resolve) => setImmediate(resolve)); // keep the worker's RPC alive
      const scenario = checkScenarioFromObject({
        name: 'generated', description: 'fast-check', vmas: g.vmas, ...(g.nondet !== undefined ? { nondet: g.nondet } : {}),
        threads: g.threads.map((ops, i) => ({ name: `T${i + 1}`, ...(g.procs?.[i] ? { process: g.procs[i] } : {}), ops })),
      });
      const o = compare({ scenario, fault: g.fault, fork: g.fork, inject: g.inject });
      if (o.referenceKind !== 'none' && o.reference !== 'incomplete') compared++;
      if (process.env['FAULTLINE_DIFF_REPORT'] === '1') console.info(`${shapes} ${compared}: ${label(o.combo)}: default ${o.dfs}, stateful ${o.stateful}, ${o.referenceKind} ${o.reference}`);
      if (o.unsound || o.disagree) {
        throw new Error(`${label(o.combo)}: default ${o.dfs}, stateful ${o.stateful}, ${o.referenceKind} ${o.reference} (${o.invariant ?? '-'})\n${JSON.stringify(g)}`);
      }
    }),
    { seed: envInt('FAULTLINE_DIFF_SEED') ?? seed, numRuns },
  );
  // FAULTLINE_DIFF_REPORT=1: each scenario's verdicts and how many were compared (for docs/checker.md).
  if (process.env['FAULTLINE_DIFF_REPORT'] === '1') console.info(`${shapes}: ${compared} of ${numRuns} generated scenarios compared with a reference that finished`);
  return compared;
}

const TIMEOUT = FULL ? 4 * 3_600_000 : 900_000;

// npm test: 60 + 80 scenarios, about the time the 120 fixed-shape ones took
// before issue 13 (docs/checker.md); FAULTLINE_DIFF=full: 1000 of each.
describe('differential: generated scenarios', () => {
  it('fixed shapes: the default search never calls a generated scenario safe where a reference finds a violation', async () => {
    const runs = envInt('FAULTLINE_DIFF_RUNS') ?? (FULL ? 1000 : 60);
    const compared = await differential('fixed', 11, runs);
    // Not vacuous: most scenarios were compared with a reference that finished.
    expect(compared).toBeGreaterThan(runs / 2);
  }, TIMEOUT);

  it('VMAs that split, merge, move and die: the default search never calls a generated scenario safe where a reference finds a violation', async () => {
    const runs = envInt('FAULTLINE_DIFF_RUNS') ?? (FULL ? 1000 : 80);
    const compared = await differential('changing', 13, runs);
    expect(compared).toBeGreaterThan(runs / 2);
  }, TIMEOUT);

  it('two processes (a VMA object one mm frees may become the other\'s; exit frees an mm): the default search never calls a generated scenario safe where a reference finds a violation', async () => {
    const runs = envInt('FAULTLINE_DIFF_RUNS') ?? (FULL ? 1000 : 40);
    const compared = await differential('processes', 17, runs);
    expect(compared).toBeGreaterThan(runs / 2);
  }, TIMEOUT);
});
