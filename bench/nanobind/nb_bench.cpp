// bench/nanobind/nb_bench.cpp: the benchmark functions through nanobind (from PyPI), written the
// way nanobind users write them; the work per case is bench/common's.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string_view.h>

#include <cstdint>
#include <cstring>
#include <string_view>
#include <thread>

#include "../common/cxx_work.hpp"

namespace nb = nanobind;

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
    m.def("roundtrip1000", []() {
        int64_t acc = 0;
        for (int64_t i = 0; i < BENCH_ROUNDTRIPS; i++) {
            nb::object o = nb::int_(i);
            acc += nb::cast<int64_t>(o);
        }
        return acc;
    });
}
