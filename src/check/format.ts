/**
 * Plain-text rendering of check reports (mail width where it can be), and
 * the one-line replay command.
 */
import type { CheckReport, Counterexample } from './check.js';
import { plural } from '../report/format.js';
import { INVARIANTS } from './invariants.js';

export interface ReplayLine {
  /** Scenario as the user named it (built-in name or path). */
  readonly scenarioArg: string;
  readonly params: Readonly<Record<string, number>>;
  readonly injections: readonly string[];
  readonly disabled: readonly string[];
  /** The schedule is of fine steps (--fine-steps): replaying it needs the option too. */
  readonly fineSteps?: boolean;
}

/** The pasteable command that reruns a counterexample's schedule. */
export function replayCommand(r: CheckReport, line: ReplayLine, schedule: string): string {
  const parts = ['faultline check', line.scenarioArg, '--strategy', r.fault, '--fork', r.fork];
  for (const [k, v] of Object.entries(line.params)) parts.push('--param', `${k}=${v}`);
  for (const i of line.injections) parts.push('--inject', i);
  for (const d of line.disabled) parts.push('--no-invariant', d);
  if (line.fineSteps === true) parts.push('--fine-steps');
  parts.push('--replay', schedule);
  return parts.join(' ');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function secs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Numbered steps, per task (`T1.3` = third step of T1), with the lock state after each. */
export function formatTrace(cx: Counterexample): string {
  const rows = cx.steps.map((s) => ({
    n: String(s.n),
    who: `${s.taskName}.${s.taskStep}`,
    what: s.what + (s.choices.length > 0 ? ` [choice ${s.choices.join(',')}]` : ''),
    locks: s.locks,
  }));
  const wN = Math.max(1, ...rows.map((r) => r.n.length));
  const wWho = Math.max(4, ...rows.map((r) => r.who.length));
  const wWhat = Math.min(46, Math.max(15, ...rows.map((r) => r.what.length)));
  const out = [`  ${pad('#', wN)}  ${pad('task', wWho)}  ${pad('kernel function', wWhat)}  locks after the step`];
  for (const r of rows) out.push(`  ${pad(r.n, wN)}  ${pad(r.who, wWho)}  ${pad(r.what, wWhat)}  ${r.locks}`);
  return out.join('\n');
}

export interface FormatExtras {
  /** Wall time of the search (ms), measured by the CLI. */
  readonly wallMs?: number;
  readonly replay?: ReplayLine;
  /** File the schedule was written to. */
  readonly savedTo?: string | null;
}

export function formatReport(r: CheckReport, x: FormatExtras = {}): string {
  const out: string[] = [];
  const params = Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ');
  out.push(`faultline check ${r.scenario}${params !== '' ? ` (${params})` : ''}: strategy ${r.fault}, fork ${r.fork}${r.injections.length > 0 ? `, injected: ${r.injections.join(', ')}` : ''}`);
  out.push(`  mode: ${r.modeText}`);
  out.push(`  invariants: ${r.invariants.join(', ')}`);
  const st = r.stats;
  const rate = x.wallMs !== undefined && x.wallMs > 0 ? `, ${Math.round(st.newSteps / (x.wallMs / 1000)).toLocaleString('en-US')} states/s` : '';
  out.push(`  explored: ${st.executions.toLocaleString('en-US')} executions (${st.cut.toLocaleString('en-US')} cut short), ${st.newSteps.toLocaleString('en-US')} states (new steps), ${st.steps.toLocaleString('en-US')} steps with replay, longest ${st.longest}${st.stored > 0 ? `, ${st.stored.toLocaleString('en-US')} distinct states stored, ${st.pruned.toLocaleString('en-US')} ${st.pruned === 1 ? 'execution' : 'executions'} cut at a state seen before` : ''}${x.wallMs !== undefined ? `, ${secs(x.wallMs)}` : ''}${rate}`);
  if (r.violation !== null) {
    const cx = r.violation;
    const info = INVARIANTS.find((i) => i.name === cx.invariant);
    out.push('');
    out.push(`VIOLATION of ${cx.invariant}${info !== undefined ? ` (${info.ref})` : ''}: ${cx.message}`);
    if (info !== undefined) out.push(`  invariant: ${info.summary}`);
    const steps = cx.steps.length;
    out.push(`  found after ${plural(st.executions, 'execution')}, ${plural(cx.foundSteps, 'step')}; shrunk to ${plural(steps, 'step')} (${plural(cx.shrinks, 'shrink')} in ${plural(cx.shrinkRuns, 'run')}${cx.shrinkPath !== '' ? `, path ${cx.shrinkPath}` : ''}); threads: ${cx.threads.join(', ')}`);
    out.push('');
    out.push(formatTrace(cx));
    out.push('');
    if (x.replay !== undefined) out.push(`replay: ${replayCommand(r, x.replay, cx.schedule)}`);
    else out.push(`schedule: ${cx.schedule}`);
    if (x.savedTo != null) out.push(`schedule written to ${x.savedTo}`);
    return out.join('\n') + '\n';
  }
  out.push('');
  if (r.complete) {
    out.push(`result: no violation; search complete: ${r.guarantee}.`);
  } else {
    out.push(`result: no violation found; search INCOMPLETE (${r.incompleteReason}); guarantee: ${r.guarantee}.`);
    if (r.mode === 'dfs' && r.stopReason === null) out.push('  hint: drop --preemption-bound or raise --max-steps/--max-executions for a complete search');
    else if (r.stopReason?.startsWith('--time-limit') === true) out.push('  hint: raise --time-limit (0 for none), or try --mode pct for bug finding');
  }
  return out.join('\n') + '\n';
}
