// bench/pybind11/pb11_bench.cpp: the benchmark functions through pybind11 (from PyPI), written
// the way pybind11 users write them; the work per case is bench/common's.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <cstring>
#include <string_view>
#include <thread>

#include "../common/containers_work.h"
#include "../common/cxx_work.hpp"

namespace py = pybind11;

// count_up's iterator (a distinct name per peer: both peers load into one process).
struct Pb11CountUp {
    int64_t next, stop;
};

PYBIND11_MODULE(pb11_bench, m) {
    m.def("noop", []() {});
    m.def("add", [](int64_t a, int64_t b) { return a + b; });
    m.def("fadd", [](double a, double b) { return a + b; });
    m.def("slen", [](std::string_view s) { return static_cast<int64_t>(s.size()); });
    m.def("greet", [](std::string_view s) {
        char buf[BENCH_GREET_BUF];
        if (s.size() > BENCH_GREET_BUF - BENCH_GREET_PREFIX_LEN) throw py::value_error("name too long");
        std::memcpy(buf, BENCH_GREET_PREFIX, BENCH_GREET_PREFIX_LEN);
        std::memcpy(buf + BENCH_GREET_PREFIX_LEN, s.data(), s.size());
        return py::str(buf, s.size() + BENCH_GREET_PREFIX_LEN);
    });
    m.def("kwargs", [](int64_t a, int64_t b, int64_t c) { return a + b + c; }, py::arg("a"), py::arg("b"),
          py::arg("c"));
    m.def("alloc10", []() {
        if (bench_alloc10_pymem() < 0) throw py::error_already_set();
    });
    m.def("thread_alloc_scoped", []() {
        py::gil_scoped_release nogil;
        std::thread(bench_alloc_loop_scoped<py::gil_scoped_acquire>).join();
    });
    m.def("thread_alloc_unscoped", []() {
        py::gil_scoped_release nogil;
        std::thread(bench_alloc_loop_unscoped<py::gil_scoped_acquire>).join();
    });
    m.def("roundtrip1000", []() {
        int64_t acc = 0;
        for (int64_t i = 0; i < BENCH_ROUNDTRIPS; i++) {
            py::object o = py::int_(i);
            acc += o.cast<int64_t>();
        }
        return acc;
    });
    // Containers through pybind11's STL casters.
    m.def("sum_list", [](const std::vector<int64_t> &xs) {
        int64_t sum = 0;
        for (int64_t x : xs)
            if (__builtin_add_overflow(sum, x, &sum)) throw std::overflow_error("sum does not fit in int64");
        return sum;
    });
    m.def("minmax", [](const std::vector<double> &xs) {
        if (xs.empty()) throw py::value_error("minmax: empty sequence");
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
    py::class_<Pb11CountUp>(m, "CountUp")
        .def("__iter__", [](py::handle self) { return self; })
        .def("__next__", [](Pb11CountUp &c) {
            if (c.next >= c.stop) throw py::stop_iteration();
            return c.next++;
        });
    m.def("count_up", [](int64_t n) { return Pb11CountUp{0, n}; });
    m.def("word_counts", [](std::string_view text) {
        bench_word words[BENCH_MAX_DISTINCT];
        int n = bench_count_words(text.data(), text.size(), words);
        if (n < 0) throw py::value_error("too many distinct words");
        std::unordered_map<std::string, int64_t> out;
        for (int i = 0; i < n; i++) out.emplace(std::string(words[i].ptr, words[i].len), words[i].count);
        return out;
    });
}
