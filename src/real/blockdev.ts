/**
 * The read path of file-backed regions in `faultline real` (`--io`).
 *
 * - `fuse` (default): files on the project's FUSE delay filesystem
 *   (native/faultfs.c). The daemon serves the scenario's `io.read` law, but
 *   every miss also pays the FUSE round trip (request queue, daemon wake-up,
 *   reply: ≈ 19 µs with no delay on the calibration host) and the daemon's
 *   timer wake-up after its sleep (≈ 30 µs more at 172 µs delays).
 * - `zram`: each file is a zram block device of its own (a fresh device from
 *   `/sys/class/zram-control/hot_add`, filled with the file's content) mapped
 *   directly: a miss is a real block-layer read (`filemap_fault` →
 *   `filemap_read_folio` → `blkdev_read_folio` → `submit_bio` →
 *   `zram_submit_bio`), completed synchronously in the faulting task; no user
 *   space on the path.
 * - `loop`: each file is a loop device over a file in the run's directory
 *   (`losetup`): the read is queued to the loop worker (`loop_queue_rq` →
 *   `loop_process_work`), which reads the backing file and completes the
 *   request; the faulting task sleeps on the folio lock and is woken by the
 *   completion, as with a real device.
 *
 * Neither block path can add a delay of its own on this kernel: dm-delay,
 * ublk, nbd, null_blk and scsi_debug are not built (no loadable modules), and
 * blk-throttle is a rate limit, not a per-request latency. So with `zram` or
 * `loop` the device's own latency is measured at set-up (O_DIRECT 4 KiB reads
 * of the device, `faultline-calibrate pread-direct`) and the model's
 * `io.read` law is replaced by it (`withDeviceReadLaw`), as page states are:
 * both sides then run one workload.
 */
import type { Law, Scenario } from '../scenario/types.js';

export const IO_PATHS = ['fuse', 'zram', 'loop'] as const;
export type IoPath = (typeof IO_PATHS)[number];

export function isIoPath(s: string): s is IoPath {
  return (IO_PATHS as readonly string[]).includes(s);
}

/** Percentiles of the empirical law made from measured device reads. */
const LAW_PERCENTILES = [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100] as const;

/** The empirical law of measured latencies (ns): points at fixed percentiles, nearest rank. */
export function empiricalLaw(samplesNs: readonly number[]): Law {
  if (samplesNs.length === 0) throw new Error('empiricalLaw: no samples');
  const s = [...samplesNs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { law: 'empirical', points: LAW_PERCENTILES.map((p) => [p, Math.round(at(p))]) };
}

/**
 * Whether a read path's device completes a read in the submitting task
 * (BLK_FEAT_SYNCHRONOUS, bdev_synchronous()): zram sets it (zram_add's
 * queue limits; zram_submit_bio -> zram_bio_read -> bio_endio runs in the
 * caller of submit_bio); a loop device queues the request to its worker
 * (loop_queue_rq) and completes it from there; FUSE answers from its daemon.
 */
export function ioPathSynchronous(io: IoPath): boolean {
  return io === 'zram';
}

/**
 * A copy of the scenario whose `io.read` is the device's measured law, and
 * whose `io.read_synchronous` says whether the device completes a read in
 * the submitting task (ioPathSynchronous).
 */
export function withDeviceReadLaw(sc: Scenario, law: Law, io: IoPath): Scenario {
  const copy = structuredClone(sc);
  copy.io.read = structuredClone(law);
  copy.io.read_synchronous = ioPathSynchronous(io);
  return copy;
}

/**
 * Deterministic content of file `index` (2:1 compressible, never a
 * same-filled page, so zram stores and decompresses every page): the bytes
 * `[offset, offset + buf.length)` are written into `buf`.
 */
export function fileContent(index: number, offset: number, buf: Buffer): void {
  if (offset % 8 !== 0 || buf.length % 8 !== 0) throw new Error('fileContent: 8-byte aligned ranges only');
  for (let k = 0; k < buf.length; k += 8) {
    const w = (offset + k) / 8;
    if (w % 2 === 1) {
      buf.writeUInt32LE(0, k);
      buf.writeUInt32LE(0, k + 4);
      continue;
    }
    // A 32-bit mix of (file, word): different in every page.
    let x = (Math.imul(w + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x2c1b3c6d) >>> 0;
    x ^= x >>> 12;
    buf.writeUInt32LE(x >>> 0, k);
    buf.writeUInt32LE((x ^ 0x5bd1e995) >>> 0, k + 4);
  }
}
