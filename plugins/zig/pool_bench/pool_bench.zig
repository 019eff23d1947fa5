//! plugins/zig/pool_bench/pool_bench.zig: the object pool, from Zig; the twin of
//! plugins/c/pool_bench/pool_bench.c.
//!
//! small_int goes through the trampoline's pooled int conversion, small_int_obj through
//! pyz3_from_i64; the others return pooled singletons, empty containers or interned strings.
//! keywords() has five parameters for keyword-matching workloads.

const std = @import("std");
const pyz3 = @import("pyz3");

const c = pyz3.c;

pub const __doc__ = "Object-pool workloads.";

comptime {
    pyz3.plugin(@This(), .{ .name = "pool_bench_zig" });
}

pub fn small_int(i: i64) i64 {
    return i;
}
pub const small_int__meta: pyz3.Meta = .{ .doc = "i, through the trampoline's int conversion.", .params = "i" };

pub fn small_int_obj(i: i64) !pyz3.Object {
    return pyz3.check(c.pyz3_from_i64(i));
}
pub const small_int_obj__meta: pyz3.Meta = .{ .doc = "i, through pyz3_from_i64.", .params = "i" };

pub fn get_none() !pyz3.Object {
    return pyz3.check(c.pyz3_none());
}
pub const get_none__meta: pyz3.Meta = .{ .doc = "None, from pyz3_none()." };

pub fn get_true() !pyz3.Object {
    return pyz3.check(c.pyz3_from_bool(true));
}
pub const get_true__meta: pyz3.Meta = .{ .doc = "True, from pyz3_from_bool()." };

pub fn get_false() !pyz3.Object {
    return pyz3.check(c.pyz3_from_bool(false));
}
pub const get_false__meta: pyz3.Meta = .{ .doc = "False, from pyz3_from_bool()." };

/// A str result: the trampoline makes it with pyz3_from_str.
pub fn empty_str() []const u8 {
    return "";
}
pub const empty_str__meta: pyz3.Meta = .{ .doc = "'', from pyz3_from_str()." };

pub fn empty_bytes() pyz3.Bytes {
    return .{ .data = "" };
}
pub const empty_bytes__meta: pyz3.Meta = .{ .doc = "b'', from pyz3_from_bytes()." };

pub fn empty_tuple() !pyz3.Object {
    return pyz3.check(c.pyz3_empty_tuple());
}
pub const empty_tuple__meta: pyz3.Meta = .{ .doc = "(), from pyz3_empty_tuple()." };

pub fn keywords(alpha: i64, beta: i64, gamma: i64, delta: i64, epsilon: i64) i64 {
    return alpha +% beta +% gamma +% delta +% epsilon;
}
pub const keywords__meta: pyz3.Meta = .{
    .doc = "alpha + beta + gamma + delta + epsilon.",
    .params = "alpha, beta=2, gamma=3, delta=4, epsilon=5",
};

/// The interned str with the text of s (at most 255 bytes, no NUL).
pub fn intern(s: []const u8) !pyz3.Object {
    var buf: [256]u8 = undefined;
    if (s.len >= buf.len) return pyz3.raise(.value_error, "intern: at most 255 bytes");
    if (std.mem.indexOfScalar(u8, s, 0) != null) return pyz3.raise(.value_error, "intern: NUL in text");
    @memcpy(buf[0..s.len], s);
    buf[s.len] = 0;
    return pyz3.check(c.pyz3_intern(&buf));
}
pub const intern__meta: pyz3.Meta = .{ .doc = "The interned str with the text of s.", .params = "s" };

pub fn intern_literal() !pyz3.Object {
    return pyz3.check(c.pyz3_intern("pyz3_pool_key"));
}
pub const intern_literal__meta: pyz3.Meta = .{ .doc = "The interned 'pyz3_pool_key'." };
