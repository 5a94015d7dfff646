/**
 * bench/thread-cpu-hook.ts: the per-thread CPU line it prints at exit (the
 * figures of bench/README.md, "Where a single run's second core goes").
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './built-cli.js';

describe.runIf(process.platform === 'linux')('thread-cpu-hook', () => {
  ensureBuilt();

  it('prints the main thread, all threads and each thread (largest first) on stderr at exit', () => {
    const hook = join(ROOT, 'dist', 'bench', 'thread-cpu-hook.js');
    // About 0.3 s of CPU on the main thread, so that it shows in 10 ms ticks.
    const script = 'const t = process.cpuUsage(); let x = 0; while (process.cpuUsage(t).user < 300000) x++; console.log(x > 0);';
    const r = spawnSync(process.execPath, ['--import', hook, '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('true');
    const m = /^bench-threads (.*)$/m.exec(r.stderr);
    expect(m).not.toBeNull();
    const line = JSON.parse(m![1]!) as { main_thread_s: number; all_threads_s: number; threads_s: number[] };
    expect(line.main_thread_s).toBeGreaterThanOrEqual(0.2);
    expect(line.all_threads_s + 0.005).toBeGreaterThanOrEqual(line.main_thread_s);
    expect(line.threads_s).toContain(line.main_thread_s);
    expect(line.threads_s[0]).toBe(line.main_thread_s);
    expect([...line.threads_s].sort((a, b) => b - a)).toEqual(line.threads_s);
  }, 60_000);
});
