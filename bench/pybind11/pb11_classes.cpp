// bench/pybind11/pb11_classes.cpp: the class benchmarks through pybind11, written the way
// pybind11 users write classes (py::class_, py::init, def_readwrite); the types are
// bench/common/classes.hpp's.
#include <pybind11/pybind11.h>

#include "../common/classes.hpp"

namespace py = pybind11;
using namespace py::literals;

PYBIND11_MODULE(pb11_classes, m) {
    py::class_<Counter>(m, "Counter")
        .def(py::init<int64_t>(), "start"_a = 0)
        .def("inc", &Counter::inc, "by"_a = 1)
        .def("reset", &Counter::reset)
        .def_readwrite("value", &Counter::value)
        .def("__repr__", &Counter::repr);
    py::class_<RollingStats>(m, "RollingStats")
        .def(py::init<int64_t>(), "window"_a)
        .def("push", &RollingStats::push, "x"_a)
        .def_property_readonly("count", &RollingStats::count)
        .def("__len__", &RollingStats::count);
    m.def("merge", [](const RollingStats &a, const RollingStats &b) { return RollingStats(a, b); }, "a"_a, "b"_a);
    m.def("live_count", []() { return bench_live; });
}
