/* bench/callgrind/marks.c: callgrind client requests for bench/instr.py, called through ctypes.
 *
 * The harness's `loop --marks` zeroes callgrind's counters before each measured loop and dumps
 * them after it, so one process measures every case of a binding and each dump holds one loop.
 * Outside valgrind every request is a no-op. Built by bench/bench.mk (needs valgrind's headers,
 * which Debian's valgrind package ships). */
#include <valgrind/callgrind.h>

int bench_cg_running(void) { return RUNNING_ON_VALGRIND; }

void bench_cg_start(void) { CALLGRIND_START_INSTRUMENTATION; }

void bench_cg_zero(void) { CALLGRIND_ZERO_STATS; }

void bench_cg_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
