/* faultline-calibrate: the fault-around bench (see calibrate.c). */
#include "calibrate.h"

/* do_fault_around's window: fault_around_bytes (64 KiB) of PTEs, aligned in the page table. */
#define AROUND 16UL

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* Read page pg of fd into the page cache (one page, no readahead: the fd is FADV_RANDOM). */
static void cache_page(int fd, size_t pg) {
  static char buf[PAGE];
  if (pread(fd, buf, PAGE, (off_t)(pg * PAGE)) != (ssize_t)PAGE) die("pread: %s", strerror(errno));
}

static void evict_page(int fd, size_t pg) {
  posix_fadvise(fd, (off_t)(pg * PAGE), (off_t)PAGE, POSIX_FADV_DONTNEED);
}

/*
 * fault-around DEV KIND N X1 X2 ...: one read fault on DEV (MAP_SHARED,
 * MADV_RANDOM: a miss reads one page, no read-around), N samples per X, the
 * page in a random 16-page window of do_fault_around (fault_around_bytes,
 * aligned in the page table) in which X of the 15 other pages are in the page
 * cache (order-0 folios, read one page at a time) and the rest are not.
 * KIND:
 *   major-mapped    the page is not cached (a major fault: filemap_map_pages
 *                   walks the window before ->fault and again on the retry);
 *                   the X cached neighbours are mapped (their PTEs present,
 *                   as the load generator's regions are once faults and their
 *                   fault-around have run over them);
 *   cached-mapped   the page is cached, its PTE zapped (a page-cache hit that
 *                   do_fault_around maps), the X neighbours mapped;
 *   cached-unmapped the same with the X neighbours' PTEs zapped too (as the
 *                   minor-cached bench, which zaps the whole mapping: fault-
 *                   around maps them);
 *   major-unmapped  a major fault whose X cached neighbours are not mapped
 *                   (the first walk maps them, the retry passes them).
 * X = 0 is the page alone in its window. The slope over X is what one cached
 * neighbour costs fault-around (next_uptodate_folio: the xarray walk,
 * folio_try_get, folio_trylock; a present PTE skipped, or a none one set by
 * filemap_map_folio_range -> set_pte_range; folio_unlock, folio_put), per
 * walk (twice in a major fault).
 */
void bench_fault_around(const char *path, const char *kind, int n, int argc, char **argv) {
  int major = !strcmp(kind, "major-mapped") || !strcmp(kind, "major-unmapped");
  int mapped = !strcmp(kind, "major-mapped") || !strcmp(kind, "cached-mapped");
  if (!major && !mapped && strcmp(kind, "cached-unmapped") != 0) die("fault-around: unknown kind %s", kind);
  int fd = open_or_die(path, O_RDONLY);
  size_t pages = (size_t)(size_of(fd) / (off_t)PAGE);
  /* Map 16 pages more than the device and start the mapping on a 64 KiB boundary, so that file
   * windows of 16 pages are do_fault_around's windows. */
  char *raw = mmap(NULL, (pages + AROUND) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) die("mmap: %s", strerror(errno));
  char *p = (char *)(((uintptr_t)raw + AROUND * PAGE - 1) & ~(uintptr_t)(AROUND * PAGE - 1));
  if (mmap(p, pages * PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) die("mmap %s: %s", path, strerror(errno));
  madvise(p, pages * PAGE, MADV_RANDOM);
  posix_fadvise(fd, 0, (off_t)(pages * PAGE), POSIX_FADV_DONTNEED);
  posix_fadvise(fd, 0, (off_t)(pages * PAGE), POSIX_FADV_RANDOM);
  size_t windows = pages / AROUND;
  uint64_t x = 88172645463325252ULL;
  long missed = 0;
  for (int k = 0; k < argc; k++) {
    long want = atol(argv[k]);
    if (want < 0 || want > (long)AROUND - 1) die("fault-around: X must be 0..15, got %ld", want);
    for (int i = 0; i < n; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      size_t w = (size_t)(x % windows) * AROUND;
      size_t t = w + (size_t)((x >> 32) % AROUND);
      /* The X cached neighbours: the first X of the window's other pages, counted from t's right, wrapping. */
      char cached[AROUND] = { 0 };
      for (long j = 0, pg = (long)(t - w); j < want; j++) { pg = (pg + 1) % (long)AROUND; cached[pg] = 1; }
      /* The same preparation work whatever X (so that the fault meets the CPU's caches alike): a
       * page the window does not cache is cached in a second window d instead, and the reverse. */
      size_t d = (w + windows / 2 * AROUND) % (windows * AROUND);
      madvise(p + w * PAGE, AROUND * PAGE, MADV_DONTNEED); /* every PTE of the window none */
      madvise(p + d * PAGE, AROUND * PAGE, MADV_DONTNEED);
      for (size_t j = 0; j < AROUND; j++) {
        if (w + j == t) continue;
        size_t in = cached[j] ? w : d, out = cached[j] ? d : w;
        evict_page(fd, out + j);
        cache_page(fd, in + j);
      }
      cache_page(fd, t);
      cache_page(fd, d + (t - w));
      if (mapped) {
        /* A page-cache hit whose fault-around maps the window (through GUP, not a user fault); the
         * same in the other window. */
        if (madvise(p + t * PAGE, PAGE, MADV_POPULATE_READ) != 0) die("MADV_POPULATE_READ: %s", strerror(errno));
        if (madvise(p + (d + (t - w)) * PAGE, PAGE, MADV_POPULATE_READ) != 0) die("MADV_POPULATE_READ: %s", strerror(errno));
        madvise(p + t * PAGE, PAGE, MADV_DONTNEED);
      }
      if (major) evict_page(fd, t);
      long m0 = majflt();
      int64_t t0 = now_ns();
      (void)*(volatile const char *)(p + t * PAGE);
      int64_t dt = now_ns() - t0;
      if ((majflt() > m0) == major) sample(want, dt);
      else missed++;
    }
  }
  printf("# missed %ld\n", missed);
  munmap(raw, (pages + AROUND) * PAGE);
  close(fd);
}
