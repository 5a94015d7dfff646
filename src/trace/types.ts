/** Options and results of Perfetto trace recording. */

/** Simulated-time window [from, to) in ns; events outside are left out, slices across its edges are clipped. */
export interface TraceWindow {
  from: number;
  to: number;
}

export interface TraceOptions {
  window: TraceWindow;
  /** Stop recording a run once it has produced this many trace events. */
  maxEvents: number;
}

/** Default `--trace-max-events`: about 150 MB of JSON. */
export const DEFAULT_TRACE_MAX_EVENTS = 1_000_000;

/** One run's identity in the trace: it becomes one process. */
export interface TraceProcess {
  pid: number;
  /** Process name shown by Perfetto, e.g. `android-app mainline/fork-lock-all seed 1`. */
  name: string;
}

/** One output event with its sort key: time, then `rank` (lower first), then emission order. */
export interface TraceEvent {
  ts: number;
  rank: number;
  seq: number;
  text: string;
}

/** What recording one run produced. */
export interface RunTrace {
  process: TraceProcess;
  events: TraceEvent[];
  /** Simulated time at which the event cap stopped recording (null: not capped). */
  cappedAt: number | null;
}
