// bench/nanobind/nb_classes.cpp: the class benchmarks through nanobind, written the way nanobind
// users write classes (nb::class_, nb::init, def_rw); the types are bench/common/classes.hpp's.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include "../common/classes.hpp"

namespace nb = nanobind;
using namespace nb::literals;

NB_MODULE(nb_classes, m) {
    nb::class_<Counter>(m, "Counter")
        .def(nb::init<int64_t>(), "start"_a = 0)
        .def("inc", &Counter::inc, "by"_a = 1)
        .def("reset", &Counter::reset)
        .def_rw("value", &Counter::value)
        .def("__repr__", &Counter::repr);
    nb::class_<RollingStats>(m, "RollingStats")
        .def(nb::init<int64_t>(), "window"_a)
        .def("push", &RollingStats::push, "x"_a)
        .def_prop_ro("count", &RollingStats::count)
        .def("__len__", &RollingStats::count);
    m.def("merge", [](const RollingStats &a, const RollingStats &b) { return RollingStats(a, b); }, "a"_a, "b"_a);
    m.def("live_count", []() { return bench_live; });
}
