/** Parsing and validation of `faultline run` options. Every failure is a one-line UsageError. */
import { DurationError, parseDuration } from '../scenario/index.js';
import {
  ALL_FAULT_STRATEGIES, FORK_STRATEGIES, faultStrategy, forkStrategy, StrategyError,
} from '../strategies/index.js';
import { MAX_SEED } from '../scenario/schema.js';
import { UsageError } from './io.js';

export { MAX_SEED };
export const MAX_SEEDS = 10_000;

function list(option: string, value: string, all: readonly string[]): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`${option}: empty name in '${value}' (expected a comma-separated list)`);
  const out: string[] = [];
  for (const it of items) {
    for (const name of it === 'all' ? all : [it]) if (!out.includes(name)) out.push(name);
  }
  return out;
}

function check(option: string, names: readonly string[], parse: (s: string) => unknown): void {
  for (const n of names) {
    try {
      parse(n);
    } catch (e) {
      if (e instanceof StrategyError) throw new UsageError(`${option}: ${e.message}`);
      throw e;
    }
  }
}

/** `--strategy` list; `all` = ALL_FAULT_STRATEGIES. */
export function parseFaultList(value: string): string[] {
  const names = list('--strategy', value, ALL_FAULT_STRATEGIES);
  check('--strategy', names, faultStrategy);
  return names;
}

/** `--fork` list; `all` = every fork strategy. */
export function parseForkList(value: string): string[] {
  const names = list('--fork', value, FORK_STRATEGIES);
  check('--fork', names, forkStrategy);
  return names;
}

export function parseInteger(option: string, value: string, min: number, max: number): number {
  const v = value.trim();
  if (!/^[-+]?[0-9]+$/.test(v)) throw new UsageError(`${option}: expected a whole number from ${min} to ${max}, got '${value}'`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${option}: ${v} is out of range (${min}..${max})`);
  return n;
}

/** `--duration`: a duration with a unit (`2s`, `500ms`) or a bare number of ns. */
export function parseDurationOption(value: string): number {
  const v = value.trim();
  try {
    const ns = parseDuration(/^[0-9]+$/.test(v) ? Number(v) : v);
    if (ns <= 0) throw new UsageError(`--duration: must be positive, got '${value}'`);
    return ns;
  } catch (e) {
    if (e instanceof DurationError) throw new UsageError(`--duration: ${e.message}`);
    throw e;
  }
}

/** The error for seeds that go past MAX_SEED, naming where the first seed came from. */
export function seedRangeMessage(from: string, first: number, seeds: number): string {
  return `${from} with --seeds ${seeds} runs seeds ${first}..${first + seeds - 1}, past the largest seed ${MAX_SEED}: lower the seed or --seeds`;
}
