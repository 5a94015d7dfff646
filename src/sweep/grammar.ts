/**
 * The `--param` grammar of `faultline sweep` (docs/visualize.md, "Sweeps"):
 *
 *     param  := PATH '=' item (',' item)*
 *     item   := value | value '..' value [step]
 *     step   := ':' N        N evenly spaced values, both ends included (default :5)
 *             | '~' N        N log-spaced values, both ends included
 *             | '*' F        lo, lo*F, lo*F^2, ... up to hi (F > 1)
 *             | '+' value    lo, lo+S, lo+2S, ... up to hi
 *     value  := number [unit]    unit: ns, us (µs), ms, s
 *
 * `io.read.median=50us..5ms~5` is 50us, 158us, 500us, 1.58ms, 5ms;
 * `cpus=2,4,8`; `threads.main.think.mean=1ms..4ms*2`. With a unit anywhere in
 * a parameter its values are durations (integer ns; bare numbers are ns);
 * otherwise plain numbers. Duplicates are dropped, order is kept.
 */
import { DURATION_UNITS } from '../scenario/index.js';

export class SweepError extends Error {
  override readonly name = 'SweepError';
}

export interface ParamSpec {
  /** Path into the resolved scenario, as written (`io.read.median`). */
  path: string;
  /** Its segments (`[name]` brackets removed). */
  segments: string[];
  values: number[];
  /** 'ns' when any value had a time unit: values are integer ns. */
  kind: 'ns' | 'number';
}

const DEFAULT_POINTS = 5;
const MAX_VALUES = 10_000;
const NUMBER = '(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?';
const VALUE_RE = new RegExp(`^(${NUMBER})\\s*(ns|us|µs|μs|ms|s)?$`, 'u');

interface Scalar { v: number; unit: boolean }

function scalar(text: string, where: string): Scalar {
  const m = VALUE_RE.exec(text.trim());
  if (m === null) throw new SweepError(`${where}: '${text}' is not a number or a duration (e.g. 4, 0.5, 50us, 2ms)`);
  const n = Number(m[1]);
  return m[2] === undefined ? { v: n, unit: false } : { v: n * DURATION_UNITS[m[2]]!, unit: true };
}

/** Split a path into segments: dots separate, `[...]` quotes a segment that contains dots. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  let cur = '', i = 0, closed = false;
  while (i < path.length) {
    const c = path[i]!;
    if (c === '[') {
      const j = path.indexOf(']', i);
      if (j < 0) throw new SweepError(`--param ${path}: '[' without ']'`);
      if (cur !== '') out.push(cur);
      out.push(path.slice(i + 1, j));
      cur = '';
      closed = true;
      i = j + 1;
    } else if (c === '.') {
      if (!closed) out.push(cur);
      cur = '';
      closed = false;
      i++;
    } else {
      cur += c;
      closed = false;
      i++;
    }
  }
  if (!closed) out.push(cur);
  if (out.some((s) => s === '')) throw new SweepError(`--param ${path}: empty path segment (write a.b.c; [name] for a name with dots)`);
  return out;
}

function range(lo: Scalar, hi: Scalar, step: string, where: string): Scalar[] {
  const unit = lo.unit || hi.unit;
  if (hi.v < lo.v) throw new SweepError(`${where}: the range goes down (${lo.v} > ${hi.v}); write it low..high`);
  const out: number[] = [];
  const kind = step === '' ? ':' : step[0]!;
  const arg = step === '' ? String(DEFAULT_POINTS) : step.slice(1);
  if (kind === ':' || kind === '~') {
    if (!/^[0-9]+$/.test(arg) || Number(arg) < 1) throw new SweepError(`${where}: '${kind}${arg}' needs a whole number of values >= 1`);
    const n = Number(arg);
    if (n > MAX_VALUES) throw new SweepError(`${where}: ${n} values is too many (at most ${MAX_VALUES})`);
    if (kind === '~' && lo.v <= 0) throw new SweepError(`${where}: log spacing (~) needs a range above 0`);
    for (let k = 0; k < n; k++) {
      const f = n === 1 ? 0 : k / (n - 1);
      out.push(kind === ':' ? lo.v + (hi.v - lo.v) * f : lo.v * Math.pow(hi.v / lo.v, f));
    }
  } else if (kind === '*') {
    const f = Number(arg);
    if (!(f > 1) || !Number.isFinite(f)) throw new SweepError(`${where}: '*${arg}' needs a factor > 1`);
    if (lo.v <= 0) throw new SweepError(`${where}: geometric steps (*) need a range above 0`);
    for (let k = 0; ; k++) {
      const v = lo.v * Math.pow(f, k);
      if (v > hi.v * (1 + 1e-9)) break;
      out.push(Math.min(v, hi.v));
      if (out.length > MAX_VALUES) throw new SweepError(`${where}: more than ${MAX_VALUES} values`);
    }
  } else if (kind === '+') {
    const s = scalar(arg, where);
    if (!(s.v > 0)) throw new SweepError(`${where}: '+${arg}' needs a step > 0`);
    for (let k = 0; ; k++) {
      const v = lo.v + s.v * k;
      if (v > hi.v * (1 + 1e-9) + 1e-9) break;
      out.push(Math.min(v, hi.v));
      if (out.length > MAX_VALUES) throw new SweepError(`${where}: more than ${MAX_VALUES} values`);
    }
    return out.map((v) => ({ v, unit: unit || s.unit }));
  } else {
    throw new SweepError(`${where}: unknown step '${step}' (use :N, ~N, *F or +S)`);
  }
  return out.map((v) => ({ v, unit }));
}

/** Round away float noise: integer ns for durations, 12 significant digits otherwise. */
function tidy(v: number, ns: boolean): number {
  return ns ? Math.round(v) : Number(v.toPrecision(12));
}

/** Parse one `--param PATH=VALUES`. */
export function parseParam(arg: string): ParamSpec {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new SweepError(`--param '${arg}': expected PATH=VALUES (e.g. io.read.median=50us..5ms~5)`);
  const path = arg.slice(0, eq).trim();
  const segments = splitPath(path);
  const where = `--param ${path}`;
  const body = arg.slice(eq + 1).trim();
  if (body === '') throw new SweepError(`${where}: no values after '='`);
  const items: Scalar[] = [];
  for (const part of body.split(',')) {
    const p = part.trim();
    if (p === '') throw new SweepError(`${where}: empty item in '${body}'`);
    const m = /^(.*?)\.\.([^:~*+]*)([:~*+].*)?$/u.exec(p);
    if (m === null) items.push(scalar(p, where));
    else items.push(...range(scalar(m[1]!, where), scalar(m[2]!, where), (m[3] ?? '').trim(), where));
  }
  const ns = items.some((s) => s.unit);
  const values: number[] = [];
  for (const s of items) {
    const v = tidy(s.v, ns);
    if (!values.includes(v)) values.push(v);
  }
  if (values.length > MAX_VALUES) throw new SweepError(`${where}: more than ${MAX_VALUES} values`);
  return { path, segments, values, kind: ns ? 'ns' : 'number' };
}
