/**
 * Loaded with `node --import dist/bench/usage-hook.js` by bench/parallel.ts:
 * when the process exits, one stderr line `bench-usage {...}` with its CPU
 * time (user and system, every thread: workers, GC and JIT threads included),
 * its peak resident memory, from the process's own resource usage, and (on
 * Linux) the CPU seconds of this thread and of each other thread still alive,
 * largest first, from /proc/self/task/<tid>/schedstat (nanoseconds on a
 * CPU). A pool worker is alive at exit (unref'd, waiting), so with `--jobs N`
 * the N-1 largest other threads are the workers; the rest are V8's compiler
 * and GC helpers and libuv's threads (bench/README.md, "What `--jobs 2`
 * costs, thread by thread").
 */
import { readdirSync, readFileSync, writeSync } from 'node:fs';

/** Seconds on a CPU of thread `tid` of this process, or 0 if it is gone or the file is missing. */
function taskCpuS(tid: string): number {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  } catch {
    return 0;
  }
}

/** This thread's and the other threads' CPU seconds, or null where /proc/self/task is missing. */
function threads(): { main_thread_s: number; other_threads_s: number[] } | null {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const self = String(process.pid);
  const others = tids.filter((t) => t !== self).map(taskCpuS).filter((s) => s >= 0.001).sort((a, b) => b - a);
  return { main_thread_s: r3(taskCpuS(self)), other_threads_s: others.map(r3) };
}

process.on('exit', () => {
  const u = process.resourceUsage();
  const usage = { user_s: u.userCPUTime / 1e6, sys_s: u.systemCPUTime / 1e6, max_rss_mb: u.maxRSS / 1024, ...threads() };
  writeSync(2, `bench-usage ${JSON.stringify(usage)}\n`);
});
