/** Writing recorded runs as one Chrome JSON trace file (one process per run). */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { RunTrace } from './types.js';

export interface TraceFileStats {
  events: number;
  bytes: number;
}

/**
 * Write `{"traceEvents":[...]}` to `path`, each run's events in its sorted
 * order, one event per line. Returns the number of events and bytes.
 */
export function writeTraceFile(path: string, runs: readonly RunTrace[]): TraceFileStats {
  const fd = openSync(path, 'w');
  let bytes = 0, events = 0, first = true;
  let buf = '';
  const flush = () => {
    bytes += writeSync(fd, buf);
    buf = '';
  };
  try {
    buf = '{"traceEvents":[\n';
    for (const r of runs) {
      for (const e of r.events) {
        buf += first ? e.text : `,\n${e.text}`;
        first = false;
        events++;
        if (buf.length > 1 << 20) flush();
      }
    }
    buf += '\n]}\n';
    flush();
  } finally {
    closeSync(fd);
  }
  return { events, bytes };
}
