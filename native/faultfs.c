/*
 * faultline-fuse: a FUSE filesystem (libfuse3) whose reads take a controlled
 * time, for `faultline real`.
 *
 * Usage: faultline-fuse CONFIG MOUNTPOINT LOG
 *
 * CONFIG lines (written by src/real/translate.ts):
 *   file NAME BYTES        a regular file of that size, read-only content
 *   delays N               followed by N lines, one read delay in ns each
 * Content is deterministic: the 8-byte word at byte offset o of file i is a
 * hash of (i, o). Writes are accepted and discarded (shared writable mappings
 * can be written back).
 *
 * Each read request sleeps the next delay of the list (cyclically, shared by
 * all requests in arrival order) before it is answered -- but only while
 * delays are on: SIGUSR1 turns them on, SIGUSR2 off (they start off, so the
 * generator's preload of the page cache is fast). Requests are served by
 * libfuse's multi-threaded loop, so reads from several faulting threads
 * proceed in parallel, each with its own delay (a device with a deep queue).
 *
 * On unmount the daemon writes LOG: one line per delayed read,
 *   read START_NS END_NS TID FILE OFFSET SIZE DELAY_NS
 * with CLOCK_MONOTONIC times and the requesting thread's id.
 */
#define FUSE_USE_VERSION 35
#define _GNU_SOURCE
#include <errno.h>
#include <fuse.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

struct ffile {
  char name[256];
  uint64_t size;
};

struct logent {
  int64_t start, end, delay;
  int tid, file;
  uint64_t off, size;
};

static struct ffile *files;
static int nfiles;
static int64_t *delays;
static size_t ndelays;
static volatile sig_atomic_t delays_on;
static uint64_t next_delay;
static struct logent *logv;
static size_t nlog, caplog;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *log_path;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int find(const char *path) {
  if (path[0] != '/') return -1;
  for (int i = 0; i < nfiles; i++)
    if (!strcmp(path + 1, files[i].name)) return i;
  return -1;
}

static void *ff_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  (void)conn;
  cfg->kernel_cache = 1;      /* keep the page cache across opens */
  cfg->attr_timeout = 86400;
  cfg->entry_timeout = 86400;
  cfg->negative_timeout = 86400;
  cfg->direct_io = 0;
  cfg->use_ino = 0;
  return NULL;
}

static int ff_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  (void)fi;
  memset(st, 0, sizeof *st);
  if (!strcmp(path, "/")) {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    return 0;
  }
  int i = find(path);
  if (i < 0) return -ENOENT;
  st->st_mode = S_IFREG | 0644;
  st->st_nlink = 1;
  st->st_size = (off_t)files[i].size;
  st->st_blocks = (blkcnt_t)((files[i].size + 511) / 512);
  return 0;
}

static int ff_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags) {
  (void)off; (void)fi; (void)flags;
  if (strcmp(path, "/")) return -ENOENT;
  fill(buf, ".", NULL, 0, 0);
  fill(buf, "..", NULL, 0, 0);
  for (int i = 0; i < nfiles; i++) fill(buf, files[i].name, NULL, 0, 0);
  return 0;
}

static int ff_open(const char *path, struct fuse_file_info *fi) {
  int i = find(path);
  if (i < 0) return -ENOENT;
  fi->fh = (uint64_t)i;
  fi->keep_cache = 1;
  fi->direct_io = 0;
  return 0;
}

static void content(int file, uint64_t off, char *buf, size_t n) {
  for (size_t k = 0; k < n; k++) {
    uint64_t o = off + k;
    uint64_t w = ((o >> 3) + 1) * 0x9E3779B97F4A7C15ULL ^ ((uint64_t)file + 1) * 0xC2B2AE3D27D4EB4FULL;
    w ^= w >> 29;
    buf[k] = (char)(w >> ((o & 7) * 8));
  }
}

static void sleep_ns(int64_t ns) {
  if (ns <= 0) return;
  struct timespec ts = { .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

static int ff_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  int i = (int)fi->fh;
  if (i < 0 || i >= nfiles) return -EBADF;
  if ((uint64_t)off >= files[i].size) return 0;
  if ((uint64_t)off + size > files[i].size) size = (size_t)(files[i].size - (uint64_t)off);
  int64_t start = now_ns(), delay = 0;
  if (delays_on && ndelays > 0) {
    uint64_t k = __atomic_fetch_add(&next_delay, 1, __ATOMIC_RELAXED);
    delay = delays[k % ndelays];
    sleep_ns(delay);
  }
  content(i, (uint64_t)off, buf, size);
  if (delays_on) {
    int64_t end = now_ns();
    pthread_mutex_lock(&log_mu);
    if (nlog == caplog) {
      caplog = caplog ? caplog * 2 : 4096;
      logv = realloc(logv, caplog * sizeof *logv);
    }
    if (logv) logv[nlog++] = (struct logent){ start, end, delay, (int)fuse_get_context()->pid, i, (uint64_t)off, size };
    pthread_mutex_unlock(&log_mu);
  }
  return (int)size;
}

static int ff_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path; (void)buf; (void)off; (void)fi;
  return (int)size;
}

static void ff_destroy(void *priv) {
  (void)priv;
  FILE *f = fopen(log_path, "w");
  if (!f) return;
  fprintf(f, "faultline-fuse-log 1\n");
  for (size_t k = 0; k < nlog; k++) {
    struct logent *e = &logv[k];
    fprintf(f, "read %lld %lld %d %d %llu %llu %lld\n", (long long)e->start, (long long)e->end, e->tid, e->file,
            (unsigned long long)e->off, (unsigned long long)e->size, (long long)e->delay);
  }
  fclose(f);
}

static const struct fuse_operations ops = {
  .init = ff_init,
  .getattr = ff_getattr,
  .readdir = ff_readdir,
  .open = ff_open,
  .read = ff_read,
  .write = ff_write,
  .destroy = ff_destroy,
};

static void on_usr(int sig) { delays_on = sig == SIGUSR1; }

static void load(const char *cfg) {
  FILE *f = fopen(cfg, "r");
  if (!f) { fprintf(stderr, "faultline-fuse: cannot open %s: %s\n", cfg, strerror(errno)); exit(3); }
  char line[512];
  int cap = 0;
  while (fgets(line, sizeof line, f)) {
    char name[256];
    unsigned long long n;
    if (sscanf(line, "file %255s %llu", name, &n) == 2) {
      if (nfiles == cap) { cap = cap ? cap * 2 : 16; files = realloc(files, (size_t)cap * sizeof *files); }
      snprintf(files[nfiles].name, sizeof files[nfiles].name, "%s", name);
      files[nfiles++].size = n;
    } else if (sscanf(line, "delays %llu", &n) == 1) {
      delays = calloc(n ? n : 1, sizeof *delays);
      for (size_t k = 0; k < n; k++) {
        long long d;
        if (!fgets(line, sizeof line, f) || sscanf(line, "%lld", &d) != 1) { fprintf(stderr, "faultline-fuse: short delay list\n"); exit(3); }
        delays[k] = d;
      }
      ndelays = n;
    }
  }
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--version")) { puts("faultline-fuse 1"); return 0; }
  if (argc != 4) { fprintf(stderr, "usage: faultline-fuse CONFIG MOUNTPOINT LOG\n"); return 2; }
  load(argv[1]);
  log_path = argv[3];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  /* Timer slack 1 ns (inherited by libfuse's worker threads): with the
   * default 50 us slack every delay overslept by up to 50 us, which showed as
   * FUSE overhead on each major fault. */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  char *fargv[] = { argv[0], argv[2], "-f", "-o", "fsname=faultline,subtype=faultline,auto_unmount", NULL };
  return fuse_main(5, fargv, &ops, NULL);
}
