/**
 * Strategy registry. Fault strategies take options with `+`:
 * `retry-vma+uptodate-skip+writeback-aware`, `hold-io+mmap`. Fork strategies
 * take none.
 */
import type { FaultStrategy, ForkStrategy } from '../model/index.js';
import { fallbackFlag } from './fallback-flag.js';
import { forkLockAll, forkLockAnonVma, forkLockAnonVmaLiteral, forkLockCow, forkLockNone, forkLockWritable } from './fork.js';
import { holdIo, holdIoFile } from './hold-io.js';
import { mainline } from './mainline.js';
import { preVma } from './pre-vma.js';
import { retryVma } from './retry-vma.js';

export const FAULT_STRATEGIES = ['pre-vma', 'mainline', 'retry-vma', 'hold-io', 'hold-io-file', 'fallback-flag'] as const;
export const FAULT_OPTIONS: Record<string, readonly string[]> = {
  'retry-vma': ['uptodate-skip', 'writeback-aware'],
  'hold-io': ['mmap'],
  'hold-io-file': ['mmap'],
};
export const FORK_STRATEGIES = [
  'fork-lock-all', 'fork-lock-writable', 'fork-lock-cow', 'fork-lock-anon-vma', 'fork-lock-anon-vma-literal', 'fork-lock-none',
] as const;

/** What `--strategy all` expands to (npm start). */
export const ALL_FAULT_STRATEGIES = [
  'pre-vma', 'mainline', 'retry-vma', 'retry-vma+uptodate-skip+writeback-aware', 'hold-io', 'hold-io-file', 'fallback-flag',
] as const;

export class StrategyError extends Error {}

/**
 * Every fault strategy as an object of one shape (one V8 hidden class). The
 * kernel paths read `mm->fault.*` on every fault; strategies written as
 * object literals each had a map of their own, so code compiled while one
 * strategy ran was thrown away ("wrong map" deopts in do_user_addr_fault,
 * filemap_fault, lock_folio_maybe_drop_mmap, ...) at each change of strategy
 * between runs, and recompiled for several maps. Same fields, same values:
 * only the object's layout changes.
 */
const FAULT_KEYS: ReadonlySet<string> = new Set([
  'name', 'per_vma_lock', 'lock_mm_and_find_vma', 'retry_vma_after_io', 'retry_hard',
  'drop_lock_for_io', 'hold_for_locked_folio', 'retry_under_vma_lock',
]);
const FORK_KEYS: ReadonlySet<string> = new Set(['name', 'lock_vma', 'needs_copy']);

/**
 * A field the one-shape copy does not know would be dropped silently (an
 * optional field added to FaultStrategy later): refuse it instead.
 */
function assertKnownKeys(s: object, known: ReadonlySet<string>): void {
  for (const k of Object.keys(s)) {
    if (!known.has(k)) throw new Error(`strategy '${(s as { name?: string }).name}': field '${k}' is not copied by the one-shape wrapper (src/strategies/index.ts)`);
  }
}

class OneShapeFaultStrategy implements FaultStrategy {
  readonly name: string;
  readonly per_vma_lock: boolean;
  readonly lock_mm_and_find_vma: boolean;
  readonly retry_vma_after_io: boolean;
  readonly retry_hard: boolean;
  readonly drop_lock_for_io: FaultStrategy['drop_lock_for_io'];
  readonly hold_for_locked_folio: FaultStrategy['hold_for_locked_folio'];
  readonly retry_under_vma_lock: FaultStrategy['retry_under_vma_lock'];
  constructor(s: FaultStrategy) {
    assertKnownKeys(s, FAULT_KEYS);
    this.name = s.name;
    this.per_vma_lock = s.per_vma_lock;
    this.lock_mm_and_find_vma = s.lock_mm_and_find_vma;
    this.retry_vma_after_io = s.retry_vma_after_io;
    this.retry_hard = s.retry_hard;
    this.drop_lock_for_io = s.drop_lock_for_io;
    this.hold_for_locked_folio = s.hold_for_locked_folio;
    this.retry_under_vma_lock = s.retry_under_vma_lock;
  }
}

/** The fork strategies in one shape, for the same reason (dup_mmap reads `mm->fork.*`). */
class OneShapeForkStrategy implements ForkStrategy {
  readonly name: string;
  readonly lock_vma: ForkStrategy['lock_vma'];
  readonly needs_copy: ForkStrategy['needs_copy'];
  constructor(s: ForkStrategy) {
    assertKnownKeys(s, FORK_KEYS);
    this.name = s.name;
    this.lock_vma = s.lock_vma;
    this.needs_copy = s.needs_copy;
  }
}

/** Parse `base+opt+opt`. Throws StrategyError naming the valid choices. */
export function faultStrategy(spec: string): FaultStrategy {
  return new OneShapeFaultStrategy(parseFaultStrategy(spec));
}

export function forkStrategy(spec: string): ForkStrategy {
  return new OneShapeForkStrategy(parseForkStrategy(spec));
}

function parseFaultStrategy(spec: string): FaultStrategy {
  const [base, ...opts] = spec.split('+');
  const valid = FAULT_OPTIONS[base ?? ''] ?? [];
  for (const o of opts) {
    if (!valid.includes(o)) {
      throw new StrategyError(valid.length
        ? `unknown option '${o}' for fault strategy '${base}' (options: ${valid.join(', ')})`
        : `fault strategy '${base}' takes no options (got '+${o}')`);
    }
  }
  switch (base) {
    case 'pre-vma': return preVma;
    case 'mainline': return mainline;
    case 'retry-vma': {
      const uptodateSkip = opts.includes('uptodate-skip');
      const writebackAware = opts.includes('writeback-aware');
      if (writebackAware && !uptodateSkip) {
        throw new StrategyError(`'writeback-aware' refines 'uptodate-skip': use retry-vma+uptodate-skip+writeback-aware`);
      }
      return retryVma({ uptodateSkip, writebackAware }, spec);
    }
    case 'hold-io': return holdIo({ mmap: opts.includes('mmap') }, spec);
    case 'hold-io-file': return holdIoFile({ mmap: opts.includes('mmap') }, spec);
    case 'fallback-flag': return fallbackFlag;
    default:
      throw new StrategyError(`unknown fault strategy '${spec}' (known: ${FAULT_STRATEGIES.join(', ')}; options: retry-vma+uptodate-skip[+writeback-aware], hold-io[-file]+mmap)`);
  }
}

function parseForkStrategy(spec: string): ForkStrategy {
  switch (spec) {
    case 'fork-lock-all': return forkLockAll;
    case 'fork-lock-writable': return forkLockWritable;
    case 'fork-lock-cow': return forkLockCow;
    case 'fork-lock-anon-vma': return forkLockAnonVma;
    case 'fork-lock-anon-vma-literal': return forkLockAnonVmaLiteral;
    case 'fork-lock-none': return forkLockNone;
    default:
      throw new StrategyError(`unknown fork strategy '${spec}' (known: ${FORK_STRATEGIES.join(', ')})`);
  }
}
