/**
 * What the host offers `faultline real`: root, the native binaries, FUSE,
 * zram, a memory cgroup, tracefs and its events, the kernel's config. Every
 * missing piece that a run needs becomes one `HostError` (exit code 2) that
 * says what is missing and how to get it.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UsageError } from '../cli/io.js';
import { repoRoot } from '../scenario/index.js';

/** The host lacks something a real run needs (printed as one line, exit code 2). */
export class HostError extends UsageError {}

export const TRACEFS_PATHS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

export interface CgroupInfo {
  version: 1 | 2;
  /** Directory of this process's memory cgroup; the run's cgroup is made below it. */
  parent: string;
}

export interface HostInfo {
  kernel: string;
  cpus: number;
  root: boolean;
  /** Kernel config (from /proc/config.gz or /boot/config-*); null when unreadable. */
  config: Map<string, string> | null;
  perVmaLock: boolean | null;
  perVmaLockStats: boolean | null;
  binaries: { loadgen: string | null; fuse: string | null; calibrate: string | null };
  /** losetup and /dev/loop-control (the `loop` read path). */
  loop: boolean;
  fuse: { dev: boolean; fusermount: boolean };
  zram: { control: boolean; tools: boolean };
  cgroup: CgroupInfo | null;
  /** Mounted tracefs directory, or null (it may still be mountable). */
  tracefs: string | null;
}

export function nativeDir(): string {
  return join(repoRoot(), 'dist', 'native');
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = join(dir, cmd);
    if (dir !== '' && executable(p)) return p;
  }
  return null;
}

export function readKernelConfig(): Map<string, string> | null {
  let text: string;
  try {
    text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    try {
      text = readFileSync(`/boot/config-${release()}`, 'utf8');
    } catch {
      return null;
    }
  }
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (line.startsWith('CONFIG_') && i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** The memory cgroup of this process: v2 when the unified hierarchy has the memory controller, else v1. */
export function findMemoryCgroup(): CgroupInfo | null {
  let mounts: string[];
  let self: string[];
  try {
    mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
    self = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  } catch {
    return null;
  }
  for (const line of mounts) {
    const [pre, post] = line.split(' - ');
    if (pre === undefined || post === undefined) continue;
    const fields = pre.split(' ');
    const [fstype, , superOpts] = post.split(' ');
    const mountPoint = fields[4]!;
    const root = fields[3]!;
    if (fstype === 'cgroup2') {
      let ctrl: string;
      try {
        ctrl = readFileSync(join(mountPoint, 'cgroup.controllers'), 'utf8');
      } catch {
        continue;
      }
      if (!ctrl.split(/\s+/).includes('memory')) continue;
      const rel = self.find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
      return { version: 2, parent: join(mountPoint, relTo(root, rel)) };
    }
    if (fstype === 'cgroup' && (superOpts ?? '').split(',').includes('memory')) {
      const rel = self.map((l) => l.split(':')).find((p) => p[1]?.split(',').includes('memory'))?.[2] ?? '/';
      return { version: 1, parent: join(mountPoint, relTo(root, rel)) };
    }
  }
  return null;
}

function relTo(root: string, path: string): string {
  if (root === '/' || root === '') return path;
  return path.startsWith(root) ? path.slice(root.length) || '/' : path;
}

export function mountedTracefs(): string | null {
  for (const p of TRACEFS_PATHS) if (existsSync(join(p, 'events', 'enable'))) return p;
  return null;
}

export function probeHost(): HostInfo {
  const config = readKernelConfig();
  const flag = (name: string) => (config === null ? null : config.get(name) === 'y');
  const dir = nativeDir();
  const lg = join(dir, 'faultline-loadgen');
  const fs = join(dir, 'faultline-fuse');
  const cal = join(dir, 'faultline-calibrate');
  let fuseFs = false;
  try {
    fuseFs = readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => /\bfuse$/.test(l.trim()));
  } catch {
    // leave false
  }
  return {
    kernel: release(),
    cpus: availableParallelism(),
    root: typeof process.geteuid === 'function' && process.geteuid() === 0,
    config,
    perVmaLock: flag('CONFIG_PER_VMA_LOCK'),
    perVmaLockStats: flag('CONFIG_PER_VMA_LOCK_STATS'),
    binaries: { loadgen: executable(lg) ? lg : null, fuse: executable(fs) ? fs : null, calibrate: executable(cal) ? cal : null },
    loop: which('losetup') !== null && existsSync('/dev/loop-control'),
    fuse: { dev: existsSync('/dev/fuse') && fuseFs, fusermount: which('fusermount3') !== null },
    zram: {
      control: existsSync('/sys/class/zram-control/hot_add'),
      tools: which('mkswap') !== null && which('swapon') !== null && which('swapoff') !== null,
    },
    cgroup: findMemoryCgroup(),
    tracefs: mountedTracefs(),
  };
}

const BUILD_HINT = 'build it with `npm run build:native` (or `make -C native`)';
const FUSE_HINT = 'apt-get install -y libfuse3-dev fuse3 pkg-config, then `make -C native`';

/** Throw a HostError for the first thing the run needs that the host lacks. */
export function requireHost(h: HostInfo, needs: { fuse: boolean; swap: boolean; cgroup: boolean; blockdev?: 'zram' | 'loop' | null }): void {
  if (process.platform !== 'linux') throw new HostError(`real: needs Linux (this is ${process.platform})`);
  if (!h.root) throw new HostError('real: needs root (FUSE mount, zram swap, memory cgroup, tracefs, nice -10); run it as root');
  if (h.binaries.loadgen === null) throw new HostError(`real: the load generator is not built (${join(nativeDir(), 'faultline-loadgen')}); ${BUILD_HINT}`);
  if (needs.fuse) {
    if (h.binaries.fuse === null) throw new HostError(`real: the scenario has file-backed VMAs but the FUSE daemon is not built; ${FUSE_HINT}`);
    if (!h.fuse.dev) throw new HostError('real: the scenario has file-backed VMAs but this kernel has no FUSE (/dev/fuse or "fuse" in /proc/filesystems missing; modprobe fuse)');
    if (!h.fuse.fusermount) throw new HostError(`real: fusermount3 not found (needed to unmount the FUSE filesystem); ${FUSE_HINT}`);
  }
  if (needs.blockdev !== undefined && needs.blockdev !== null) {
    if (h.binaries.calibrate === null) throw new HostError(`real: --io ${needs.blockdev} measures the device with faultline-calibrate, which is not built; ${BUILD_HINT}`);
    if (needs.blockdev === 'zram' && !h.zram.control) throw new HostError('real: --io zram needs /sys/class/zram-control (CONFIG_ZRAM; modprobe zram)');
    if (needs.blockdev === 'loop' && !h.loop) throw new HostError('real: --io loop needs losetup and /dev/loop-control (CONFIG_BLK_DEV_LOOP; apt-get install -y mount)');
  }
  if (needs.swap) {
    if (h.config !== null && h.config.get('CONFIG_ZRAM') === undefined) throw new HostError('real: the scenario swaps anonymous pages but the kernel has no zram (CONFIG_ZRAM)');
    if (!h.zram.control) throw new HostError('real: the scenario swaps anonymous pages but /sys/class/zram-control is missing (modprobe zram)');
    if (!h.zram.tools) throw new HostError('real: mkswap/swapon/swapoff not found (apt-get install -y util-linux)');
  }
  if (needs.cgroup && h.cgroup === null) {
    throw new HostError('real: no memory cgroup controller is mounted (cgroup v2 with "memory", or v1 "memory"); use --no-cgroup to run without one');
  }
}

/** PIDs alive now (for stale-state cleanup). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) is not alive.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Run a command, throwing its stderr on failure. */
export function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function listDir(p: string): string[] {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
}

/** The host's load average (1, 5, 15 min) now. */
export function hostLoad(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [a ?? 0, b ?? 0, c ?? 0];
}

/** One line for reports: `load average 1.23 1.10 0.95 (2 CPUs)`. */
export function formatLoad(load: readonly number[], cpus: number): string {
  return `load average ${load.map((x) => x.toFixed(2)).join(' ')} (${cpus} CPU${cpus === 1 ? '' : 's'})`;
}

/**
 * Whether a real run may start with this load: a 1-minute load average above
 * the CPU count means runnable tasks already queue for the CPUs, so latency
 * tails measure the other tenants more than the kernel path (the scheduler's
 * wake-up latency of every blocked fault grows with the run queue). Refused
 * unless `allowLoaded`; then the run proceeds and its output carries a warning.
 */
export function loadVerdict(load: readonly number[], cpus: number, allowLoaded: boolean): { error: string | null; warning: string | null } {
  const one = load[0] ?? 0;
  if (one <= cpus) return { error: null, warning: null };
  const what = `the host is loaded (${formatLoad(load, cpus)}): 1-minute load above the CPU count, so latency tails measure the other tasks`;
  if (!allowLoaded) return { error: `real: ${what}; wait for a quiet host or pass --allow-loaded to run anyway (the output then carries a warning)`, warning: null };
  return { error: null, warning: `${what} (run with --allow-loaded)` };
}
