/* Shared definitions of faultline-loadgen (native/loadgen.c is the entry point and documents it). */
#ifndef FAULTLINE_LOADGEN_H
#define FAULTLINE_LOADGEN_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 4096UL

/* Page states as the config names them (shared with translate.ts). */
enum { ST_NONE = 0, ST_CACHED = 1, ST_ABSENT = 2, ST_ZERO = 3, ST_SWAPPED = 4, ST_MEMCG = 5 };
/* Tracked state of a page (per region, one byte; bit 7 = claimed by a thread). */
enum { PG_CACHED = 1, PG_EVICTED = 2, PG_ZERO = 3, PG_RESIDENT = 4, PG_SWAPPED = 5 };
#define PG_BUSY 0x80

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* Operation kinds (shared with translate.ts). For OP_MPROTECT_PROT and
 * OP_MADVISE_ADV the op line's `state` field is the PROT_* bits / MADV_*
 * advice and `write` is 1 when the op restores the range afterwards; for
 * OP_MREMAP `state` is the new length in pages and `write` the MREMAP_* flags. */
enum {
  OP_FAULT = 0, OP_MPROTECT = 1, OP_MADVISE = 2, OP_MUNMAP = 3, OP_MMAP = 4, OP_FORK = 5,
  OP_MPROTECT_PROT = 6, OP_MADVISE_ADV = 7, OP_MREMAP = 8,
};

/* Record flags. */
#define F_SEGV 1      /* the touch hit SIGSEGV (region unmapped meanwhile) */
#define F_PREP 2      /* the page had to be prepared in line (no page in the state) */
#define F_ERROR 4     /* the syscall failed */
#define F_UNFINISHED 8
#define F_CHILD_FIRST 16 /* fork: the child ran on the parent's CPU before fork() returned (run_op) */

struct region {
  int id;
  int file;            /* 1: file-backed */
  size_t pages;
  int prot;
  int shared;
  int dontfork;
  int random;
  int fd;              /* file regions */
  off_t off;           /* offset in the file, bytes */
  size_t resident;     /* anon pages populated at setup */
  size_t swap_pool;    /* anon pages pushed to swap at setup */
  char *addr;
  unsigned char *st;   /* tracked page states */
  unsigned char *pp;   /* each page's protection now (PROT_* bits; OP_MPROTECT_PROT) */
  unsigned char *adv;  /* each page's madvise advice now (MADV_NORMAL/RANDOM/SEQUENTIAL; OP_MADVISE_ADV) */
  char path[512];
  int open_flags;
};

struct op {
  int64_t delay;
  int kind, region;
  long page, npages;
  int state, write;
};

struct rec {
  int op, region, state, flags;
  long page;
  int64_t start, end, prep_start, prep_end;
  long minflt, majflt;
};

struct thread {
  int id, nice;
  int64_t start;
  char name[64];
  int nops;
  struct op *ops;
  struct rec *recs;
  int nrecs;
  pthread_t pt;
  pid_t tid;
  unsigned long long rng;
  /* The range of the last unpaired mprotect (see run_op). */
  int mp_pending, mp_region;
  long mp_page, mp_npages;
};


/* Globals (defined in loadgen.c). */
extern int64_t duration_ns, warmup_ns;
extern int ncpus_wanted;
extern char cgroup_path[512];
extern struct region *regions;
extern int nregions;
extern struct thread *threads;
extern int nthreads;
extern char *arena;
extern size_t arena_pages;

#define FAULTLINE_PROG "faultline-loadgen"
#include "util.h"

static inline unsigned long long xorshift(unsigned long long *s) {
  unsigned long long x = *s;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return *s = x;
}


/* loadgen-setup.c */
void *alloc_private(size_t n, int dontfork);
void parse_config(const char *file);
void join_cgroup(void);
void pin_cpus(void);
void setup_regions(void);
int map_region(struct region *r);
void fill_page(char *p, unsigned long long seed);

#endif
