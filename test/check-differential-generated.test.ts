/**
 * Differential test, generated scenarios (issue 11): fast-check draws small
 * check scenarios (one or two VMAs, two or three threads of one or two ops)
 * with a fault strategy, a fork strategy and at most one mutation, and the
 * default search must never call one "safe, complete" where a reference finds
 * a violation (./check-differential.ts). A failure is shrunk by fast-check to
 * the smallest scenario that still disagrees, and printed with its seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANON_STATES, checkScenarioFromObject, FILE_STATES, INJECTION_NAMES, type Injection } from '../src/check/index.js';
import { FORK_STRATEGIES } from '../src/strategies/index.js';
import { compare, DIFF_FAULTS, FULL, label } from './check-differential.js';

interface GenVma { name: string; kind: 'file' | 'anon'; shared: boolean; anon_vma: boolean; special: string[]; map_pages: boolean; pages: number }
type GenOp = Record<string, unknown>;

const vmaArb = (name: string): fc.Arbitrary<GenVma> =>
  fc.oneof(
    fc.record({
      name: fc.constant(name), kind: fc.constant('anon' as const), shared: fc.constant(false), anon_vma: fc.boolean(),
      special: fc.constant([] as string[]), map_pages: fc.constant(true), pages: fc.constant(2),
    }),
    fc.record({
      name: fc.constant(name), kind: fc.constant('file' as const), shared: fc.boolean(), anon_vma: fc.boolean(),
      special: fc.subarray(['pfnmap', 'uffd_wp']), map_pages: fc.boolean(), pages: fc.constant(2),
    }),
  );

function opArb(vmas: readonly GenVma[], allowFork: boolean): fc.Arbitrary<GenOp> {
  const vma = fc.constantFrom(...vmas);
  const fault = vma.chain((v) =>
    fc.record({
      op: fc.constant('fault'), vma: fc.constant(v.name), page: fc.constantFrom(0, 1),
      access: fc.constantFrom('read', 'write'),
      state: fc.constantFrom(...(v.kind === 'file' ? FILE_STATES : ANON_STATES)),
    }));
  const vmaOp = fc.record({ op: fc.constantFrom('mprotect', 'madvise_dontneed', 'munmap'), vma: vma.map((v) => v.name) });
  const arbs: Array<fc.Arbitrary<GenOp>> = [fault, fault, vmaOp];
  if (allowFork) arbs.push(fc.constant({ op: 'fork' }));
  return fc.oneof(...arbs);
}

const scenarioArb = fc
  .tuple(vmaArb('a'), fc.option(vmaArb('b'), { nil: undefined }))
  .chain(([a, b]) => {
    const vmas = b !== undefined ? [a, b] : [a];
    return fc.record({
      vmas: fc.constant(vmas),
      threads: fc.array(fc.array(opArb(vmas, true), { minLength: 1, maxLength: 2 }), { minLength: 2, maxLength: 3 }),
      fault: fc.constantFrom(...DIFF_FAULTS),
      fork: fc.constantFrom(...FORK_STRATEGIES),
      inject: fc.constantFrom<readonly Injection[]>([], [], ...INJECTION_NAMES.map((i) => [i])),
    });
  })
  // At most one fork, and mmap only after munmap in the same thread (the format's rule).
  .filter((g) => g.threads.flat().filter((o) => o['op'] === 'fork').length <= 1);

describe('differential: generated scenarios', () => {
  it('the default search never calls a generated scenario safe where a reference finds a violation', async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (g) => {
        await new Promise<void>((resolve) => setImmediate(resolve)); // keep the worker's RPC alive
        const scenario = checkScenarioFromObject({
          name: 'generated', description: 'fast-check', vmas: g.vmas,
          threads: g.threads.map((ops, i) => ({ name: `T${i + 1}`, ops })),
        });
        const o = compare({ scenario, fault: g.fault, fork: g.fork, inject: g.inject });
        if (o.referenceKind !== 'none' && o.reference !== 'incomplete') compared++;
        if (o.unsound || o.disagree) {
          throw new Error(`${label(o.combo)}: default ${o.dfs}, stateful ${o.stateful}, ${o.referenceKind} ${o.reference} (${o.invariant ?? '-'})\n${JSON.stringify(g)}`);
        }
      }),
      { seed: 11, numRuns: FULL ? 1000 : 120 },
    );
    expect(compared).toBeGreaterThan(FULL ? 500 : 60);
  }, FULL ? 4 * 3_600_000 : 900_000);
});
