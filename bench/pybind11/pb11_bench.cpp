// bench/pybind11/pb11_bench.cpp: the benchmark functions through pybind11 (from PyPI), written
// the way pybind11 users write them; the work per case is bench/common's.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <cstring>
#include <string_view>
#include <thread>

#include "../common/cxx_work.hpp"

namespace py = pybind11;

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
}
