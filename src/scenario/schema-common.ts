/**
 * Building blocks of the scenario file schema (./schema.ts, ./schema-ops.ts):
 * the metadata registry for the JSON Schema, error texts, durations, sizes,
 * latency laws, bounded integers and the size limits.
 */
import { z } from 'zod';
import { DURATION_PATTERN, durationProblem, MAX_DURATION_NS, parseDuration } from './units.js';
import { describeValue } from './errors.js';

/** Largest seed, everywhere (scenario files, --seed, --seed + --seeds - 1): the generator takes a 32-bit signed seed. */
export const MAX_SEED = 0x7fffffff;

/** Metadata for the JSON Schema (kept out of zod's global registry). */
export const schemaMeta = z.registry<{ id?: string; title?: string; description?: string }>();

export function doc<T extends z.ZodType>(s: T, description: string, id?: string): T {
  schemaMeta.add(s as z.ZodType, id === undefined ? { description } : { id, description });
  return s;
}

/** Error text for a value of the wrong shape: "missing required field" or "expected X, got Y". */
export function expecting(what: string) {
  return (iss: { code?: string; input?: unknown; note?: string }): string | undefined => {
    // Issues about the inside of a value (unknown keys, a bad discriminator) keep their own message.
    if (iss.code === 'unrecognized_keys' || iss.code === 'invalid_key' || iss.code === 'invalid_element') return undefined;
    if (iss.code === 'invalid_union' && iss.note !== undefined) return undefined;
    return iss.input === undefined ? `missing required field (expected ${what})` : `expected ${what}, got ${describeValue(iss.input)}`;
  };
}

export const DURATION_TEXT = 'a duration such as "17.7us", or a number of ns';

/** A duration: number of ns, or a string with a unit. */
export const DurationSchema = doc(
  z.union(
    [
      z.number().nonnegative({ error: (iss) => durationProblem(iss.input) ?? 'invalid duration' })
        .max(MAX_DURATION_NS, { error: (iss) => durationProblem(iss.input) ?? 'invalid duration' }),
      z.string().regex(new RegExp(DURATION_PATTERN, 'u'), { error: (iss) => durationProblem(iss.input) ?? 'invalid duration' })
        .refine((v) => durationProblem(v) === null, { error: (iss) => durationProblem(iss.input) ?? 'invalid duration' }),
    ],
    { error: (iss) => (typeof iss.input === 'number' ? durationProblem(iss.input) : null) ?? expecting(DURATION_TEXT)(iss) },
  ),
  'A duration: a number is nanoseconds; a string carries a unit: ns, us (or µs), ms, s. Examples: 500, "500ns", "17.7us", "2ms", "1.5s".',
  'Duration',
);

/** A memory size: a number of 4 KiB pages, or a string with a unit (KiB, MiB, GiB). */
export const SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?(KiB|MiB|GiB)$';
export const SIZE_TEXT = 'a size such as "64MiB", or a number of 4 KiB pages';
export const SizeSchema = doc(
  z.union(
    [
      z.number().int({ error: expecting(SIZE_TEXT) }).positive({ error: expecting(SIZE_TEXT) }),
      z.string().regex(new RegExp(SIZE_PATTERN, 'u'), { error: expecting(SIZE_TEXT) }),
    ],
    { error: expecting(SIZE_TEXT) },
  ),
  'A memory size: a number is 4 KiB pages; a string carries a unit: KiB, MiB, GiB (powers of 1024). Examples: 16384, "64MiB", "1.5GiB".',
  'Size',
);

/** `pN` (N in 0..100, decimals allowed) or `max`. */
export const PERCENTILE_KEY_PATTERN = '^(p[0-9]+(\\.[0-9]+)?|max)$';

export const lawField = (d: string) => doc(DurationSchema.clone(), d);

export const LawObjectSchema = z.discriminatedUnion('law', [
  z.strictObject({
    law: z.literal('constant'),
    value: lawField('The value every draw returns.'),
  }),
  z.strictObject({
    law: z.literal('exponential'),
    mean: lawField('Mean of the exponential distribution.'),
  }),
  z.strictObject({
    law: z.literal('lognormal'),
    median: lawField('Median (e^mu) of the lognormal distribution.'),
    sigma: doc(
      z.number({ error: expecting('a number > 0') }).positive({ error: expecting('a number > 0') }),
      'Standard deviation of the underlying normal (dimensionless), > 0.',
    ),
  }),
  z.strictObject({
    law: z.literal('uniform'),
    min: lawField('Smallest value.'),
    max: lawField('Largest value (>= min).'),
  }),
  z.strictObject({
    law: z.literal('empirical'),
    points: doc(
      z.union(
        [
          z.record(
            z
              .string()
              .regex(new RegExp(PERCENTILE_KEY_PATTERN), {
                error: (iss) =>
                  `invalid percentile key ${JSON.stringify(iss.input)} (expected pN with N from 0 to 100, e.g. p50 or p99.9, or max)`,
              }),
            DurationSchema,
          ),
          z
            .array(
              z.tuple([z.number({ error: expecting('a percentile from 0 to 100') }), DurationSchema], {
                error: expecting('a [percentile, duration] pair'),
              }),
            )
            .min(1, { error: 'must not be empty' }),
        ],
        { error: expecting('a mapping {p50: 172us, ..., max: 2ms} or a list of [percentile, duration] pairs') },
      ),
      'Percentile points of the inverse CDF: a mapping from pN (N in 0..100, e.g. p99.9) or max (= p100) to a duration, or a list of [percentile, duration] pairs. Percentiles must increase, values must not decrease, and the last point must be p100 (max).',
    ),
  }),
]);

/** A latency law; a bare duration is shorthand for `{law: constant, value: d}`. */
export const LawSchema = doc(
  z.union([DurationSchema, LawObjectSchema], {
    error: expecting(
      'a latency law: a duration such as "17.7us", or a mapping with law: constant | exponential | lognormal | uniform | empirical',
    ),
  }),
  'A latency law. A bare duration is a constant. Otherwise one of {law: constant, value}, {law: exponential, mean}, {law: lognormal, median, sigma}, {law: uniform, min, max}, {law: empirical, points}.',
  'Law',
);

export const Bool = (d: string) => doc(z.boolean({ error: expecting('true or false') }).optional(), d);
export const Int = (min: number, what = `an integer >= ${min}`) =>
  z
    .number({ error: expecting(what) })
    .int({ error: expecting(what) })
    .min(min, { error: expecting(what) });
/** ns of a valid duration; Infinity for an invalid one (its own schema reports it). */
export const parseDurationSafe = (v: number | string): number => (durationProblem(v) === null ? parseDuration(v) : Infinity);
/** An integer in [min, max] (every count and size in a scenario has an upper bound: LIMITS). */
export const Bounded = (min: number, max: number) => Int(min, `an integer from ${min} to ${max}`).max(max, { error: expecting(`an integer from ${min} to ${max}`) });

/**
 * Upper bounds of scenario sizes, documented in docs/scenario-format.md
 * ("Limits"): each is far above the built-ins (android-app: ~1,500 VMAs, 15
 * threads) and keeps every run finite and within the engines' integer
 * ranges (page offsets index Int32Array tables; simulated times stay below
 * 2^53 ns: MAX_DURATION_NS in ./units.ts).
 */
export const LIMITS = {
  /** VMAs in a scenario, over all groups. */
  vmas: 50_000,
  /** Pages of one VMA (4 TiB of 4 KiB pages). */
  pages: 2 ** 30,
  /** Threads in a scenario, over all groups. */
  threads: 4096,
  /** CPUs. */
  cpus: 4096,
  /** Back-to-back repetitions of one op. */
  repeat: 100_000,
  /** Shortest frame period (a 1 ns vsync would be 10^9 frames a second). */
  minFramePeriodNs: 100_000,
} as const;
export const Name = (d: string) =>
  doc(
    z
      .string({ error: expecting('a name') })
      .regex(/^[A-Za-z0-9_.-]+$/, { error: expecting('a name made of letters, digits, _ . -') }),
    d,
  );

