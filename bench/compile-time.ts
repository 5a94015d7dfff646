/**
 * `node dist/bench/compile-time.js FILE...` or
 * `node dist/bench/compile-time.js --run [--repeat N] [--top K] [--json] -- FAULTLINE-ARGS...`
 *
 * Where TurboFan's compile time goes, function by function and isolate by
 * isolate (bench/README.md, "Compile time per isolate (twelfth session)").
 * V8's `--trace-opt` prints, for each optimised compile, "completed
 * compiling F ... took A, B, C ms" (graph building, optimisation, code
 * generation), and `--trace-deopt` each deopt's reason and function. With
 * `--redirect-code-traces` V8 writes both to one file per isolate,
 * `code-PID-ISOLATE.asm`, so `--jobs 2`'s two isolates come apart (on
 * stdout their lines interleave, and node 20 prints no isolate prefix).
 *
 * - FILE...: each file is one isolate's trace (a `code-*.asm`, or the
 *   stdout of a one-isolate process run with `--trace-opt --trace-deopt`).
 * - `--run`: runs `node --trace-opt --trace-deopt --redirect-code-traces
 *   bin/faultline.js FAULTLINE-ARGS` (this tree's), N times
 *   (`--repeat`), reads the isolates' files and prints each process's
 *   compile ms per isolate, then the table of the last process.
 *
 * The table ranks functions by total compile ms (all isolates together):
 * compiles (OSR ones counted apart), aborted compiles (their time counts
 * too), the three phases, ms per isolate, and the deopts and
 * "marking dependent code" that threw the function's code away, by reason.
 * With `--json` the last line is the whole summary as JSON. A function is known by its
 * name; several functions of one name in an isolate (every class's
 * `begin`) are told apart by the order their SharedFunctionInfo first
 * appears in the trace (`begin`, `begin#2`, ...), and matched across
 * isolates by that label, so with such names the match is by first use,
 * not by source position.
 *
 * The timings are V8's own clock on the compiler thread: under load they
 * grow with it, so quote proportions or medians of several processes.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

/** One finished (or aborted) TurboFan compile. */
export interface CompileEvent {
  name: string;
  sfi: string;
  osr: boolean;
  aborted: boolean;
  /** Graph building, optimisation, code generation (ms). */
  phases: [number, number, number];
}

/** One deopt (`[bailout ...`) or one batch mark (`[marking dependent code ...`). */
export interface DeoptEvent {
  name: string;
  /** The SharedFunctionInfo's address; '' for "marking dependent code" (the trace gives the Code's only). */
  sfi: string;
  /** `deopt-eager`, `deopt-lazy`, `deopt-soft`, ..., or `dependent` for a batch mark. */
  kind: string;
  reason: string;
}

export interface IsolateTrace {
  compiles: CompileEvent[];
  deopts: DeoptEvent[];
  /** name/sfi -> label (`name`, `name#2`, ... in order of first appearance). */
  labels: Map<string, string>;
}

const FN = String.raw`<JSFunction (.*?) \(sfi = (0x[0-9a-f]+)\)>`;
const COMPILE = new RegExp(String.raw`^\[(completed compiling|aborted optimizing) 0x[0-9a-f]+ ${FN} \(target TURBOFAN\)( OSR)?.* - took ([0-9.]+), ([0-9.]+), ([0-9.]+) ms\]`);
const BAILOUT = new RegExp(String.raw`^\[bailout \(kind: ([\w-]+), reason: (.*?)\): begin\. deoptimizing 0x[0-9a-f]+ ${FN}`);
const DEPENDENT = /^\[marking dependent code 0x[0-9a-f]+ <Code \w+> \(0x[0-9a-f]+ <SharedFunctionInfo (.*?)>\) \(opt id \d+\) for deoptimization, reason: (.*?)\]/;
const ANY_FN = new RegExp(FN, 'g');

/** Parse one isolate's trace. Lines that are not compiles or deopts are skipped. */
export function parseTrace(text: string): IsolateTrace {
  const compiles: CompileEvent[] = [];
  const deopts: DeoptEvent[] = [];
  const labels = new Map<string, string>();
  const perName = new Map<string, number>();
  const label = (name: string, sfi: string): string => {
    const key = `${name}/${sfi}`;
    let l = labels.get(key);
    if (l === undefined) {
      const n = (perName.get(name) ?? 0) + 1;
      perName.set(name, n);
      l = n === 1 ? name : `${name}#${n}`;
      labels.set(key, l);
    }
    return l;
  };
  for (const line of text.split('\n')) {
    if (!line.startsWith('[')) continue;
    for (const m of line.matchAll(ANY_FN)) label(m[1]!, m[2]!);
    let m = COMPILE.exec(line);
    if (m !== null) {
      compiles.push({
        name: m[2]!, sfi: m[3]!, osr: m[4] !== undefined, aborted: m[1] === 'aborted optimizing',
        phases: [Number(m[5]), Number(m[6]), Number(m[7])],
      });
      continue;
    }
    m = BAILOUT.exec(line);
    if (m !== null) {
      deopts.push({ kind: m[1]!, reason: m[2]!, name: m[3]!, sfi: m[4]! });
      continue;
    }
    m = DEPENDENT.exec(line);
    if (m !== null) deopts.push({ kind: 'dependent', reason: m[2]!, name: m[1]!, sfi: '' });
  }
  return { compiles, deopts, labels };
}

export interface FunctionRow {
  label: string;
  /** Finished compiles, OSR included. */
  compiles: number;
  osr: number;
  aborted: number;
  totalMs: number;
  phasesMs: [number, number, number];
  /** Compile ms per isolate, in the order given. */
  perIsolateMs: number[];
  /** Compiles per isolate. */
  perIsolateCompiles: number[];
  /** `kind: reason` -> count, all isolates. */
  deopts: Record<string, number>;
}

export interface Summary {
  isolates: { compiles: number; aborted: number; deopts: number; totalMs: number }[];
  functions: FunctionRow[];
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Sum the compiles per function and per isolate, ranked by total ms (then label). */
export function summarise(traces: readonly IsolateTrace[]): Summary {
  const rows = new Map<string, FunctionRow>();
  const row = (l: string): FunctionRow => {
    let r = rows.get(l);
    if (r === undefined) {
      r = {
        label: l, compiles: 0, osr: 0, aborted: 0, totalMs: 0, phasesMs: [0, 0, 0],
        perIsolateMs: traces.map(() => 0), perIsolateCompiles: traces.map(() => 0), deopts: {},
      };
      rows.set(l, r);
    }
    return r;
  };
  const isolates = traces.map((t, i) => {
    let totalMs = 0;
    let aborted = 0;
    for (const c of t.compiles) {
      const r = row(t.labels.get(`${c.name}/${c.sfi}`)!);
      const ms = c.phases[0] + c.phases[1] + c.phases[2];
      if (c.aborted) { r.aborted++; aborted++; } else { r.compiles++; r.perIsolateCompiles[i]!++; }
      if (c.osr && !c.aborted) r.osr++;
      r.totalMs += ms;
      r.perIsolateMs[i]! += ms;
      for (let p = 0; p < 3; p++) r.phasesMs[p]! += c.phases[p]!;
      totalMs += ms;
    }
    for (const d of t.deopts) {
      // A batch mark names the function, not its SharedFunctionInfo: the first of that name.
      const l = d.sfi === '' ? d.name : t.labels.get(`${d.name}/${d.sfi}`)!;
      const r = row(l);
      const key = `${d.kind}: ${d.reason}`;
      r.deopts[key] = (r.deopts[key] ?? 0) + 1;
    }
    return { compiles: t.compiles.length - aborted, aborted, deopts: t.deopts.filter((d) => d.kind !== 'dependent').length, totalMs: round3(totalMs) };
  });
  const functions = [...rows.values()].map((r) => ({
    ...r, totalMs: round3(r.totalMs), phasesMs: r.phasesMs.map(round3) as [number, number, number], perIsolateMs: r.perIsolateMs.map(round3),
  }));
  functions.sort((a, b) => b.totalMs - a.totalMs || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return { isolates, functions };
}

/** The ranked table, `top` rows, as text. */
export function formatTable(s: Summary, top: number): string {
  const out: string[] = [];
  const total = s.isolates.reduce((a, i) => a + i.totalMs, 0);
  s.isolates.forEach((iso, i) => out.push(`isolate ${i}: ${iso.compiles} compiles, ${iso.aborted} aborted, ${iso.deopts} deopts, ${iso.totalMs.toFixed(1)} ms compiling`));
  out.push(`| # | function | ms | % | compiles (OSR) | ms per isolate | graph / optimise / codegen ms | deopts and marks |`);
  out.push(`|---:|---|---:|---:|---:|---|---|---|`);
  s.functions.slice(0, top).forEach((r, i) => {
    const deopts = Object.entries(r.deopts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}x ${k}`).join('; ');
    const compiles = `${r.compiles}${r.osr > 0 ? ` (${r.osr})` : ''}${r.aborted > 0 ? ` +${r.aborted} aborted` : ''}`;
    out.push(`| ${i + 1} | ${r.label} | ${r.totalMs.toFixed(1)} | ${total > 0 ? (100 * r.totalMs / total).toFixed(1) : '0'} | ${compiles} | ${r.perIsolateMs.map((m) => m.toFixed(1)).join(' / ')} | ${r.phasesMs.map((m) => m.toFixed(1)).join(' / ')} | ${deopts} |`);
  });
  return out.join('\n');
}

/**
 * Run faultline (this tree's bin/) with the traces redirected; the isolates' traces, in isolate id order. V8
 * writes `code-PID-ISOLATE.asm` into the working directory (this process's, so relative scenario paths work):
 * they are read and removed.
 */
export function traceRun(args: readonly string[]): IsolateTrace[] {
  const bin = resolve(import.meta.dirname, '..', '..', 'bin', 'faultline.js');
  const r = spawnSync(process.execPath, ['--trace-opt', '--trace-deopt', '--redirect-code-traces', bin, ...args],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const files = readdirSync('.').filter((f) => f.startsWith(`code-${r.pid}-`) && f.endsWith('.asm'))
    .sort((a, b) => Number(a.slice(a.lastIndexOf('-') + 1, -4)) - Number(b.slice(b.lastIndexOf('-') + 1, -4)));
  const traces = files.map((f) => parseTrace(readFileSync(f, 'utf8')));
  for (const f of files) rmSync(f);
  if (r.status !== 0) throw new Error(`faultline ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return traces;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      run: { type: 'boolean', default: false },
      repeat: { type: 'string', default: '1' },
      top: { type: 'string', default: '15' },
      json: { type: 'boolean', default: false },
    },
  });
  const top = Number(values.top);
  let summary: Summary;
  if (values.run) {
    const repeat = Number(values.repeat);
    let last: IsolateTrace[] = [];
    const totals: number[][] = [];
    for (let i = 0; i < repeat; i++) {
      last = traceRun(positionals);
      const s = summarise(last);
      totals.push(s.isolates.map((iso) => iso.totalMs));
      console.log(`process ${i + 1}: compile ms per isolate ${s.isolates.map((iso) => `${iso.totalMs.toFixed(1)} (${iso.compiles} compiles, ${iso.deopts} deopts)`).join(', ')}`);
    }
    if (repeat > 1) {
      const med = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[(s.length - 1) >> 1]!; };
      const width = Math.max(...totals.map((t) => t.length));
      const medians = Array.from({ length: width }, (_, k) => med(totals.map((t) => t[k] ?? 0)));
      console.log(`median compile ms per isolate: ${medians.map((m) => m.toFixed(1)).join(', ')}; all isolates ${med(totals.map((t) => t.reduce((a, b) => a + b, 0))).toFixed(1)}`);
    }
    summary = summarise(last);
  } else {
    if (positionals.length === 0) throw new Error('give trace files, or --run -- FAULTLINE-ARGS');
    summary = summarise(positionals.map((f) => parseTrace(readFileSync(f, 'utf8'))));
  }
  console.log(formatTable(summary, top));
  if (values.json) console.log(JSON.stringify(summary));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
