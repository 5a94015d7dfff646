/**
 * Cost profiles: the model's CPU costs (and the host's swap-in law) fitted to
 * one machine by `faultline calibrate`, or derived from the workload notes for
 * a phone. A profile is YAML (docs/calibration.md, "Cost profiles"): every
 * value carries its source, and measured ones their measurement, spread and
 * fit quality. `faultline run --costs PROFILE`, `faultline real --costs
 * PROFILE` and a scenario's `costs: PROFILE` (or `costs: {profile: PROFILE,
 * ...overrides}`) use it.
 *
 * A profile is named by a path (it contains a `/` or ends in .yaml/.yml) or
 * by the name of a shipped profile in `profiles/` of the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { COST_NAMES, type CostName } from '../model/cost.js';
import { repoRoot } from '../scenario/files.js';
import type { Law, Scenario } from '../scenario/types.js';
import { formatDuration, parseDuration } from '../scenario/units.js';

export const PROFILE_FORMAT = 1;

/** Where a value comes from. */
export const SOURCES = ['measured', 'fit', 'derived', 'parameters.md', 'assumption', 'default'] as const;
export type ValueSource = (typeof SOURCES)[number];

export interface Spread {
  /** Samples behind the value. */
  n: number;
  p10: number;
  p50: number;
  p90: number;
}

export interface LinearFit {
  /** y = intercept + slope * x over the per-x medians, least squares. */
  intercept: number;
  slope: number;
  /** Coefficient of determination over the per-x medians (1 = exact line). */
  r2: number;
  /** The points fitted: x, median y, samples. */
  points: Array<{ x: number; median: number; n: number }>;
}

export interface CostValue {
  /** ns. */
  value: number;
  source: ValueSource;
  /** What it was measured or derived from, in words (bench names, parameters.md section). */
  from: string;
  spread?: Spread;
  fit?: LinearFit;
  /**
   * A refill after a sleep (the `*_fault_after_sleep` costs): the increment
   * at each sleep the bench measured (its median after a sleep of `sleep_us`
   * µs − its median back to back, at least 0; `n` samples). The simulator
   * interpolates between them by the thread's sleep (sleepPoints); `value`
   * stays the median over all sleeps, for readers of the scalar.
   */
  by_sleep?: SleepPoint[];
  /**
   * A fit of several rounds (`faultline calibrate --rounds N`, rounds.ts):
   * the value each round's own fit gave, in round order; `value` is their
   * median (the lower one of an even count) and the other fields are that
   * round's.
   */
  rounds?: number[];
}

/** One round of a fit of several rounds: its host probe against the median over the rounds. */
export interface RoundProbe {
  /** 1-based. */
  round: number;
  /** Per probe bench (host-drift.ts HOST_PROBE's measurement names): the round's median / the median of the rounds' medians. */
  ratios: Record<string, number>;
  /** Some ratio off 1 by more than the band. */
  outside: boolean;
}

/** How a fit of several rounds was made (rounds.ts). */
export interface FitRounds {
  count: number;
  /** The band the probe ratios are judged by (host-drift.ts DRIFT_BAND). */
  band: number;
  probe: RoundProbe[];
}

/** One measured sleep and the refill after it, ns. */
export interface SleepPoint {
  sleep_us: number;
  value: number;
  n: number;
}

export interface SwapValue {
  law: Law;
  source: ValueSource;
  from: string;
  spread?: Spread;
}

/** A figure measured on the host that no model cost takes (yet); kept for the record. */
export interface Measurement {
  what: string;
  spread?: Spread;
  fit?: LinearFit;
  /** Per parameter value (threads, ...): the spread at each. */
  by?: Array<{ x: number; spread: Spread }>;
}

export interface CostProfile {
  name: string;
  description: string;
  host: { kernel: string; cpus: number; cpu: string; load: number[]; measured: string } | null;
  costs: Record<CostName, CostValue>;
  io: { swap: SwapValue | null };
  measurements: Record<string, Measurement>;
  /** Present when fitted from several rounds (rounds.ts). */
  rounds?: FitRounds;
}

// ---------------------------------------------------------------- YAML form

const Dur = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const SpreadSchema = z.strictObject({ n: z.number().int().nonnegative(), p10: Dur, p50: Dur, p90: Dur });
const FitSchema = z.strictObject({
  intercept: Dur.or(z.number()),
  slope: z.number(),
  r2: z.number(),
  points: z.array(z.strictObject({ x: z.number(), median: Dur, n: z.number().int().nonnegative() })),
});
const CostValueSchema = z.strictObject({
  value: Dur,
  source: z.enum(SOURCES),
  from: z.string(),
  spread: SpreadSchema.optional(),
  fit: FitSchema.optional(),
  by_sleep: z.array(z.strictObject({ sleep_us: z.number().nonnegative(), value: Dur, n: z.number().int().nonnegative() })).min(1).optional(),
  rounds: z.array(Dur).min(2).optional(),
});
const LawYaml = z.union([
  z.strictObject({ law: z.literal('constant'), value: Dur }),
  z.strictObject({ law: z.literal('empirical'), points: z.array(z.tuple([z.number(), Dur])).min(1) }),
]);
/**
 * Costs added after profiles were recorded with this format (the recordings
 * under recordings/validate keep their P.yaml): a profile without one reads
 * it as 0 (source `default`), the model without that mechanism.
 */
export const LATER_COSTS: ReadonlySet<CostName> = new Set<CostName>(['change_pte_after_sleep', 'copy_pte_after_sleep', 'lock_atomic', 'cacheline_transfer']);
const ProfileSchema = z.strictObject({
  faultline_cost_profile: z.literal(PROFILE_FORMAT),
  name: z.string().min(1),
  description: z.string(),
  host: z.strictObject({
    kernel: z.string(), cpus: z.number().int().positive(), cpu: z.string(), load: z.array(z.number()), measured: z.string(),
  }).nullable(),
  costs: z.strictObject(Object.fromEntries(COST_NAMES.map((n) => [n, LATER_COSTS.has(n) ? CostValueSchema.optional() : CostValueSchema])) as Record<CostName, typeof CostValueSchema>),
  io: z.strictObject({
    swap: z.strictObject({ law: LawYaml, source: z.enum(SOURCES), from: z.string(), spread: SpreadSchema.optional() }).nullable(),
  }),
  measurements: z.record(z.string(), z.strictObject({
    what: z.string(),
    spread: SpreadSchema.optional(),
    fit: FitSchema.optional(),
    by: z.array(z.strictObject({ x: z.number(), spread: SpreadSchema })).optional(),
  })),
  rounds: z.strictObject({
    count: z.number().int().min(2),
    band: z.number().positive(),
    probe: z.array(z.strictObject({ round: z.number().int().positive(), ratios: z.record(z.string(), z.number()), outside: z.boolean() })),
  }).optional(),
});

export class ProfileError extends Error {}

/** Parse and check a profile's YAML text; `source` names it in messages. */
export function parseProfile(text: string, source: string): CostProfile {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new ProfileError(`${source}: YAML error: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = ProfileSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ProfileError(`${source}: ${i.path.join('.') || '(top)'}: ${i.message}${r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : ''}`);
  }
  const d = r.data;
  for (const n of LATER_COSTS) {
    d.costs[n] ??= { value: 0, source: 'default', from: 'not in this profile (recorded before the cost existed): 0' };
  }
  const law = d.io.swap?.law;
  for (const n of COST_NAMES) {
    if (!Number.isFinite(d.costs[n].value)) throw new ProfileError(`${source}: costs.${n}.value: not a duration`);
  }
  return {
    name: d.name,
    description: d.description,
    host: d.host,
    costs: d.costs as Record<CostName, CostValue>,
    io: {
      swap: d.io.swap === null || law === undefined ? null : {
        law: law.law === 'constant' ? { law: 'constant', value: law.value } : { law: 'empirical', points: law.points.map(([p, v]) => [p, v] as [number, number]) },
        source: d.io.swap.source, from: d.io.swap.from, ...(d.io.swap.spread !== undefined ? { spread: d.io.swap.spread } : {}),
      },
    },
    measurements: d.measurements as Record<string, Measurement>,
    ...(d.rounds !== undefined ? { rounds: d.rounds } : {}),
  };
}

/** A duration written readably when that is exact, else in ns (a profile round-trips to the same values). */
function ns(v: number): string {
  const r = Math.round(v);
  const f = formatDuration(r);
  return parseDuration(f) === r ? f : `${r}ns`;
}

function spreadYaml(s: Spread): Record<string, unknown> {
  return { n: s.n, p10: ns(s.p10), p50: ns(s.p50), p90: ns(s.p90) };
}

function fitYaml(f: LinearFit): Record<string, unknown> {
  return {
    intercept: ns(f.intercept), slope: Number(f.slope.toPrecision(4)), r2: Number(f.r2.toFixed(4)),
    points: f.points.map((p) => ({ x: p.x, median: ns(p.median), n: p.n })),
  };
}

function lawYaml(l: Law): Record<string, unknown> {
  if (l.law === 'constant') return { law: 'constant', value: ns(l.value) };
  if (l.law === 'empirical') return { law: 'empirical', points: l.points.map(([p, v]) => [p, ns(v)]) };
  throw new Error(`profile: swap law ${l.law} cannot be written (constant or empirical only)`);
}

/** The profile as YAML (deterministic: same profile, same text). */
export function renderProfile(p: CostProfile): string {
  const doc = {
    faultline_cost_profile: PROFILE_FORMAT,
    name: p.name,
    description: p.description,
    host: p.host,
    costs: Object.fromEntries(COST_NAMES.map((n) => {
      const c = p.costs[n];
      return [n, {
        value: ns(c.value), source: c.source, from: c.from,
        ...(c.spread !== undefined ? { spread: spreadYaml(c.spread) } : {}),
        ...(c.fit !== undefined ? { fit: fitYaml(c.fit) } : {}),
        ...(c.by_sleep !== undefined ? { by_sleep: c.by_sleep.map((b) => ({ sleep_us: b.sleep_us, value: ns(b.value), n: b.n })) } : {}),
        ...(c.rounds !== undefined ? { rounds: c.rounds.map(ns) } : {}),
      }];
    })),
    io: {
      swap: p.io.swap === null ? null : {
        law: lawYaml(p.io.swap.law), source: p.io.swap.source, from: p.io.swap.from,
        ...(p.io.swap.spread !== undefined ? { spread: spreadYaml(p.io.swap.spread) } : {}),
      },
    },
    measurements: Object.fromEntries(Object.entries(p.measurements).map(([k, m]) => [k, {
      what: m.what,
      ...(m.spread !== undefined ? { spread: spreadYaml(m.spread) } : {}),
      ...(m.fit !== undefined ? { fit: fitYaml(m.fit) } : {}),
      ...(m.by !== undefined ? { by: m.by.map((b) => ({ x: b.x, spread: spreadYaml(b.spread) })) } : {}),
    }])),
    ...(p.rounds !== undefined ? {
      rounds: {
        count: p.rounds.count, band: p.rounds.band,
        probe: p.rounds.probe.map((r) => ({ round: r.round, ratios: Object.fromEntries(Object.entries(r.ratios).map(([k, v]) => [k, Number(v.toFixed(3))])), outside: r.outside })),
      },
    } : {}),
  };
  const head = '# faultline cost profile (docs/calibration.md, "Cost profiles"). Values in ns unless a unit is given.\n';
  return head + stringifyYaml(doc, { lineWidth: 0, flowCollectionPadding: false });
}

export function profilesDir(): string {
  return join(repoRoot(), 'profiles');
}

/** Load a profile by path or shipped name. */
export function loadProfile(nameOrPath: string): CostProfile {
  const isPath = /[\\/]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath);
  const file = isPath ? nameOrPath : join(profilesDir(), `${nameOrPath}.yaml`);
  if (!existsSync(file)) {
    throw new ProfileError(isPath ? `cost profile ${nameOrPath}: file not found` : `cost profile ${nameOrPath}: no shipped profile of that name (profiles/*.yaml) and no such file`);
  }
  return parseProfile(readFileSync(file, 'utf8'), isPath ? nameOrPath : `profiles/${nameOrPath}.yaml`);
}

/**
 * The scenario with the profile's costs and swap-in law. `keep` lists cost
 * names the scenario set itself (a scenario's `costs: {profile: P, k: v}`
 * keeps its k); with `swapToo` false the scenario's io.swap stays.
 */
export function applyProfile(sc: Scenario, p: CostProfile, opts: { keep?: ReadonlySet<CostName>; swapToo?: boolean } = {}): Scenario {
  const copy = structuredClone(sc);
  for (const n of COST_NAMES) {
    if (opts.keep?.has(n) === true) continue;
    copy.costs[n] = p.costs[n].value;
  }
  const points = sleepPoints(p, opts.keep);
  if (points !== undefined) copy.after_sleep_points = points;
  else delete copy.after_sleep_points;
  if (opts.swapToo !== false && p.io.swap !== null) copy.io.swap = structuredClone(p.io.swap.law);
  copy.cost_profile = p.name;
  return copy;
}

/** The costs that may carry `by_sleep` points (a fault's refill after a sleep, by kind; an mprotect walk's per page; a fork's copy per present PTE). */
export const AFTER_SLEEP_COSTS = ['fault_after_sleep', 'cached_fault_after_sleep', 'major_fault_after_sleep', 'swapin_fault_after_sleep', 'change_pte_after_sleep', 'copy_pte_after_sleep'] as const;
export type AfterSleepCost = (typeof AFTER_SLEEP_COSTS)[number];

/**
 * The profile's refill-by-sleep points for the scenario (Scenario.after_sleep_points:
 * [sleep ns, refill ns] in sleep order), or undefined when no cost has any;
 * a cost in `keep` (the scenario set it itself) takes none.
 */
export function sleepPoints(p: CostProfile, keep?: ReadonlySet<CostName>): Partial<Record<AfterSleepCost, Array<[number, number]>>> | undefined {
  let out: Partial<Record<AfterSleepCost, Array<[number, number]>>> | undefined;
  for (const n of AFTER_SLEEP_COSTS) {
    const by = p.costs[n].by_sleep;
    if (by === undefined || by.length === 0 || keep?.has(n) === true) continue;
    (out ??= {})[n] = by.map((b) => [Math.round(b.sleep_us * 1000), b.value] as [number, number]).sort((a, b) => a[0] - b[0]);
  }
  return out;
}
