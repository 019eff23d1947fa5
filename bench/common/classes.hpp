// bench/common/classes.hpp: the class benchmarks' C++ types (Counter, RollingStats), shared by the
// pybind11 and nanobind peers so they do the same work; RollingStats keeps its values in
// bench/common/rolling.h's ring buffer on the Python allocator, as the C peers do. Every
// constructor and destructor keeps the live-instance count the pyz3 sample plugin keeps.
#ifndef BENCH_CLASSES_HPP
#define BENCH_CLASSES_HPP

#include <Python.h>

#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

#include "rolling.h"

inline int64_t bench_live = 0;

struct Counter {
    int64_t value;
    explicit Counter(int64_t start) : value(start) { bench_live++; }
    Counter(const Counter &other) : value(other.value) { bench_live++; }
    ~Counter() { bench_live--; }
    int64_t inc(int64_t by) {
        int64_t sum;
        if (__builtin_add_overflow(value, by, &sum)) throw std::overflow_error("Counter.inc: overflow");
        return value = sum;
    }
    void reset() { value = 0; }
    std::string repr() const { return "Counter(value=" + std::to_string(value) + ")"; }
};

inline void *bench_pymem(size_t n) { return PyMem_Malloc(n); }

struct RollingStats {
    rolling_t r{};
    explicit RollingStats(int64_t window) {
        if (window <= 0) throw std::invalid_argument("RollingStats: window must be positive");
        if (rolling_init(&r, window, bench_pymem) != 0) throw std::bad_alloc();
        bench_live++;
    }
    RollingStats(const RollingStats &a, const RollingStats &b) {
        if (rolling_merge(&r, &a.r, &b.r, bench_pymem) != 0) throw std::bad_alloc();
        bench_live++;
    }
    RollingStats(RollingStats &&other) noexcept : r(other.r) { other.r.values = nullptr; }
    RollingStats(const RollingStats &) = delete;
    ~RollingStats() {
        if (r.values != nullptr) {
            PyMem_Free(r.values);
            bench_live--;
        }
    }
    void push(double x) { rolling_push(&r, x); }
    int64_t count() const { return r.count; }
};

#endif
