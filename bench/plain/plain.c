/* bench/plain/plain.c: the benchmark functions as a plain C library, called through ctypes and
 * cffi. Python strings reach these as NUL-terminated UTF-8 (the callers encode), and greet
 * writes into a caller-provided buffer of BENCH_GREET_BUF bytes. */
#include "plain.h"

#include <string.h>

#include "../common/bench_common.h"

void bench_noop(void) {}

int64_t bench_add(int64_t a, int64_t b) { return a + b; }

double bench_fadd(double a, double b) { return a + b; }

int64_t bench_slen(const char *s) { return (int64_t)strlen(s); }

/* Writes "hello, " + name into `out` (not NUL-terminated); returns its length, or -1 if it does
 * not fit. The buffer lives on the caller's side, as ctypes and cffi users have it. */
int64_t bench_greet(const char *name, char *out) {
    size_t n = strlen(name);
    if (n > BENCH_GREET_BUF - BENCH_GREET_PREFIX_LEN) return -1;
    memcpy(out, BENCH_GREET_PREFIX, BENCH_GREET_PREFIX_LEN);
    memcpy(out + BENCH_GREET_PREFIX_LEN, name, n);
    return (int64_t)(n + BENCH_GREET_PREFIX_LEN);
}

int64_t bench_kwargs(int64_t a, int64_t b, int64_t c) { return a + b + c; }
