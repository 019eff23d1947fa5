//! plugins/zig/fastpath_bench/fastpath_bench.zig: the fast conversions, from Zig; the twin of
//! plugins/c/fastpath_bench/fastpath_bench.c.
//!
//! The return_* functions go through the loader's conversions of their declared types;
//! mixed_types and benchmark_primitives call libpyz3's conversion functions themselves.

const pyz3 = @import("pyz3");

const c = pyz3.c;

pub const __doc__ = "Fast-conversion workloads.";

comptime {
    // No state of its own: safe to run on several threads at once on free-threaded CPython.
    pyz3.plugin(@This(), .{ .name = "fastpath_bench_zig", .free_threaded = true });
}

pub fn return_i64(x: i64) !i64 {
    const twice, const overflow = @mulWithOverflow(x, 2);
    if (overflow != 0) return pyz3.raise(.overflow_error, "return_i64: 2*x does not fit in int64");
    return twice;
}
pub const return_i64__meta: pyz3.Meta = .{ .doc = "2 * x.", .params = "x" };

pub fn return_f64(x: f64) f64 {
    return 2.0 * x;
}
pub const return_f64__meta: pyz3.Meta = .{ .doc = "2 * x.", .params = "x" };

pub fn return_bool(b: bool) bool {
    return !b;
}
pub const return_bool__meta: pyz3.Meta = .{ .doc = "not b.", .params = "b" };

pub fn return_str(s: []const u8) []const u8 {
    return s;
}
pub const return_str__meta: pyz3.Meta = .{ .doc = "s, unchanged.", .params = "s" };

/// {"i": i, "f": f, "b": b, "s": s}, built with libpyz3 (pyz3_dict_set steals the value).
pub fn mixed_types(i: i64, f: f64, b: bool, s: []const u8) !pyz3.Object {
    const d = try pyz3.check(c.pyz3_dict_new());
    errdefer c.pyz3_decref(d);
    if (c.pyz3_dict_set(d, "i", c.pyz3_from_i64(i)) != c.PYZ3_OK or
        c.pyz3_dict_set(d, "f", c.pyz3_from_f64(f)) != c.PYZ3_OK or
        c.pyz3_dict_set(d, "b", c.pyz3_from_bool(b)) != c.PYZ3_OK or
        c.pyz3_dict_set(d, "s", c.pyz3_from_str(s.ptr, s.len)) != c.PYZ3_OK)
        return error.Raised;
    return d;
}
pub const mixed_types__meta: pyz3.Meta = .{
    .doc = "A dict of the four arguments, built with libpyz3 conversions.",
    .params = "i, f, b, s",
};

/// sum(range(n)): each i becomes a Python int (pyz3_from_i64) and is read back (pyz3_to_i64).
pub fn benchmark_primitives(n: i64) !i64 {
    if (n < 0) return pyz3.raise(.value_error, "benchmark_primitives: n must be >= 0");
    var sum: i64 = 0;
    var i: i64 = 0;
    while (i < n) : (i += 1) {
        const obj = try pyz3.check(c.pyz3_from_i64(i));
        var back: i64 = undefined;
        const rc = c.pyz3_to_i64(obj, &back);
        c.pyz3_decref(obj);
        if (rc != c.PYZ3_OK) return error.Raised;
        sum, const overflow = @addWithOverflow(sum, back);
        if (overflow != 0) return pyz3.raise(.overflow_error, "benchmark_primitives: sum overflows int64");
    }
    return sum;
}
pub const benchmark_primitives__meta: pyz3.Meta = .{
    .doc = "sum(range(n)) through n Python-object round trips.",
    .params = "n",
};

pub fn roundtrip_f64(args: pyz3.RawArgs) !pyz3.Object {
    var v: f64 = undefined;
    if (c.pyz3_to_f64(args[0], &v) != c.PYZ3_OK) return error.Raised;
    return pyz3.check(c.pyz3_from_f64(v));
}
pub const roundtrip_f64__meta: pyz3.Meta = .{ .doc = "x through pyz3_to_f64/pyz3_from_f64.", .params = "x" };

pub fn roundtrip_str(args: pyz3.RawArgs) !pyz3.Object {
    var s: c.pyz3_str = undefined;
    if (c.pyz3_to_str(args[0], &s) != c.PYZ3_OK) return error.Raised;
    return pyz3.check(c.pyz3_from_str(s.ptr, s.len));
}
pub const roundtrip_str__meta: pyz3.Meta = .{ .doc = "x through pyz3_to_str/pyz3_from_str.", .params = "x" };
