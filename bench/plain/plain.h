/* bench/plain/plain.h: the benchmark functions as a plain C library (no Python), for ctypes and
 * cffi. The cffi builder reads the declarations between the markers below. */
#ifndef BENCH_PLAIN_H
#define BENCH_PLAIN_H
#include <stdint.h>

/* cdef-begin */
void bench_noop(void);
int64_t bench_add(int64_t a, int64_t b);
double bench_fadd(double a, double b);
int64_t bench_slen(const char *s);
int64_t bench_greet(const char *name, char *out);
int64_t bench_kwargs(int64_t a, int64_t b, int64_t c);
/* cdef-end */

#endif
