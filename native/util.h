/*
 * Helpers shared by the native programs (faultline-loadgen, faultline-calibrate).
 * Define FAULTLINE_PROG (the program name for error messages) before including.
 */
#ifndef FAULTLINE_UTIL_H
#define FAULTLINE_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Print "PROG: message" on stderr and exit 3. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn, unused));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs(FAULTLINE_PROG ": ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(3);
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
