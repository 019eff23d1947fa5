/* bench/common/bench_common.h: the work each benchmark case does, shared by every C/C++ binding
 * (floor, varargs, plain, pyz3 plugin, pybind11, nanobind) so they cannot drift apart. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

/* greet(name): "hello, " + name built in a stack buffer of this size, then turned into a str. */
#define BENCH_GREET_BUF 256
#define BENCH_GREET_PREFIX "hello, "
#define BENCH_GREET_PREFIX_LEN 7

/* alloc10(): this many allocations of this size, all live at once, then freed. */
#define BENCH_ALLOC_COUNT 10
#define BENCH_ALLOC_SIZE 256

/* thread_alloc_*(): one native worker thread per call makes this many allocate+free pairs. */
#define BENCH_THREAD_ALLOCS 1000

/* roundtrip1000(): int64 -> Python int -> int64 round trips of 0, 1, ..., this - 1. */
#define BENCH_ROUNDTRIPS 1000

#include <stddef.h>
#include <stdint.h>

/* sum_f64(x): the sum of a 1-D float64 buffer of n elements, `stride` bytes apart. */
static inline double bench_sum_f64(const void *data, size_t n, ptrdiff_t stride) {
    double s = 0.0;
    if (stride == (ptrdiff_t)sizeof(double)) {
        const double *d = (const double *)data;
        for (size_t i = 0; i < n; i++) s += d[i];
    } else {
        const char *p = (const char *)data;
        for (size_t i = 0; i < n; i++) s += *(const double *)(p + (ptrdiff_t)i * stride);
    }
    return s;
}

/* crc32(data, value=0): zlib's CRC-32, a byte at a time through a 256-entry table that
 * bench_crc32_init() fills (each binding calls it once when it loads). */
static inline uint32_t *bench_crc_table(void) {
    static uint32_t table[256];
    return table;
}

static inline void bench_crc32_init(void) {
    uint32_t *table = bench_crc_table();
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
}

static inline uint32_t bench_crc32(const void *data, size_t n, uint32_t value) {
    const uint32_t *table = bench_crc_table();
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~value;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}

/* linspace(start, stop, n): n values from start to stop inclusive, as numpy.linspace. */
static inline void bench_linspace(double *d, size_t n, double start, double stop) {
    double step = n > 1 ? (stop - start) / (double)(n - 1) : 0.0;
    for (size_t i = 0; i < n; i++) d[i] = (double)i * step + start;
    if (n > 1) d[n - 1] = stop;
}

#endif
