/* bench/common/containers_work.h: the work of the container cases (list_sum10, tuple_ret,
 * callback, iter10, dict_ret) that is the same in every binding: the texts and sequences, and
 * word counting in plain C, so each binding only converts. No Python.h: the pyz3 plugin and the
 * CPython extensions all include it. */
#ifndef BENCH_CONTAINERS_WORK_H
#define BENCH_CONTAINERS_WORK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* iter10(): list(count_up(BENCH_ITER_N)). */
#define BENCH_ITER_N 10

/* dict_ret(): word_counts of a text of at most this many distinct words. */
#define BENCH_MAX_DISTINCT 64

typedef struct {
    const char *ptr;
    size_t len;
    int64_t count;
} bench_word;

static inline int bench_is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Splits `len` bytes of text on ASCII whitespace and counts each distinct word into `out`, in the
 * order of first occurrence: the number of distinct words, or -1 when there are more than
 * BENCH_MAX_DISTINCT. */
static inline int bench_count_words(const char *text, size_t len, bench_word *out) {
    int n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && bench_is_space(text[i])) i++;
        if (i == len) break;
        size_t start = i;
        while (i < len && !bench_is_space(text[i])) i++;
        size_t wlen = i - start;
        int k = 0;
        while (k < n && !(out[k].len == wlen && memcmp(out[k].ptr, text + start, wlen) == 0)) k++;
        if (k == n) {
            if (n == BENCH_MAX_DISTINCT) return -1;
            out[n].ptr = text + start;
            out[n].len = wlen;
            out[n].count = 0;
            n++;
        }
        out[k].count++;
    }
    return n;
}

#endif
