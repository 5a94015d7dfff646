/**
 * Chrome JSON trace text, written the way Perfetto's importer reads it
 * (perfetto src/trace_processor/importers/json): timestamps in µs with three
 * decimals (ns precision, no `displayTimeUnit`), integer pid/tid, and strings
 * without `\uXXXX` escapes (older trace processors reject them).
 */

/** Simulated ns (integer) as µs with exactly three decimals: 1234567 -> "1234.567". */
export function us(ns: number): string {
  const n = Math.round(ns);
  const neg = n < 0 ? '-' : '';
  const a = Math.abs(n);
  const frac = a % 1000;
  return `${neg}${(a - frac) / 1000}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/**
 * A string that JSON.stringify writes without `\u` escapes: control
 * characters become spaces, lone surrogates U+FFFD.
 */
export function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** A JSON string literal of `s` (cleaned). */
export function str(s: string): string {
  return JSON.stringify(clean(s));
}

export type ArgValue = string | number | boolean;
export type Args = Record<string, ArgValue>;

/** An `args` object literal; strings cleaned, numbers finite. */
export function args(a: Args): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(a)) {
    const val = typeof v === 'string' ? str(v) : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'null') : String(v);
    parts.push(`${str(k)}:${val}`);
  }
  return `{${parts.join(',')}}`;
}
