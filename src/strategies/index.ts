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

/** Parse `base+opt+opt`. Throws StrategyError naming the valid choices. */
export function faultStrategy(spec: string): FaultStrategy {
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

export function forkStrategy(spec: string): ForkStrategy {
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
