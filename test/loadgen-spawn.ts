/**
 * Run the native load generator on a config file the way `faultline real`
 * does: wait for its "ready" line, optionally look at the process (its
 * /proc/PID/maps, …), then send "go" and wait for it to exit.
 */
import { spawn } from 'node:child_process';

export interface LoadgenExit {
  code: number | null;
  stderr: string;
}

export function spawnLoadgen(loadgen: string, cfg: string, out: string, onReady?: (pid: number) => void): Promise<LoadgenExit> {
  let stderr = '';
  return new Promise<LoadgenExit>((resolve, reject) => {
    const p = spawn(loadgen, [cfg, out], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let ready = false;
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    p.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (!ready && stdout.includes('ready')) {
        ready = true;
        onReady?.(p.pid!);
        p.stdin.end('go\n');
      }
    });
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}
