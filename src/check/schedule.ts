/**
 * A schedule is the identity of an execution: which threads (and ops) the
 * scenario keeps, and every choice made, both the thread picked at each step
 * and each data choice. Encoded as one short string to paste on a command line
 * (`fl1.` + base64url of varints), in the manner of Shuttle's serialized
 * schedules.
 */

export type ScheduleStep = { readonly k: 't'; readonly id: number } | { readonly k: 'c'; readonly v: number };

export interface Schedule {
  /** Ops each scenario thread runs (0: left out by shrinking). */
  readonly mask: readonly number[];
  readonly steps: readonly ScheduleStep[];
}

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

const PREFIX = 'fl1.';

function pushVarint(out: number[], n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new ScheduleError(`cannot encode ${n}`);
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

/** Encode a schedule as `fl1.<base64url>`. */
export function encodeSchedule(s: Schedule): string {
  const b: number[] = [];
  pushVarint(b, s.mask.length);
  for (const m of s.mask) pushVarint(b, m);
  pushVarint(b, s.steps.length);
  for (const st of s.steps) pushVarint(b, st.k === 't' ? st.id * 2 : st.v * 2 + 1);
  return PREFIX + Buffer.from(b).toString('base64url');
}

/** Decode `fl1.<base64url>`; throws ScheduleError naming what is wrong. */
export function decodeSchedule(text: string): Schedule {
  const t = text.trim();
  if (!t.startsWith(PREFIX)) throw new ScheduleError(`it does not start with '${PREFIX}'`);
  const body = t.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) throw new ScheduleError('it contains characters outside base64url');
  const b = Buffer.from(body, 'base64url');
  let i = 0;
  const next = (): number => {
    let n = 0, mul = 1;
    for (;;) {
      if (i >= b.length) throw new ScheduleError('it is truncated');
      const x = b[i++]!;
      n += (x & 0x7f) * mul;
      if ((x & 0x80) === 0) return n;
      mul *= 0x80;
      if (mul > 2 ** 49) throw new ScheduleError('it holds a malformed number');
    }
  };
  const nmask = next();
  if (nmask > 64) throw new ScheduleError(`its thread count decodes to ${nmask}, more than a scenario can have (64)`);
  const mask: number[] = [];
  for (let k = 0; k < nmask; k++) mask.push(next());
  const nsteps = next();
  const steps: ScheduleStep[] = [];
  for (let k = 0; k < nsteps; k++) {
    const x = next();
    steps.push(x % 2 === 0 ? { k: 't', id: x / 2 } : { k: 'c', v: (x - 1) / 2 });
  }
  if (i !== b.length) throw new ScheduleError('it has trailing bytes');
  return { mask, steps };
}

/** Number of thread steps (scheduling decisions) in a schedule. */
export function threadSteps(s: Schedule): number {
  let n = 0;
  for (const st of s.steps) if (st.k === 't') n++;
  return n;
}
