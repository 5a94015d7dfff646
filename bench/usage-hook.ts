/**
 * Loaded with `node --import dist/bench/usage-hook.js` by bench/parallel.ts:
 * when the process exits, one stderr line `bench-usage {...}` with its CPU
 * time (user and system, every thread: workers, GC and JIT threads included)
 * and its peak resident memory, from the process's own resource usage.
 */
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const u = process.resourceUsage();
  const usage = { user_s: u.userCPUTime / 1e6, sys_s: u.systemCPUTime / 1e6, max_rss_mb: u.maxRSS / 1024 };
  writeSync(2, `bench-usage ${JSON.stringify(usage)}\n`);
});
