/**
 * A counterexample as a Perfetto timeline (Chrome JSON, loadable by
 * ui.perfetto.dev): one track per thread of the check scenario, one slice per
 * numbered step, named after the kernel function the step runs, with the lock
 * state after it in the slice's args. The checker has no time, so step n is
 * drawn at n × 10 µs, 10 µs long; a flow arrow links each thread's step to
 * the next step of another thread (where the schedule switched threads).
 */
import type { CheckReport } from './check.js';

const STEP_US = 10;
const PID = 1;

interface ChromeEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  id?: number;
  bp?: string;
  args?: Record<string, string | number>;
}

/** The counterexample of `report` as a Chrome JSON trace, or null when there is none. */
export function counterexampleTrace(report: CheckReport): string | null {
  const ce = report.violation;
  if (ce === null) return null;
  const events: ChromeEvent[] = [
    { ph: 'M', name: 'process_name', pid: PID, tid: 0, args: { name: `faultline check ${report.scenario} (${report.fault} / ${report.fork})` } },
  ];
  const tids = new Map<string, number>();
  for (const s of ce.steps) {
    if (!tids.has(s.taskName)) {
      const tid = tids.size + 1;
      tids.set(s.taskName, tid);
      events.push({ ph: 'M', name: 'thread_name', pid: PID, tid, args: { name: s.taskName } });
    }
  }
  let flow = 0;
  let prev: { tid: number; ts: number } | null = null;
  for (const s of ce.steps) {
    const tid = tids.get(s.taskName)!;
    const ts = (s.n - 1) * STEP_US;
    events.push({
      ph: 'X', cat: 'step', name: s.what, pid: PID, tid, ts, dur: STEP_US,
      args: { step: s.n, task_step: `${s.taskName}.${s.taskStep}`, op: s.op, locks: s.locks, choices: s.choices.join(',') },
    });
    if (prev !== null && prev.tid !== tid) {
      flow++;
      events.push({ ph: 's', cat: 'schedule', name: 'switch', id: flow, pid: PID, tid: prev.tid, ts: prev.ts + STEP_US / 2 });
      events.push({ ph: 'f', cat: 'schedule', name: 'switch', id: flow, bp: 'e', pid: PID, tid, ts: ts + STEP_US / 2 });
    }
    prev = { tid, ts };
  }
  const last = ce.steps[ce.steps.length - 1];
  events.push({
    ph: 'i', name: `VIOLATION ${ce.invariant}`, pid: PID, tid: last === undefined ? 0 : tids.get(last.taskName)!,
    ts: ce.steps.length * STEP_US, args: { message: ce.message, replay: ce.schedule },
  } as ChromeEvent & { s?: string });
  return JSON.stringify({ traceEvents: events }) + '\n';
}
