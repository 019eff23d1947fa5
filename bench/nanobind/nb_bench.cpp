// bench/nanobind/nb_bench.cpp: the benchmark functions through nanobind (from PyPI), written the
// way nanobind users write them; the work per case is bench/common's.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/unordered_map.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <cstring>
#include <string_view>
#include <thread>

#include "../common/containers_work.h"
#include "../common/cxx_work.hpp"

namespace nb = nanobind;

// count_up's iterator (a distinct name per peer: both peers load into one process).
struct NbCountUp {
    int64_t next, stop;
};

NB_MODULE(nb_bench, m) {
    m.def("noop", []() {});
    m.def("add", [](int64_t a, int64_t b) { return a + b; });
    m.def("fadd", [](double a, double b) { return a + b; });
    m.def("slen", [](std::string_view s) { return static_cast<int64_t>(s.size()); });
    m.def("greet", [](std::string_view s) {
        char buf[BENCH_GREET_BUF];
        if (s.size() > BENCH_GREET_BUF - BENCH_GREET_PREFIX_LEN) throw nb::value_error("name too long");
        std::memcpy(buf, BENCH_GREET_PREFIX, BENCH_GREET_PREFIX_LEN);
        std::memcpy(buf + BENCH_GREET_PREFIX_LEN, s.data(), s.size());
        return nb::str(buf, s.size() + BENCH_GREET_PREFIX_LEN);
    });
    m.def("kwargs", [](int64_t a, int64_t b, int64_t c) { return a + b + c; }, nb::arg("a"), nb::arg("b"),
          nb::arg("c"));
    m.def("alloc10", []() {
        if (bench_alloc10_pymem() < 0) throw nb::python_error();
    });
    m.def("thread_alloc_scoped", []() {
        nb::gil_scoped_release nogil;
        std::thread(bench_alloc_loop_scoped<nb::gil_scoped_acquire>).join();
    });
    m.def("thread_alloc_unscoped", []() {
        nb::gil_scoped_release nogil;
        std::thread(bench_alloc_loop_unscoped<nb::gil_scoped_acquire>).join();
    });
    // Buffers: nb::ndarray (nanobind's array type; read-only input needs a const element type).
    bench_crc32_init();
    m.def("sum_f64", [](nb::ndarray<const double, nb::ndim<1>, nb::device::cpu> x) {
        return bench_sum_f64(x.data(), x.shape(0), static_cast<ptrdiff_t>(x.stride(0) * sizeof(double)));
    });
    m.def(
        "crc32",
        [](nb::ndarray<const uint8_t, nb::ndim<1>, nb::c_contig, nb::device::cpu> data, uint32_t value) {
            return bench_crc32(data.data(), data.shape(0), value);
        },
        nb::arg("data"), nb::arg("value") = 0);
    m.def("linspace", [](double start, double stop, size_t n) {
        double *d = new double[n ? n : 1];
        bench_linspace(d, n, start, stop);
        nb::capsule owner(d, [](void *p) noexcept { delete[] static_cast<double *>(p); });
        return nb::ndarray<nb::numpy, double, nb::ndim<1>>(d, {n}, owner);
    });
    m.def("roundtrip1000", []() {
        int64_t acc = 0;
        for (int64_t i = 0; i < BENCH_ROUNDTRIPS; i++) {
            nb::object o = nb::int_(i);
            acc += nb::cast<int64_t>(o);
        }
        return acc;
    });
    // Containers through nanobind's STL casters.
    m.def("sum_list", [](const std::vector<int64_t> &xs) {
        int64_t sum = 0;
        for (int64_t x : xs)
            if (__builtin_add_overflow(sum, x, &sum)) throw std::overflow_error("sum does not fit in int64");
        return sum;
    });
    m.def("minmax", [](const std::vector<double> &xs) {
        if (xs.empty()) throw nb::value_error("minmax: empty sequence");
        double lo = xs[0], hi = xs[0];
        for (double x : xs) {
            if (x < lo) lo = x;
            if (x > hi) hi = x;
        }
        return std::make_pair(lo, hi);
    });
    m.def("apply", [](const std::function<int64_t(int64_t)> &f, const std::vector<int64_t> &xs) {
        std::vector<int64_t> out;
        out.reserve(xs.size());
        for (int64_t x : xs) out.push_back(f(x));
        return out;
    });
    nb::class_<NbCountUp>(m, "CountUp")
        .def("__iter__", [](nb::handle self) { return self; })
        .def("__next__", [](NbCountUp &c) {
            if (c.next >= c.stop) throw nb::stop_iteration();
            return c.next++;
        });
    m.def("count_up", [](int64_t n) { return NbCountUp{0, n}; });
    m.def("word_counts", [](std::string_view text) {
        bench_word words[BENCH_MAX_DISTINCT];
        int n = bench_count_words(text.data(), text.size(), words);
        if (n < 0) throw nb::value_error("too many distinct words");
        std::unordered_map<std::string, int64_t> out;
        for (int i = 0; i < n; i++) out.emplace(std::string(words[i].ptr, words[i].len), words[i].count);
        return out;
    });
}
