/**
 * `faultline check SCENARIO --strategy … --fork …`: the command, as a function
 * the CLI (src/cli/main.ts) can call. Prints reports, picks the exit code:
 * 0 search complete and nothing found; 1 violation or deadlock found;
 * 2 bad input (scenario, strategy, option, schedule, replay divergence);
 * 3 bounded or sampled search found nothing but is incomplete.
 * Wall time for the report comes from process.hrtime (CLI layer only).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseFaultList, parseForkList } from '../cli/options.js';
import { UsageError } from '../cli/io.js';
import { ScenarioError } from '../scenario/errors.js';
import { ALL_FAULT_STRATEGIES, FAULT_STRATEGIES, faultStrategy, FORK_STRATEGIES, forkStrategy, StrategyError } from '../strategies/index.js';
import { checkAsync, type CheckReport, type Mode } from './check.js';
import { NondeterminismError } from './dfs.js';
import { DEFAULT_HUNT } from './hunt.js';
import { formatReport, replayCommand, type ReplayLine } from './format.js';
import { counterexampleTrace } from './trace.js';
import { INJECTION_NAMES, INJECTIONS, isInjection, type Injection } from './inject.js';
import { INVARIANT_NAMES, INVARIANTS, isInvariantName, type InvariantName } from './invariants.js';
import { ReplayDivergence } from './replay.js';
import { decodeSchedule, ScheduleError } from './schedule.js';
import { listCheckScenarios, loadCheckScenario } from './scenario.js';
import type { SearchStats } from './search.js';

export interface CheckIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const CHECK_EXIT = { CLEAN: 0, VIOLATION: 1, BAD_INPUT: 2, INCOMPLETE: 3 } as const;


/** Default --time-limit. */
export const DEFAULT_TIME_LIMIT = '10m';

export const CHECK_USAGE = `usage: faultline check SCENARIO [options]

SCENARIO is a built-in check scenario (see --list) or a check-scenario file.

  --strategy LIST          fault strategies, comma-separated (default mainline; 'all')
  --fork LIST              fork strategies, comma-separated (default fork-lock-all; 'all')
  --mode dfs|random|pct    search mode (default dfs: exhaustive, DPOR, sleep sets, state caching)
  --preemption-bound N     dfs: explore only executions with at most N preemptions
  --no-dpor                dfs: sleep sets only, no dynamic partial-order reduction
  --no-por                 dfs: no partial-order reduction at all (for comparison)
  --no-state-cache         dfs: stateless (re-explore states reached again; for comparison)
  --coarse-cuts            dfs: at a state explored before, add every task that can start a
                           race's reversal instead of the ones its stored first steps name
                           (the rule before precise cut summaries; for comparison)
  --hunt-preemptions N     dfs: before the complete search, bug-hunting passes with at most
                           0, 1, .. N preemptions (default ${DEFAULT_HUNT})
  --no-hunt                dfs: no bug-hunting passes (the complete search alone)
  --fine-steps             every effect a scheduling point (default: a sub-step that
                           touches no shared field is merged into the next)
  --iterations N           random/pct: executions to sample (default 1000)
  --seed N                 random/pct: seed (default 1)
  --pct-depth D            pct: bug depth d (default 3)
  --invariant NAME         check only these invariants (repeatable)
  --no-invariant NAME      do not check NAME (repeatable)
  --inject NAME            turn on a model mutation (repeatable; see --list)
  --param NAME=VALUE       set a scenario parameter (repeatable)
  --max-steps N            steps per execution before it counts as too long (default 4000)
  --max-executions N       stop after N executions (the search is then incomplete)
  --time-limit DURATION    stop the whole command after DURATION of wall time, e.g.
                           90s, 10m, 2h; 0 for none (default ${DEFAULT_TIME_LIMIT}). On the limit,
                           SIGINT or SIGTERM: partial report, exit 3
  --replay FILE|SCHEDULE|- rerun exactly one schedule (from a counterexample; - reads stdin)
  --save FILE              write the counterexample's schedule here (default: a file in the temp dir)
  --no-save                do not write the schedule to a file
  --no-shrink              report the counterexample as found
  --json                   print the reports as JSON
  --list                   list check scenarios, invariants and mutations
  --trace FILE             write the counterexample as a Perfetto timeline (Chrome JSON)

exit status: 0 complete and clean; 1 violation or deadlock; 2 bad input; 3 incomplete and clean
(including a search stopped by --time-limit, SIGINT or SIGTERM)
`;

const TIME_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parse a wall-time limit (`90s`, `10m`, `1.5h`, `0`) to milliseconds; 0 means none. */
export function parseTimeLimit(v: string): number {
  if (v === '0' || v === 'none') return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim());
  if (m === null) throw new UsageError(`--time-limit ${v}: expected a number and a unit (ms, s, m, h), e.g. 90s or 10m; 0 for none`);
  const ms = Number(m[1]) * TIME_UNITS[m[2]!]!;
  if (!Number.isFinite(ms) || ms > 2 ** 31 - 1) throw new UsageError(`--time-limit ${v}: too large (at most about 24 days)`);
  return Math.max(1, Math.round(ms));
}

function intOpt(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name}: expected an integer >= ${min}, got '${v}'`);
  return Number(v);
}

function listText(): string {
  const out = ['check scenarios:'];
  for (const s of listCheckScenarios()) out.push(`  ${s.name.padEnd(22)} ${s.description}`);
  out.push('', 'invariants (--invariant / --no-invariant):');
  for (const i of INVARIANTS) out.push(`  ${i.name.padEnd(22)} [${i.ref}] ${i.summary}`);
  out.push('', 'mutations (--inject):');
  for (const n of INJECTION_NAMES) out.push(`  ${n.padEnd(30)} ${INJECTIONS[n].summary}`);
  out.push('', `fault strategies: ${FAULT_STRATEGIES.join(', ')} (options: retry-vma+uptodate-skip[+writeback-aware])`);
  out.push(`  --strategy all: ${ALL_FAULT_STRATEGIES.join(', ')}`);
  out.push(`fork strategies: ${FORK_STRATEGIES.join(', ')} (--fork all: every one)`);
  return out.join('\n') + '\n';
}

function readSchedule(arg: string): string {
  // `-` or /dev/stdin: read descriptor 0 itself (a socket, as node's own spawn
  // pipes are, cannot be opened through /dev/stdin: ENXIO).
  const stdin = arg === '-' || arg === '/dev/stdin';
  if (stdin || existsSync(arg)) {
    let text: string;
    try {
      text = readFileSync(stdin ? 0 : arg, 'utf8');
    } catch (e) {
      throw new UsageError(`--replay ${arg}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const last = lines[lines.length - 1];
    if (last === undefined) throw new UsageError(`--replay ${arg}: the file holds no schedule`);
    return last;
  }
  if (arg.startsWith('fl1.')) return arg;
  throw new UsageError(`--replay ${arg}: no such file, and not a schedule string (fl1.…)`);
}

/** SIGINT and SIGTERM handlers for the duration of a command. */
function installSignals(on: (sig: NodeJS.Signals) => void): { remove(): void } {
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const sg of sigs) process.on(sg, on);
  return { remove: () => { for (const sg of sigs) process.off(sg, on); } };
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** Run `faultline check` with `args` (after the word `check`). Returns the exit status. */
export async function checkCommand(args: string[], io: CheckIo): Promise<number> {
  const err = (m: string): number => {
    io.stderr.write(`faultline check: ${m.replace(/\s*\n\s*/g, ' ')}\n`);
    return CHECK_EXIT.BAD_INPUT;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        strategy: { type: 'string' }, fork: { type: 'string' }, mode: { type: 'string' },
        'preemption-bound': { type: 'string' }, 'no-sleep-sets': { type: 'boolean' },
        'no-dpor': { type: 'boolean' }, 'no-por': { type: 'boolean' }, 'fine-steps': { type: 'boolean' },
        'no-state-cache': { type: 'boolean' }, 'coarse-cuts': { type: 'boolean' }, 'hunt-preemptions': { type: 'string' }, 'no-hunt': { type: 'boolean' },
        iterations: { type: 'string' }, seed: { type: 'string' }, 'pct-depth': { type: 'string' },
        invariant: { type: 'string', multiple: true }, 'no-invariant': { type: 'string', multiple: true },
        inject: { type: 'string', multiple: true }, param: { type: 'string', multiple: true },
        'max-steps': { type: 'string' }, 'max-executions': { type: 'string' }, 'time-limit': { type: 'string' },
        replay: { type: 'string' }, save: { type: 'string' }, 'no-save': { type: 'boolean' },
        'no-shrink': { type: 'boolean' }, json: { type: 'boolean' }, list: { type: 'boolean' },
        trace: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    return err(`${(e as Error).message}\n${CHECK_USAGE.split('\n')[0]}`);
  }
  const o = parsed.values;
  if (o.help === true) {
    io.stdout.write(CHECK_USAGE);
    return CHECK_EXIT.CLEAN;
  }
  if (o.list === true) {
    io.stdout.write(listText());
    return CHECK_EXIT.CLEAN;
  }
  try {
    if (parsed.positionals.length !== 1) throw new UsageError(`expected one SCENARIO, got ${parsed.positionals.length} (${CHECK_USAGE.split('\n')[0]})`);
    const scenarioArg = parsed.positionals[0]!;
    const params: Record<string, number> = {};
    for (const p of o.param ?? []) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?\d+)$/.exec(p);
      if (m === null) throw new UsageError(`--param ${p}: expected NAME=INTEGER`);
      params[m[1]!] = Number(m[2]);
    }
    const injections: Injection[] = [];
    for (const i of o.inject ?? []) {
      if (!isInjection(i)) throw new UsageError(`--inject ${i}: unknown mutation (known: ${INJECTION_NAMES.join(', ')})`);
      injections.push(i);
    }
    let on: Set<InvariantName> = new Set(INVARIANT_NAMES);
    const only = o.invariant ?? [];
    for (const n of [...only, ...(o['no-invariant'] ?? [])]) {
      if (!isInvariantName(n)) throw new UsageError(`invariant '${n}' is unknown (known: ${INVARIANT_NAMES.join(', ')})`);
    }
    if (only.length > 0) on = new Set(only as InvariantName[]);
    for (const n of o['no-invariant'] ?? []) on.delete(n as InvariantName);
    const disabled = INVARIANT_NAMES.filter((n) => !on.has(n));
    const seed = intOpt(o.seed, 'seed', 0) ?? 1;
    const iterations = intOpt(o.iterations, 'iterations', 1) ?? 1000;
    const bound = intOpt(o['preemption-bound'], 'preemption-bound', 0);
    const hunt = intOpt(o['hunt-preemptions'], 'hunt-preemptions', 0) ?? DEFAULT_HUNT;
    if (o['no-hunt'] === true && o['hunt-preemptions'] !== undefined) throw new UsageError('--no-hunt and --hunt-preemptions exclude each other');
    const modeName = o.mode ?? 'dfs';
    let mode: Mode;
    if (o.replay !== undefined) {
      mode = { kind: 'replay', schedule: decodeSchedule(readSchedule(o.replay)) };
    } else if (modeName === 'dfs') {
      const sleepSets = o['no-sleep-sets'] !== true && o['no-por'] !== true;
      mode = {
        kind: 'dfs', sleepSets, dpor: sleepSets && o['no-dpor'] !== true, preemptionBound: bound ?? null,
        stateCache: o['no-state-cache'] !== true && bound === undefined,
        hunt: o['no-hunt'] === true || bound !== undefined ? null : hunt,
        ...(o['coarse-cuts'] === true ? { preciseCuts: false } : {}),
      };
    } else if (modeName === 'random') {
      mode = { kind: 'random', seed, iterations };
    } else if (modeName === 'pct') {
      mode = { kind: 'pct', seed, iterations, depth: intOpt(o['pct-depth'], 'pct-depth', 1) ?? 3 };
    } else {
      throw new UsageError(`--mode ${modeName}: expected dfs, random or pct`);
    }
    const scenario = loadCheckScenario(scenarioArg, params);
    // The same lists as `faultline run`: 'all' expands to ALL_FAULT_STRATEGIES, duplicates run once.
    const faults = parseFaultList(o.strategy ?? 'mainline');
    const forks = parseForkList(o.fork ?? 'fork-lock-all');
    const combos = faults.flatMap((f) => forks.map((k) => ({ fault: faultStrategy(f), fork: forkStrategy(k) })));
    if (mode.kind === 'replay' && combos.length !== 1) throw new UsageError('--replay takes exactly one --strategy and one --fork');
    if (mode.kind === 'replay' && mode.schedule.mask.length !== scenario.threads.length) {
      throw new UsageError(`--replay: the schedule is for ${mode.schedule.mask.length} threads, but ${scenario.name} has ${scenario.threads.length} (check --param)`);
    }
    const maxSteps = intOpt(o['max-steps'], 'max-steps', 1) ?? 4000;
    const maxExecutions = intOpt(o['max-executions'], 'max-executions', 1) ?? null;
    const limitText = o['time-limit'] ?? DEFAULT_TIME_LIMIT;
    const limitMs = parseTimeLimit(limitText);
    const reports: Array<{ report: CheckReport; wallMs: number; savedTo: string | null }> = [];
    let status: number = CHECK_EXIT.CLEAN;
    const start = process.hrtime.bigint();
    const elapsedMs = (): number => Number(process.hrtime.bigint() - start) / 1e6;
    // SIGINT/SIGTERM stop the search at the next execution boundary; a second one exits at once.
    let signalled: NodeJS.Signals | null = null;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalled !== null) process.exit(sig === 'SIGINT' ? 130 : 143);
      signalled = sig;
      io.stderr.write(`\nfaultline check: ${sig}: stopping at the next execution boundary (send it again to quit at once)\n`);
    };
    const signals = installSignals(onSignal);
    const stop = (): string | null => {
      if (signalled !== null) return `interrupted by ${signalled as string}`;
      if (limitMs > 0 && elapsedMs() >= limitMs) return `--time-limit ${limitText} reached`;
      return null;
    };
    const skipped: string[] = [];
    try {
      for (const c of combos) {
        const why = stop();
        if (why !== null) {
          skipped.push(`${c.fault.name}/${c.fork.name}`);
          continue;
        }
        const t0 = process.hrtime.bigint();
        let lastPrint = t0;
        const onProgress = (s: SearchStats): void => {
          const now = process.hrtime.bigint();
          if (now - lastPrint < 2_000_000_000n) return;
          lastPrint = now;
          const sec = Number(now - t0) / 1e9;
          io.stderr.write(`check ${scenario.name} ${c.fault.name}/${c.fork.name}: ${s.executions.toLocaleString('en-US')} executions, ${s.newSteps.toLocaleString('en-US')} states, ${sec.toFixed(1)} s\n`);
        };
        const report = await checkAsync(
          { scenario, fault: c.fault, fork: c.fork, injections, invariants: on, fineSteps: o['fine-steps'] === true },
          { mode, maxSteps, maxExecutions, shrink: o['no-shrink'] !== true, onProgress, stop },
        );
        const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
        let savedTo: string | null = null;
        const line: ReplayLine = { scenarioArg, params, injections, disabled, fineSteps: o['fine-steps'] === true };
        if (report.violation !== null && o['no-save'] !== true && mode.kind !== 'replay') {
          savedTo = o.save ?? join(tmpdir(), `faultline-${slug(scenario.name)}-${slug(c.fault.name)}-${slug(c.fork.name)}.schedule`);
          writeFileSync(savedTo, `# ${replayCommand(report, line, '<this file>')}\n# violation: ${report.violation.invariant}: ${report.violation.message}\n${report.violation.schedule}\n`);
        }
        if (o.trace !== undefined && report.violation !== null) {
          const file = combos.length > 1 ? o.trace.replace(/(\.json)?$/, `-${slug(c.fault.name)}-${slug(c.fork.name)}.json`) : o.trace;
          writeFileSync(file, counterexampleTrace(report)!);
          io.stderr.write(`trace: counterexample timeline written to ${file} (open in ui.perfetto.dev)\n`);
        }
        reports.push({ report, wallMs, savedTo });
        if (o.json !== true) io.stdout.write(formatReport(report, { wallMs, replay: line, savedTo }) + (combos.length > 1 ? '\n' : ''));
        if (report.violation !== null) status = CHECK_EXIT.VIOLATION;
        else if (!report.complete && status === CHECK_EXIT.CLEAN) status = CHECK_EXIT.INCOMPLETE;
        if (mode.kind === 'replay' && report.violation === null) {
          io.stdout.write('replay: the schedule ran to its end without a violation\n');
        }
      }
    } finally {
      signals.remove();
    }
    if (skipped.length > 0) {
      if (status === CHECK_EXIT.CLEAN) status = CHECK_EXIT.INCOMPLETE;
      const msg = `not checked (${stop() ?? 'stopped'}): ${skipped.join(', ')}\n`;
      if (o.json === true) io.stderr.write(`faultline check: ${msg}`);
      else io.stdout.write(msg);
    }
    if (o.json === true) io.stdout.write(JSON.stringify(reports.map((r) => ({ ...r.report, wallMs: r.wallMs, savedTo: r.savedTo })), null, 2) + '\n');
    return status;
  } catch (e) {
    if (e instanceof ScenarioError) {
      // One line per problem, each naming file, line and field path.
      for (const line of e.details.split('\n')) io.stderr.write(`faultline check: ${line}\n`);
      return CHECK_EXIT.BAD_INPUT;
    }
    if (e instanceof ScheduleError) return err(`--replay ${o.replay ?? ''}: not a valid schedule string: ${e.message} (a schedule is the fl1.… string of a counterexample's replay: line, or the file it was saved to)`);
    if (e instanceof UsageError || e instanceof StrategyError) return err(e.message);
    if (e instanceof ReplayDivergence) return err(e.message);
    if (e instanceof NondeterminismError) {
      io.stderr.write(`faultline check: internal error: ${e.message}\n`);
      return 70;
    }
    throw e;
  }
}
