/**
 * `faultline calibrate` on the host: set up what the benches need (a zram
 * block device holding a file image, a zram swap device), run every bench of
 * native/calibrate.c, keep the raw outputs, tear everything down.
 *
 * The suite is a fixed list (SUITE); each entry's sample counts are chosen so
 * the whole suite takes about a minute on the calibration host, far under the
 * 10-minute budget even on a loaded machine.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileContent } from '../real/blockdev.js';
import { HostError, type HostInfo, sh } from '../real/host.js';
import { cleanupStale, Resources, sleepSync } from '../real/resources.js';
import { compactBenchOutput, parseBenchOutput, type BenchSamples } from './bench-output.js';

/** What a bench needs from the host besides the binary. */
export type BenchNeed = 'none' | 'blockdev' | 'swap';

export interface BenchSpec {
  /** Key in the recorded set (fit.ts reads these). */
  key: string;
  need: BenchNeed;
  /** Arguments after the binary; DEV is replaced by the block device path. */
  args: string[];
  /**
   * The fit reads the samples in the order measured (fit.ts): `--record` keeps
   * them as printed. Every other bench is recorded as counts of each value per
   * X (bench-output.ts compactBenchOutput), all the fit reads of it.
   */
  ordered?: true;
}

/** The suite, in run order. */
export const SUITE: readonly BenchSpec[] = [
  { key: 'getppid', need: 'none', args: ['getppid', '2000'] },
  { key: 'anon-read', need: 'none', args: ['anon-read', '3000'] },
  // fitLruAddBatch: the slow faults' period in the sequence of faults
  { key: 'anon-write', need: 'none', args: ['anon-write', '3000'], ordered: true },
  { key: 'anon-first', need: 'none', args: ['anon-first', '2000'] },
  { key: 'cow', need: 'none', args: ['cow', '2000'] },
  { key: 'minor-cached', need: 'blockdev', args: ['minor-cached', 'DEV', '2000'] },
  { key: 'major', need: 'blockdev', args: ['major', 'DEV', '2000'] },
  { key: 'pread-direct', need: 'blockdev', args: ['pread-direct', 'DEV', '2000'] },
  { key: 'swapin', need: 'swap', args: ['swapin', '3000'] },
  { key: 'mprotect', need: 'none', args: ['mprotect', '100', '1', '16', '64', '256', '1024', '4096'] },
  { key: 'munmap', need: 'none', args: ['munmap', '60', '0', '16', '64', '256', '1024', '4096'] },
  { key: 'mmap', need: 'none', args: ['mmap', '2000'] },
  { key: 'madvise', need: 'none', args: ['madvise', '100', '1', '16', '64', '256', '1024', '4096'] },
  { key: 'fork-vmas', need: 'none', args: ['fork-vmas', '30', '0', '100', '250', '500', '1000', '2000'] },
  { key: 'fork-anon', need: 'none', args: ['fork-anon', '30', '0', '1024', '4096', '16384'] },
  { key: 'fork-file', need: 'blockdev', args: ['fork-file', 'DEV', '30', '0', '1024', '4096', '16384'] },
  { key: 'fork-vmas-holes', need: 'none', args: ['fork-vmas-holes', '30', '0', '100', '250', '500', '1000', '2000'] },
  { key: 'fork-vmas-anon', need: 'none', args: ['fork-vmas-anon', '30', '0', '100', '250', '500', '1000', '2000'] },
  { key: 'fork-tables', need: 'none', args: ['fork-tables', '30', '1', '16', '64', '256', '1024'] },
  { key: 'fork-anon-dirty', need: 'none', args: ['fork-anon-dirty', '30', '0', '1024', '4096', '16384'] },
  { key: 'fork-file-private', need: 'blockdev', args: ['fork-file-private', 'DEV', '30', '0', '1024', '4096', '16383'] },
  { key: 'tlb-remote', need: 'none', args: ['tlb-remote', '20000'] },
  { key: 'mmap-read', need: 'none', args: ['mmap-read', '2000'] },
  { key: 'mmap-write', need: 'none', args: ['mmap-write', '2000'] },
  { key: 'lock-threads', need: 'none', args: ['lock-threads', '1000', '1', '2', '4', '8'] },
  { key: 'fault-threads', need: 'none', args: ['fault-threads', '1000', '1', '2', '4'] },
  { key: 'fault-threads-own', need: 'none', args: ['fault-threads-own', '1000', '1', '2', '4'] },
  { key: 'wakeup', need: 'none', args: ['wakeup', '2000'] },
  { key: 'ctxswitch', need: 'none', args: ['ctxswitch', '2000'] },
  { key: 'exit-vmas', need: 'none', args: ['exit-vmas', '30', '0', '250', '500', '1000', '2000'] },
  { key: 'exit-vmas-holes', need: 'none', args: ['exit-vmas-holes', '30', '0', '250', '500', '1000', '2000'] },
  { key: 'exit-anon', need: 'none', args: ['exit-anon', '30', '0', '1024', '4096', '16384'] },
  { key: 'fault-after-sleep', need: 'none', args: ['fault-after-sleep', '1000', '0', '1', '20', '100', '300'] },
  { key: 'timer-sleep', need: 'none', args: ['timer-sleep', '1000', '1', '20', '100', '300'] },
  { key: 'cached-after-sleep', need: 'blockdev', args: ['file-after-sleep', 'DEV', 'cached', '1000', '0', '1', '20', '100', '300'] },
  { key: 'major-after-sleep', need: 'blockdev', args: ['file-after-sleep', 'DEV', 'major', '1000', '0', '1', '20', '100', '300'] },
  { key: 'mprotect-siblings', need: 'none', args: ['mprotect-siblings', '500', '0', '1', '2', '102'] },
  { key: 'hrtimer-irq', need: 'none', args: ['hrtimer-irq', '500'] },
  { key: 'tlb-target', need: 'none', args: ['tlb-target', '500'] },
  { key: 'swapin-after-sleep', need: 'swap', args: ['swapin-after-sleep', '1000', '0', '1', '20', '100', '300'] },
  // fitMprotectSplit: the two layouts' calls paired by iteration
  { key: 'mprotect-split', need: 'none', args: ['mprotect-split', '500', '1', '16', '64', '256', '1024'], ordered: true },
  { key: 'fault-around', need: 'blockdev', args: ['fault-around', 'DEV', 'major-mapped', '1000', '0', '1', '2', '3', '5', '8', '15'] },
  { key: 'fault-around-cached', need: 'blockdev', args: ['fault-around', 'DEV', 'cached-mapped', '1000', '0', '1', '2', '3', '5', '8', '15'] },
  { key: 'fault-around-unmapped', need: 'blockdev', args: ['fault-around', 'DEV', 'cached-unmapped', '1000', '0', '5', '10', '15'] },
  { key: 'sched-tick', need: 'none', args: ['sched-tick', '1000'] },
  { key: 'short-sleep', need: 'none', args: ['short-sleep', '1000', '0', '1000', '2000', '4000', '6000', '8000', '12000', '20000'] },
  { key: 'mprotect-after-sleep', need: 'none', args: ['mprotect-after-sleep', '100', '512', /* fit.ts MPROTECT_AFTER_SLEEP_PAGES */ '20', '100', '300', '1000', '5000', '20000'] },
  // fitForkAfterSleep: P = the calib scenarios' present heap pages, W = a 64 MiB walk (calib-fork-file's file mapping)
  { key: 'fork-anon-after-sleep', need: 'none', args: ['fork-anon-after-sleep', '30', '8192', /* fit-fork.ts FORK_AFTER_SLEEP_PAGES */ '64', '100', '1000', '5000', '20000'] },
  // fitCacheline: R = fit-line.ts CACHELINE_BATCH operations a sample, the three kinds interleaved N times
  { key: 'cacheline', need: 'none', args: ['cacheline', '2000', '1000' /* fit-line.ts CACHELINE_BATCH */] },
];

/** Size of the block device image (64 MiB = 16,384 pages). */
const DEV_BYTES = 64 * 2 ** 20;
const SWAP_BYTES = 128 * 2 ** 20;

export interface SuiteResult {
  benches: Map<string, BenchSamples>;
  /** Raw output per bench key (what `--record` writes). */
  raw: Map<string, string>;
  notes: string[];
}

/** Recorded outputs from a directory (`KEY.txt` per bench), as `--record` writes them. */
export function readRecorded(dir: string): SuiteResult {
  const benches = new Map<string, BenchSamples>();
  const raw = new Map<string, string>();
  for (const b of SUITE) {
    const f = join(dir, `${b.key}.txt`);
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    raw.set(b.key, text);
    benches.set(b.key, parseBenchOutput(text));
  }
  if (benches.size === 0) throw new HostError(`calibrate: no recorded bench outputs (KEY.txt) in ${dir}`);
  return { benches, raw, notes: [] };
}

/**
 * What `--record` keeps of a bench's output: as printed when the fit reads the
 * samples' order (BenchSpec `ordered`, or a key not in the suite), else the
 * samples as counts (compactBenchOutput): the fit of the recording is the same
 * (`calibrate --compact` checks it), at about a third of the size.
 */
export function recordedText(key: string, text: string): string {
  const spec = SUITE.find((b) => b.key === key);
  return spec === undefined || spec.ordered === true ? text : compactBenchOutput(text);
}

export function writeRecorded(dir: string, r: SuiteResult): void {
  for (const [k, text] of r.raw) writeFileSync(join(dir, `${k}.txt`), recordedText(k, text));
}

/** The sub-directory of round K (1-based) in a recording of several rounds. */
export const roundDir = (k: number): string => `round-${k}`;

/** The round sub-directories (round-K) of a recording, in round order; empty for a recording of one round. */
function roundDirs(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^round-[1-9][0-9]*$/.test(f) && statSync(join(dir, f)).isDirectory())
    .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6))).map((f) => join(dir, f));
}

/** The directories of a recording's rounds: DIR/round-K in round order, or DIR itself for one round. */
export function recordingDirs(dir: string): string[] {
  const sub = roundDirs(dir);
  return sub.length > 0 ? sub : [dir];
}

/**
 * The rounds recorded in `dirs`, in order: a directory with round-K
 * sub-directories (`--record` of several rounds) gives each, any other
 * directory is one round (KEY.txt at its top).
 */
export function readRounds(dirs: readonly string[]): SuiteResult[] {
  return dirs.flatMap((d) => recordingDirs(d).map(readRecorded));
}

/** Rounds as `--record` writes them: one round at DIR's top, several in DIR/round-K. */
export function writeRounds(dir: string, rounds: readonly SuiteResult[]): void {
  if (rounds.length === 1) return writeRecorded(dir, rounds[0]!);
  rounds.forEach((r, i) => {
    const d = join(dir, roundDir(i + 1));
    mkdirSync(d, { recursive: true });
    writeRecorded(d, r);
  });
}

/** Run the suite on this host (root: zram devices); `only`: just these bench keys (and the devices they need). */
export function runSuite(host: HostInfo, log: (m: string) => void, only?: ReadonlySet<string>): SuiteResult {
  return runRounds(host, log, 1, only)[0]!;
}

/**
 * The suite `rounds` times over on one set-up (rounds.ts): round 1 runs
 * every bench, then round 2 every bench, and so on, so that a bench's rounds
 * are a whole suite (~20 s idle) apart and a slow episode of the host (seconds)
 * hits one of them.
 */
export function runRounds(host: HostInfo, log: (m: string) => void, rounds: number, only?: ReadonlySet<string>): SuiteResult[] {
  const benchList = only === undefined ? SUITE : SUITE.filter((b) => only.has(b.key));
  if (process.platform !== 'linux') throw new HostError(`calibrate: needs Linux (this is ${process.platform})`);
  if (!host.root) throw new HostError('calibrate: needs root (zram block device and swap); run it as root, or fit recorded outputs with --from DIR');
  if (host.binaries.calibrate === null) throw new HostError('calibrate: faultline-calibrate is not built; build it with `npm run build:native` (or `make -C native`)');
  if (!host.zram.control) throw new HostError('calibrate: needs /sys/class/zram-control (CONFIG_ZRAM) for its block device and swap');
  const res = new Resources((m) => log(`warning: ${m}`));
  const onSignal = (sig: NodeJS.Signals) => {
    res.teardown();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const stale = cleanupStale((m) => log(`warning: ${m}`));
    if (stale > 0) log(`cleaned up ${stale} resource(s) left by an earlier run that was killed`);
    const notes: string[] = [];
    const tmp = mkdtempSync('/tmp/faultline-calibrate-');
    res.add({ kind: 'dir', path: tmp });
    let dev = '';
    if (benchList.some((b) => b.need === 'blockdev')) {
      dev = zramDevice(res, DEV_BYTES);
      fillDevice(dev, DEV_BYTES);
      notes.push(`block device ${dev} (zram, ${DEV_BYTES / 2 ** 20} MiB, deterministic 2:1 content)`);
    }
    let swapOk = benchList.some((b) => b.need === 'swap');
    if (swapOk) {
      try {
        const swapDev = zramDevice(res, SWAP_BYTES);
        sh('mkswap', [swapDev]);
        sh('swapon', ['-p', '32767', swapDev]);
        res.update({ kind: 'zram', id: Number(swapDev.slice('/dev/zram'.length)), swapon: true });
        notes.push(`swap on ${swapDev} (zram)`);
      } catch (e) {
        swapOk = false;
        notes.push(`no zram swap (${(e as Error).message.split('\n')[0]}): swapin skipped, io.swap keeps its default`);
      }
    }
    const out: SuiteResult[] = [];
    for (let round = 0; round < rounds; round++) {
      const benches = new Map<string, BenchSamples>();
      const raw = new Map<string, string>();
      const tag = rounds > 1 ? `round ${round + 1}/${rounds}: ` : '';
      for (const b of benchList) {
        if (b.need === 'swap' && !swapOk) continue;
        const args = b.args.map((a) => (a === 'DEV' ? dev : a));
        const t0 = Date.now();
        let text: string;
        try {
          text = execFileSync(host.binaries.calibrate, args, { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] });
        } catch (e) {
          const err = (e as { stderr?: string }).stderr ?? (e as Error).message;
          throw new Error(`calibrate: bench ${b.key} failed: ${String(err).trim().split('\n')[0]}`, { cause: e });
        }
        raw.set(b.key, text);
        benches.set(b.key, parseBenchOutput(text));
        log(`${tag}${b.key}: ${[...benches.get(b.key)!.samples.values()].reduce((a, v) => a + v.length, 0)} samples, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      out.push({ benches, raw, notes });
    }
    return out;
  } finally {
    res.teardown();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

function zramDevice(res: Resources, bytes: number): string {
  const id = Number(readFileSync('/sys/class/zram-control/hot_add', 'utf8').trim());
  if (!Number.isInteger(id)) throw new HostError('calibrate: zram hot_add returned no device');
  res.add({ kind: 'zram', id, swapon: false });
  const sys = `/sys/block/zram${id}`;
  if (/\blz4\b/.test(readFileSync(join(sys, 'comp_algorithm'), 'utf8'))) writeFileSync(join(sys, 'comp_algorithm'), 'lz4');
  writeFileSync(join(sys, 'disksize'), String(bytes));
  const dev = `/dev/zram${id}`;
  for (let i = 0; i < 200 && !existsSync(dev); i++) sleepSync(10);
  return dev;
}

function fillDevice(dev: string, bytes: number): void {
  const chunk = Buffer.alloc(1 << 20);
  const fd = openSync(dev, 'w');
  try {
    for (let off = 0; off < bytes; off += chunk.length) {
      fileContent(0, off, chunk);
      writeSync(fd, chunk, 0, chunk.length, off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
