/**
 * Setting a swept parameter in a resolved scenario (src/scenario/types.ts).
 * A path walks objects by key and lists by element `name` (or `group` for
 * threads: `threads.Binder.think.mean` sets every Binder thread), or by index.
 * The last segment names a number, with three conveniences:
 *
 * - a latency law as a whole (`io.read=2ms`) becomes a constant law;
 * - `<law>.scale` multiplies every time of the law (works for empirical laws);
 * - `vmas.<group>.count` resizes the group (new VMAs repeat the last size),
 *   and `vmas.<group>.pages` sets the size of every VMA of the group.
 *
 * Times are integer ns; fields other than sigma, resident, weight and scale
 * are rounded to integers.
 */
import type { Law, Scenario } from '../scenario/types.js';
import { SweepError, type ParamSpec } from './grammar.js';

const FLOAT_KEYS = new Set(['sigma', 'resident', 'weight', 'scale']);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isLaw(v: unknown): v is Law {
  return isObj(v) && typeof v.law === 'string';
}

function scaleLaw(l: Law, f: number): void {
  switch (l.law) {
    case 'constant': l.value = Math.round(l.value * f); break;
    case 'exponential': l.mean = Math.round(l.mean * f); break;
    case 'lognormal': l.median = Math.round(l.median * f); break;
    case 'uniform': l.min = Math.round(l.min * f); l.max = Math.round(l.max * f); break;
    case 'empirical': l.points = l.points.map(([p, ns]) => [p, Math.round(ns * f)]); break;
  }
}

/** The objects `segs` leads to (several when a segment names a thread group). */
function walk(root: Obj, segs: readonly string[], where: string): Obj[] {
  let cur: unknown[] = [root];
  segs.forEach((seg, i) => {
    const next: unknown[] = [];
    for (const c of cur) {
      const at = segs.slice(0, i).join('.') || '(scenario)';
      if (Array.isArray(c)) {
        const byName = c.filter((x) => isObj(x) && x.name === seg);
        const byGroup = byName.length === 0 ? c.filter((x) => isObj(x) && x.group === seg) : [];
        const byIndex = /^[0-9]+$/.test(seg) && Number(seg) < c.length ? [c[Number(seg)]] : [];
        const found = byName.length !== 0 ? byName : byGroup.length !== 0 ? byGroup : byIndex;
        if (found.length === 0) {
          const names = c.filter(isObj).map((x) => String(x.name)).slice(0, 12);
          throw new SweepError(`${where}: ${at} has no element named '${seg}' (names: ${names.join(', ')}${c.length > 12 ? ', ...' : ''}; or an index 0..${c.length - 1})`);
        }
        next.push(...found);
      } else if (isObj(c)) {
        if (!Object.prototype.hasOwnProperty.call(c, seg)) {
          throw new SweepError(`${where}: ${at} has no '${seg}' (it has: ${Object.keys(c).join(', ')})`);
        }
        next.push(c[seg]);
      } else {
        throw new SweepError(`${where}: ${at} is a value, not an object or a list`);
      }
    }
    cur = next;
  });
  return cur.map((c) => {
    if (!isObj(c) && !Array.isArray(c)) throw new SweepError(`${where}: does not lead to an object`);
    return c as Obj;
  });
}

/** Set `param` to `value` in `sc` (a copy the caller owns). */
export function setParam(sc: Scenario, param: ParamSpec, value: number): void {
  const where = `--param ${param.path}`;
  const segs = param.segments;
  const key = segs[segs.length - 1]!;
  for (const obj of walk(sc as unknown as Obj, segs.slice(0, -1), where)) {
    if (key === 'scale' && isLaw(obj)) {
      if (!(value >= 0)) throw new SweepError(`${where}: scale must be >= 0, got ${value}`);
      scaleLaw(obj, value);
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(obj, key)) {
      const hint = isLaw(obj) ? ` (a ${obj.law} law; '.scale' multiplies any law)` : '';
      throw new SweepError(`${where}: ${segs.slice(0, -1).join('.') || '(scenario)'} has no '${key}'${hint} (it has: ${Object.keys(obj).join(', ')})`);
    }
    const cur = obj[key];
    if (value < 0 || !Number.isFinite(value)) throw new SweepError(`${where}: ${value} is not a value >= 0`);
    const v = FLOAT_KEYS.has(key) ? value : Math.round(value);
    if (isLaw(cur)) {
      obj[key] = { law: 'constant', value: Math.round(value) } satisfies Law;
    } else if (key === 'count' && Array.isArray(obj.pages)) {
      if (v < 1) throw new SweepError(`${where}: count must be >= 1, got ${value}`);
      const pages = obj.pages as number[];
      obj.pages = Array.from({ length: v }, (_, i) => pages[Math.min(i, pages.length - 1)]!);
      obj.count = v;
    } else if (key === 'pages' && Array.isArray(cur)) {
      if (v < 1) throw new SweepError(`${where}: pages must be >= 1, got ${value}`);
      obj.pages = cur.map(() => v);
    } else if (typeof cur === 'number' || (key === 'cpus' && cur === null)) {
      if (key === 'cpus' && v < 1) throw new SweepError(`${where}: cpus must be >= 1, got ${value}`);
      if (key === 'resident' && v > 1) throw new SweepError(`${where}: resident is a fraction (0..1), got ${value}`);
      obj[key] = v;
    } else {
      throw new SweepError(`${where}: '${key}' is ${Array.isArray(cur) ? 'a list' : typeof cur}, not a number`);
    }
  }
  if (sc.warmup >= sc.duration) throw new SweepError(`${where}: warm-up (${sc.warmup}ns) must stay shorter than the duration (${sc.duration}ns)`);
}

/** The scenario of one sweep point: a copy of `base` with each parameter set. */
export function scenarioAt(base: Scenario, params: readonly ParamSpec[], point: readonly number[]): Scenario {
  const sc = structuredClone(base);
  params.forEach((p, i) => setParam(sc, p, point[i]!));
  return sc;
}
