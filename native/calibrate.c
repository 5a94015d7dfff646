/*
 * faultline-calibrate: micro-benchmarks of the host kernel for `faultline
 * calibrate` (src/calibrate/, docs/calibration.md).
 *
 * Usage: faultline-calibrate BENCH [ARGS...]
 *
 * Every bench prints
 *   bench NAME
 *   # COMMENT       a note (e.g. how many touches were major faults)
 *   s X NS          one sample: parameter X (pages, VMAs, threads; 0 when
 *                   none), duration NS in nanoseconds (CLOCK_MONOTONIC
 *                   around the operation only)
 *   end NAME
 * and nothing else on stdout. Set-up that needs root (zram swap, the FUSE
 * mount, the block device) is done by the caller, which passes paths.
 *
 * Benches (N = samples per parameter value):
 *   minor-cached FILE N       touch of a page-cache page whose PTE was zapped
 *                             (do_read_fault; fault-around off by MADV_RANDOM
 *                             is not possible for a hit, so this includes
 *                             fault-around's mapping of neighbours)
 *   anon-write N              write to a never-touched anonymous page
 *                             (do_anonymous_page: allocate, clear, map)
 *   anon-read N               read of a never-touched page (zero page mapped)
 *   anon-first N              first write into a fresh VMA (adds
 *                             __anon_vma_prepare to anon-write)
 *   cow N                     write to a private page shared with a forked
 *                             child (wp_page_copy)
 *   major PATH N              touch of an evicted page of PATH (file or block
 *                             device) mapped MAP_SHARED with MADV_RANDOM:
 *                             one read of one page, the lock drop and retry
 *   pread-direct PATH N       O_DIRECT 4 KiB pread of PATH (the device alone)
 *   swapin N                  touch of an anonymous page pushed out with
 *                             MADV_PAGEOUT (needs a swap device)
 *   mprotect N P1 P2 ...      mprotect of P pages in the middle of a resident
 *                             VMA: the protect (split) and the unprotect
 *                             (merge) are samples `X=P` each
 *   munmap N P1 P2 ...        munmap of a VMA with P resident pages
 *   mmap N                    mmap of a fresh anonymous VMA
 *   madvise N P1 P2 ...       MADV_DONTNEED of P resident pages
 *   fork-vmas N V1 V2 ...     fork of a process with V extra VMAs, no resident page
 *   fork-anon N P1 P2 ...     fork with one VMA of P resident anonymous pages
 *   fork-file N P1 P2 ...     fork with one MAP_SHARED file VMA of P mapped pages (FILE=argv[3])
 *   fork-vmas-anon N V1 ...   fork with V extra 2-page anonymous VMAs, each with an
 *                             anon_vma of its own and no present page (anon_vma_fork
 *                             and copy_page_range's per-VMA part)
 *   fork-vmas-holes N V1 ...  the same VMAs never touched (no anon_vma): the baseline
 *   fork-tables N T1 ...      fork with one VMA spanning T PTE tables, one present
 *                             page in each (copy_pte_range per table)
 *   fork-anon-dirty N P1 ...  fork-anon with every page written again before each
 *                             fork (writable, exclusive PTEs: the copy write-protects them)
 *   fork-file-private FILE N P1 ...  fork with a MAP_PRIVATE file VMA of P read pages and
 *                             one written (it has an anon_vma, so its file PTEs are copied)
 *   tlb-remote N              mprotect of one resident page on CPU 0, X=0 alone, X=1
 *                             with a thread of the process spinning on CPU 1 (the IPI)
 *   exit-vmas N V1 V2 ...     fork with V 2-page anonymous VMAs, one present page each; the
 *                             child (moved to CPU 1) exits at once: its start -> the parent,
 *                             sleeping in waitpid on CPU 0, is woken (exit_mmap per VMA)
 *   exit-vmas-holes N V1 ...  the same VMAs never touched (no anon_vma, no PTE: not copied)
 *   exit-anon N P1 P2 ...     the same with one VMA of P present anonymous pages (exit_mmap per PTE)
 *   getppid N                 the syscall floor
 *   mmap-read N               mincore of one page: mmap_read_lock + find_vma + one PTE
 *   mmap-write N              mprotect to the same protection: mmap_write_lock + find + unlock
 *   lock-threads N T1 T2 ...  T threads doing mmap-write at once: per-op time vs T
 *   fault-threads N T1 ...    T threads write-faulting fresh anonymous pages of ONE VMA
 *                             (per-VMA lock shared) : per-fault time vs T
 *   fault-threads-own N T1 .. the same, each thread in its own VMA
 *   wakeup N                  futex wake -> the woken thread runs (latency)
 *   ctxswitch N               two threads ping-pong on futexes: one switch = round trip / 2
 *   fault-after-sleep N S1 .. write fault on a never-touched page (random order, 128 MiB
 *                             VMA) right after a sleep of S us (0: back to back)
 *   file-after-sleep DEV KIND N S1 ..  a page-cache hit (KIND cached) or miss (major) on DEV
 *                             after a sleep of S us, prepared as the load generator does (S = 0:
 *                             back to back; a measurement only)
 *   fault-around DEV KIND N X1 .. a read fault on DEV whose 16-page fault-around window holds X
 *                             cached neighbours (KIND major-mapped, cached-mapped, cached-unmapped,
 *                             major-unmapped; calibrate-around.c)
 *   swapin-after-sleep N S1 .. a swap-in (read fault on a page pushed out to zram, as swapin)
 *                             after a sleep of S us (0: back to back)
 *   timer-sleep N S1 ..       sleep until S us ahead (clock_nanosleep TIMER_ABSTIME, as the
 *                             load generator's think times): how late the thread is back
 *   hrtimer-irq N             a thread spinning on CPU 0 reading the clock, X=1 with a SCHED_IDLE
 *                             thread's hrtimer expiring in the window, X=0 without: the largest
 *                             gap near the expiry (calibrate-irq.c: the interrupt's CPU cost)
 *   tlb-target N              a thread spinning on CPU 1 reading the clock, X=1 with the main
 *                             thread on CPU 0 mprotecting a resident page in the window (the
 *                             TLB shoot-down IPI to CPU 1), X=0 without (calibrate-irq.c)
 *   sched-tick N              a thread spinning on CPU 1 reading the clock: X=HZ the largest gap at
 *                             each of N 1/HZ boundaries (the scheduler tick), X=0 half a period
 *                             later (calibrate-tick.c: the tick's CPU cost and period)
 *   short-sleep N S1 ..       a clock_nanosleep to now + S ns: X = 10 S + k, k = 1 if it switched
 *                             (ru_nvcsw), the value how late it is back (calibrate-tick.c; a
 *                             measurement only)
 *   mprotect-siblings N X1 .. mprotect of 256 resident pages (and back) with X threads of
 *                             the process looping sleep 20 us / spin 2.5 us; X = 100 + k:
 *                             k such threads in another process (a measurement only)
 *   mprotect-split N P1 ..    the mprotect pair of P resident pages on a VMA of its own between
 *                             PROT_NONE guards (no split, no merge) and in the middle of a VMA
 *                             (two splits, one merge): X = 10 P + k, k = 0/1 own protect/unprotect,
 *                             2/3 middle protect/unprotect (calibrate-split.c)
 *   mprotect-after-sleep N P S1 ..  the load generator's mprotect (PROT_EXEC flip of P resident
 *                             pages in the middle of a VMA) right after a sleep of S us (X = 10 S
 *                             + 1), and again back to back (X = 10 S) (calibrate-split.c)
 *   fork-anon-after-sleep N P W S1 ..  fork with one VMA of P resident anonymous pages right
 *                             after a sleep of S us (X = 10 S + 1), again back to back (10 S),
 *                             and (W > 0) after a sleep and a write walk of a W MiB buffer
 *                             (10 S + 2); + 5 when the child ran first on the parent's CPU
 *                             (calibrate-fork.c)
 *   cacheline N R             an atomic RMW on a lock's cache line: X=0 on a line the CPU owns,
 *                             X=1 ping-pong of one line between CPU 0 and CPU 1 (round trip / 2),
 *                             X=2 the same loop on private lines; R operations a sample, the
 *                             three interleaved N times (calibrate-line.c)
 */
#include "calibrate.h"

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--version")) { puts("faultline-calibrate 1"); return 0; }
  if (argc < 3) { fprintf(stderr, "usage: faultline-calibrate BENCH N [ARGS...] (see the header of native/calibrate.c)\n"); return 2; }
  setvbuf(stdout, NULL, _IOFBF, 1 << 20);
  const char *b = argv[1];
  printf("bench %s\n", b);
  if (!strcmp(b, "minor-cached") && argc == 4) bench_minor_cached(argv[2], atoi(argv[3]));
  else if (!strcmp(b, "anon-write")) bench_anon(atoi(argv[2]), 1, 0);
  else if (!strcmp(b, "anon-read")) bench_anon(atoi(argv[2]), 0, 0);
  else if (!strcmp(b, "anon-first")) bench_anon(atoi(argv[2]), 1, 1);
  else if (!strcmp(b, "cow")) bench_cow(atoi(argv[2]));
  else if (!strcmp(b, "major") && argc == 4) bench_major(argv[2], atoi(argv[3]));
  else if (!strcmp(b, "pread-direct") && argc == 4) bench_pread_direct(argv[2], atoi(argv[3]));
  else if (!strcmp(b, "swapin")) bench_swapin(atoi(argv[2]));
  else if (!strcmp(b, "mprotect")) bench_mprotect(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "munmap")) bench_munmap(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "mmap")) bench_mmap(atoi(argv[2]));
  else if (!strcmp(b, "madvise")) bench_madvise(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fork-vmas")) bench_fork_vmas(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fork-anon")) bench_fork_anon(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fork-file") && argc >= 5) bench_fork_file(argv[2], atoi(argv[3]), argc - 4, argv + 4);
  else if (!strcmp(b, "fork-vmas-anon")) bench_fork_vmas_anon(1, atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fork-vmas-holes")) bench_fork_vmas_anon(0, atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fork-tables")) bench_fork_tables(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fork-anon-dirty")) bench_fork_anon_dirty(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "tlb-remote")) bench_tlb_remote(atoi(argv[2]));
  else if (!strcmp(b, "fork-file-private") && argc >= 5) bench_fork_file_private(argv[2], atoi(argv[3]), argc - 4, argv + 4);
  else if (!strcmp(b, "exit-vmas")) bench_exit_vmas(1, atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "exit-vmas-holes")) bench_exit_vmas(0, atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "exit-anon")) bench_exit_anon(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "getppid")) bench_getppid(atoi(argv[2]));
  else if (!strcmp(b, "mmap-read")) bench_mmap_read(atoi(argv[2]));
  else if (!strcmp(b, "mmap-write")) bench_mmap_write(atoi(argv[2]));
  else if (!strcmp(b, "lock-threads")) bench_threads(0, atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fault-threads")) bench_threads(1, atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fault-threads-own")) bench_threads(2, atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "wakeup")) bench_wakeup(atoi(argv[2]));
  else if (!strcmp(b, "ctxswitch")) bench_ctxswitch(atoi(argv[2]));
  else if (!strcmp(b, "mprotect-split")) bench_mprotect_split(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fork-anon-after-sleep") && argc >= 6) bench_fork_anon_after_sleep(atoi(argv[2]), atol(argv[3]), atol(argv[4]), argc - 5, argv + 5);
  else if (!strcmp(b, "mprotect-after-sleep") && argc >= 5) bench_mprotect_after_sleep(atoi(argv[2]), atol(argv[3]), argc - 4, argv + 4);
  else if (!strcmp(b, "mprotect-siblings")) bench_mprotect_siblings(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "fault-after-sleep")) bench_fault_after_sleep(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "timer-sleep")) bench_timer_sleep(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "hrtimer-irq")) bench_hrtimer_irq(atoi(argv[2]));
  else if (!strcmp(b, "tlb-target")) bench_tlb_target(atoi(argv[2]));
  else if (!strcmp(b, "sched-tick")) bench_sched_tick(atoi(argv[2]));
  else if (!strcmp(b, "short-sleep")) bench_short_sleep(atoi(argv[2]), argc - 3, argv + 3);
  else if (!strcmp(b, "file-after-sleep") && argc >= 6 && (!strcmp(argv[3], "cached") || !strcmp(argv[3], "major")))
    bench_file_after_sleep(argv[2], !strcmp(argv[3], "major"), atoi(argv[4]), argc - 5, argv + 5);
  else if (!strcmp(b, "fault-around") && argc >= 6) bench_fault_around(argv[2], argv[3], atoi(argv[4]), argc - 5, argv + 5);
  else if (!strcmp(b, "cacheline") && argc == 4) bench_cacheline(atoi(argv[2]), atol(argv[3]));
  else if (!strcmp(b, "swapin-after-sleep")) bench_swapin_after_sleep(atoi(argv[2]), argc - 3, argv + 3);
  else die("unknown bench or wrong arguments: %s", b);
  printf("end %s\n", b);
  return 0;
}
