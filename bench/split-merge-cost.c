// Split/merge cost of mprotect on the host kernel (issue 13): the DEFAULT_COSTS
// split_vma / merge_vma figures. Build and run: see bench/README.md, "Split and merge".
// Arguments: POPULATE (0/1: touch the pages first), OTHER (0/1: a second thread
// spins on another CPU, so the mm is in two CPUs' TLBs).
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#define MB (1UL << 20)
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static volatile int stop;
static void *spin(void *a) { (void)a; while (!stop) __asm__ volatile("" ::: "memory"); return NULL; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
#define N 2001
static double t[N];
static double median(void) { qsort(t, N, sizeof t[0], cmp); return t[N / 2]; }
int main(int argc, char **argv) {
  int populate = argc > 1 && atoi(argv[1]);
  int other = argc > 2 && atoi(argv[2]);
  size_t len = 64 * MB, piece = 2 * MB;
  // A: 2 MB in the middle of one 64 MB VMA: the pair splits (head, tail) and merges back.
  char *big = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  // B: a 2 MB VMA of its own between PROT_NONE guards: no split, no merge.
  char *g = mmap(NULL, piece + 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *own = g + 4096;
  mprotect(own, piece, PROT_READ | PROT_WRITE);
  char *mid = big + len / 2;
  if (populate) { memset(mid, 1, piece); memset(own, 1, piece); }
  pthread_t th;
  if (other) pthread_create(&th, NULL, spin, NULL);
  usleep(10000);
  for (int k = 0; k < 2; k++) {
    char *p = k == 0 ? mid : own;
    for (int i = 0; i < N; i++) {
      double a = now();
      mprotect(p, piece, PROT_READ);
      mprotect(p, piece, PROT_READ | PROT_WRITE);
      t[i] = now() - a;
    }
    printf("%s populate=%d other_thread=%d pair_median_ns=%.0f\n", k == 0 ? "split+merge" : "own-vma", populate, other, median());
  }
  stop = 1;
  if (other) pthread_join(th, NULL);
  return 0;
}
