/**
 * hold-io: Matthew Wilcox, 2026-04-30 / 2026-05-01 in the v2 thread: "ripping
 * out all the complexity now that we have per-VMA locks" -- keep the VMA lock
 * across I/O, never drop it to wait, no retry for I/O. Taken literally, a fault
 * already under mmap_lock (fallback) also holds mmap_lock across the I/O.
 *
 * hold-io-file: "do the fallback for anon-mm but not file memory" (Willy,
 * 2026-05-01), also the best reading of Josef Bacik's suggestion as quoted by
 * Lorenzo Stoakes (2026-05-19): hold across file I/O, keep mainline's
 * drop-and-retry (under mmap_lock) for swap-in.
 */
import type { FaultStrategy, IoSite } from '../model/index.js';
import { mainline } from './mainline.js';

export const holdIo: FaultStrategy = {
  ...mainline,
  name: 'hold-io',
  drop_lock_for_io: () => false,
};

export const holdIoFile: FaultStrategy = {
  ...mainline,
  name: 'hold-io-file',
  drop_lock_for_io: (site: IoSite) => site === 'swap',
};
