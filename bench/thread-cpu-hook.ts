/**
 * `node --import dist/bench/thread-cpu-hook.js <script> …`: when the process
 * exits, one stderr line `bench-threads {...}` with the CPU seconds of its
 * main thread (the one that simulates with `--jobs 1`, and the reference
 * bench's), of every thread together, and of each thread, largest first
 * (pool workers, V8's compiler and GC helper threads; node names none of
 * them, so they are told apart by flags: see bench/README.md, "Where a
 * single run's second core goes").
 *
 * On an idle machine the main thread's CPU time is what bounds a run's wall
 * time; on a loaded one it moves far less with the load than wall time does,
 * so it is the figure to compare builds and V8 flags by. Linux only (it reads
 * /proc/self/task/<tid>/stat; clock ticks of 10 ms); elsewhere it prints
 * nothing.
 */
import { readdirSync, readFileSync, writeSync } from 'node:fs';

/** USER_HZ: the unit of utime and stime in /proc/<pid>/task/<tid>/stat on Linux. */
const TICKS_PER_S = 100;

/** utime + stime of one thread, in seconds. */
function threadCpuS(tid: string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3 (state): utime is field 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_S;
}

process.on('exit', () => {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  const perThread = tids.map((tid) => ({ tid, s: threadCpuS(tid) }));
  const main = perThread.find((t) => t.tid === String(process.pid))?.s ?? 0;
  const all = perThread.reduce((a, t) => a + t.s, 0);
  const threads = perThread.map((t) => t.s).sort((a, b) => b - a);
  const line = { main_thread_s: main, all_threads_s: Number(all.toFixed(2)), threads_s: threads };
  writeSync(2, `bench-threads ${JSON.stringify(line)}\n`);
});
