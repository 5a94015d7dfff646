/* faultline-loadgen: the config file and the set-up of regions (see loadgen.c). */
#include "loadgen.h"

/*
 * Memory the generator writes during the run (page-state arrays, records,
 * thread stacks): its own anonymous mapping, MADV_DONTFORK and touched now.
 * Otherwise every scenario fork would write-protect it (COW), and the
 * generator's next writes would be page faults of its own between timed ops,
 * waiting for mmap_lock behind the next fork. Untouched by MADV_DONTFORK: the
 * stack of a thread that forks (the child runs on it until exit_group).
 */
void *alloc_private(size_t n, int dontfork) {
  size_t len = (n + 4095) & ~(size_t)4095;
  if (len == 0) len = 4096;
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  if (dontfork) madvise(p, len, MADV_DONTFORK);
  for (size_t k = 0; k < len; k += 4096) ((volatile char *)p)[k] = 0;
  return p;
}

/* ---------------------------------------------------------------- config */

void parse_config(const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) die("cannot open config %s: %s", file, strerror(errno));
  char line[1024];
  int ri = 0, ti = -1, oi = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    char kw[32];
    if (sscanf(line, "%31s", kw) != 1) continue;
    if (!strcmp(kw, "faultline-loadgen")) continue;
    else if (!strcmp(kw, "duration")) sscanf(line, "%*s %lld", (long long *)&duration_ns);
    else if (!strcmp(kw, "warmup")) sscanf(line, "%*s %lld", (long long *)&warmup_ns);
    else if (!strcmp(kw, "cpus")) sscanf(line, "%*s %d", &ncpus_wanted);
    else if (!strcmp(kw, "cgroup")) sscanf(line, "%*s %511s", cgroup_path);
    else if (!strcmp(kw, "regions")) {
      sscanf(line, "%*s %d", &nregions);
      regions = calloc((size_t)nregions, sizeof *regions);
    } else if (!strcmp(kw, "threads")) {
      sscanf(line, "%*s %d", &nthreads);
      threads = calloc((size_t)nthreads, sizeof *threads);
    } else if (!strcmp(kw, "region")) {
      if (ri >= nregions) die("too many regions");
      struct region *r = &regions[ri++];
      char kind[16];
      long long off;
      if (sscanf(line, "%*s %d %15s %zu %d %d %d %d %zu %zu %lld %511s", &r->id, kind, &r->pages, &r->prot, &r->shared,
                 &r->dontfork, &r->random, &r->resident, &r->swap_pool, &off, r->path) != 11)
        die("bad region line: %s", line);
      r->file = !strcmp(kind, "file");
      r->off = (off_t)off;
      r->fd = -1;
    } else if (!strcmp(kw, "thread")) {
      struct thread *t = &threads[++ti];
      if (ti >= nthreads) die("too many threads");
      int n = 0;
      if (sscanf(line, "%*s %d %d %lld %d %n", &t->id, &t->nice, (long long *)&t->start, &t->nops, &n) < 4)
        die("bad thread line: %s", line);
      snprintf(t->name, sizeof t->name, "%s", line + n);
      t->name[strcspn(t->name, "\n")] = 0;
      t->ops = calloc((size_t)t->nops + 1, sizeof *t->ops);
      t->recs = alloc_private(((size_t)t->nops * 2 + 2) * sizeof *t->recs, 1);
      if (!t->ops || !t->recs) die("out of memory for the schedule of thread %d", t->id);
      oi = 0;
    } else if (!strcmp(kw, "op")) {
      if (ti < 0 || oi >= threads[ti].nops) die("op outside a thread or too many ops");
      struct op *o = &threads[ti].ops[oi++];
      long long d;
      if (sscanf(line, "%*s %lld %d %d %ld %ld %d %d", &d, &o->kind, &o->region, &o->page, &o->npages, &o->state, &o->write) != 7)
        die("bad op line: %s", line);
      o->delay = d;
      if (o->region < -1 || o->region >= nregions) die("op region out of range: %s", line);
      if (o->kind < OP_FAULT || o->kind > OP_MREMAP) die("unknown op kind: %s", line);
      if (o->region >= 0 && (o->page < 0 || o->npages < 0 || (size_t)(o->page + o->npages) > regions[o->region].pages))
        die("op range outside its region: %s", line);
    } else if (!strcmp(kw, "end")) break;
    else die("unknown config keyword %s", kw);
  }
  fclose(f);
  if (ri != nregions) die("expected %d regions, got %d", nregions, ri);
  if (ti != nthreads - 1) die("expected %d threads, got %d", nthreads, ti + 1);
}

/* ----------------------------------------------------------------- setup */

void join_cgroup(void) {
  if (cgroup_path[0] == 0 || !strcmp(cgroup_path, "-")) return;
  char p[600];
  snprintf(p, sizeof p, "%s/cgroup.procs", cgroup_path);
  FILE *f = fopen(p, "w");
  if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0) die("cannot join cgroup %s: %s", cgroup_path, strerror(errno));
}

void pin_cpus(void) {
  if (ncpus_wanted <= 0) return;
  cpu_set_t cur, want;
  CPU_ZERO(&want);
  if (sched_getaffinity(0, sizeof cur, &cur) != 0) return;
  int n = 0;
  for (int c = 0; c < CPU_SETSIZE && n < ncpus_wanted; c++)
    if (CPU_ISSET(c, &cur)) { CPU_SET(c, &want); n++; }
  if (sched_setaffinity(0, sizeof want, &want) != 0) die("sched_setaffinity: %s", strerror(errno));
}

/* Map region r at r->addr with the extra mmap flags `how`. */
static int map_region_flags(struct region *r, int how) {
  int flags = (r->shared ? MAP_SHARED : MAP_PRIVATE) | how;
  void *p;
  if (r->file) p = mmap(r->addr, r->pages * PAGE, r->prot, flags, r->fd, r->off);
  else p = mmap(r->addr, r->pages * PAGE, r->prot, flags | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -1;
  if (p != r->addr) { munmap(p, r->pages * PAGE); errno = EEXIST; return -1; }
  if (r->random) madvise(r->addr, r->pages * PAGE, MADV_RANDOM);
  if (r->dontfork) madvise(r->addr, r->pages * PAGE, MADV_DONTFORK);
  return 0;
}

/* At set-up: over the generator's own PROT_NONE reservation. */
static int map_region_over(struct region *r) { return map_region_flags(r, MAP_FIXED); }

/* The `mmap` half of an munmap op: into the hole the munmap left; never over
 * anything that took the hole meanwhile (that is an error of the op). */
int map_region(struct region *r) { return map_region_flags(r, MAP_FIXED_NOREPLACE); }

/* Deterministic, about 2:1 compressible content for anonymous pages. */
void fill_page(char *p, unsigned long long seed) {
  unsigned long long s = seed * 0x9E3779B97F4A7C15ULL + 1;
  uint64_t *w = (uint64_t *)p;
  for (size_t i = 0; i < PAGE / 8; i++) w[i] = (i & 1) ? 0 : xorshift(&s);
}

void setup_regions(void) {
  arena_pages = 1;
  for (int i = 0; i < nregions; i++) arena_pages += regions[i].pages + 1;
  /* Reserve the span and keep it reserved (PROT_NONE, no commit charge)
   * while the regions are mapped over it with MAP_FIXED: if the reservation
   * were given back first, the generator's own allocations (calloc of a large
   * page-state array is an mmap) could land inside it and a region would fail
   * with EEXIST. Only when every region is in place are the guard pages
   * between regions unmapped (so no two regions merge into one VMA and the
   * gaps are not VMAs of their own). */
  arena = mmap(NULL, arena_pages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (arena == MAP_FAILED) die("cannot reserve %zu pages: %s", arena_pages, strerror(errno));
  char *a = arena + PAGE;
  for (int i = 0; i < nregions; i++) {
    struct region *r = &regions[i];
    r->addr = a;
    a += (r->pages + 1) * PAGE;
    r->st = alloc_private(r->pages, 1);
    r->pp = alloc_private(r->pages, 1);
    r->adv = alloc_private(r->pages, 1);
    if (!r->st || !r->pp || !r->adv) die("out of memory for the page states of region %d", r->id);
    memset(r->pp, r->prot, r->pages);
    memset(r->adv, r->random ? MADV_RANDOM : MADV_NORMAL, r->pages);
    if (r->file) {
      r->open_flags = (r->shared && (r->prot & PROT_WRITE)) ? O_RDWR : O_RDONLY;
      r->fd = open(r->path, r->open_flags);
      if (r->fd < 0) die("cannot open %s: %s", r->path, strerror(errno));
    }
    if (map_region_over(r) != 0) die("cannot map region %d (%zu pages): %s", r->id, r->pages, strerror(errno));
  }
  /* The guard pages: the first one, one after each region (the last one ends the span). */
  if (munmap(arena, PAGE) != 0) die("cannot unmap guard page: %s", strerror(errno));
  for (int i = 0; i < nregions; i++)
    if (munmap(regions[i].addr + regions[i].pages * PAGE, PAGE) != 0) die("cannot unmap guard page: %s", strerror(errno));
  /* File regions: drop the page cache of the range, then read it back. */
  static char buf[128 * 1024];
  for (int i = 0; i < nregions; i++) {
    struct region *r = &regions[i];
    if (!r->file) continue;
    posix_fadvise(r->fd, r->off, (off_t)(r->pages * PAGE), POSIX_FADV_DONTNEED);
    /* A block device's page cache takes large folios from readahead, and a
     * large folio cannot be evicted one page at a time (prepare() of an
     * absent page would then leave it cached): read it back one page per
     * read with FADV_RANDOM (no readahead), so every folio is one page. */
    struct stat sb;
    size_t step = sizeof buf;
    if (fstat(r->fd, &sb) == 0 && S_ISBLK(sb.st_mode)) {
      posix_fadvise(r->fd, r->off, (off_t)(r->pages * PAGE), POSIX_FADV_RANDOM);
      step = PAGE;
    }
    for (size_t done = 0; done < r->pages * PAGE;) {
      size_t n = r->pages * PAGE - done;
      if (n > step) n = step;
      ssize_t got = pread(r->fd, buf, n, r->off + (off_t)done);
      if (got <= 0) die("preload of %s failed: %s", r->path, got < 0 ? strerror(errno) : "short file");
      done += (size_t)got;
    }
    memset(r->st, PG_CACHED, r->pages);
  }
  /* Anonymous regions: a deterministic permutation picks the swap pool first,
   * then the resident pages; the rest is never touched (state zero). */
  size_t swapped_total = 0, swapped_ok = 0;
  for (int i = 0; i < nregions; i++) {
    struct region *r = &regions[i];
    if (r->file) continue;
    memset(r->st, PG_ZERO, r->pages);
    size_t *perm = malloc(r->pages * sizeof *perm);
    for (size_t k = 0; k < r->pages; k++) perm[k] = k;
    unsigned long long s = 0x1234567ULL + (unsigned long long)r->id * 7919;
    for (size_t k = r->pages; k > 1; k--) {
      size_t j = xorshift(&s) % k;
      size_t t = perm[k - 1]; perm[k - 1] = perm[j]; perm[j] = t;
    }
    size_t npop = r->swap_pool + r->resident;
    if (npop > r->pages) npop = r->pages;
    int writable = (r->prot & PROT_WRITE) != 0;
    for (size_t k = 0; k < npop; k++) {
      size_t pg = perm[k];
      if (writable) fill_page(r->addr + pg * PAGE, (unsigned long long)r->id * 1000003ULL + pg);
      else (void)*(volatile char *)(r->addr + pg * PAGE);
      r->st[pg] = PG_RESIDENT;
    }
    for (size_t k = 0; k < r->swap_pool && k < r->pages; k++) {
      size_t pg = perm[k];
      swapped_total++;
      if (madvise(r->addr + pg * PAGE, PAGE, MADV_PAGEOUT) == 0) r->st[pg] = PG_SWAPPED;
    }
    if (r->swap_pool > 0) {
      /* mincore reports a swapped-out anonymous page as not resident. */
      unsigned char *vec = malloc(r->pages);
      if (mincore(r->addr, r->pages * PAGE, vec) == 0) {
        for (size_t k = 0; k < r->pages; k++) {
          if (r->st[k] != PG_SWAPPED) continue;
          if (vec[k] & 1) r->st[k] = PG_RESIDENT; else swapped_ok++;
        }
      }
      free(vec);
    }
    free(perm);
  }
  fprintf(stderr, "faultline-loadgen: swap pool %zu/%zu pages out\n", swapped_ok, swapped_total);
}

