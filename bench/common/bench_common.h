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

#endif
