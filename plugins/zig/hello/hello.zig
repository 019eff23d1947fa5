//! plugins/zig/hello/hello.zig: the sample Zig plugin, the Zig twin of plugins/c/hello/hello.c.
//!
//! Built by `make plugins` into build/plugins/libhello_zig.so; every function behaves like the C
//! plugin's. It imports only the pyz3 SDK and links only libpyz3 (and libc): no Py* symbol.

const std = @import("std");
const pyz3 = @import("pyz3");

pub const __doc__ = "The pyz3 sample Zig plugin: every type, defaults, keywords and errors.";

comptime {
    pyz3.plugin(@This(), .{ .name = "hello_zig" });
}

// ---- arithmetic and text --------------------------------------------------------------------------

pub fn add(a: i64, b: i64) !i64 {
    const sum, const overflow = @addWithOverflow(a, b);
    if (overflow != 0) return pyz3.raise(.overflow_error, "add: result does not fit in int64");
    return sum;
}
pub const add__meta: pyz3.Meta = .{ .doc = "Add two integers.", .params = "a, b" };

/// Positional-only: the final `/` in params declares PYZ3_FN_POSITIONAL_ONLY.
pub fn mul(a: i64, b: i64) !i64 {
    const product, const overflow = @mulWithOverflow(a, b);
    if (overflow != 0) return pyz3.raise(.overflow_error, "mul: result does not fit in int64");
    return product;
}
pub const mul__meta: pyz3.Meta = .{ .doc = "Multiply two integers (positional-only).", .params = "a, b, /" };

/// A leading std.mem.Allocator parameter gets a per-call arena, freed after the result is copied.
pub fn greet(arena: std.mem.Allocator, name: []const u8) ![]const u8 {
    return std.mem.concat(arena, u8, &.{ "hello, ", name });
}
pub const greet__meta: pyz3.Meta = .{ .doc = "Greet someone by name.", .params = "name='world'" };

pub fn scale(x: f64, factor: f64) f64 {
    return x * factor;
}
pub const scale__meta: pyz3.Meta = .{ .doc = "Multiply x by factor.", .params = "x, factor=2.0" };

pub fn divide(a: f64, b: f64) !f64 {
    if (b == 0.0) return pyz3.raise(.zero_division_error, "divide: division by zero");
    return a / b;
}
pub const divide__meta: pyz3.Meta = .{
    .doc = "Divide a by b; b == 0 raises ZeroDivisionError.",
    .params = "a, b",
};

pub fn strlen(s: []const u8) i64 {
    return @intCast(s.len);
}
pub const strlen__meta: pyz3.Meta = .{ .doc = "Length of s in UTF-8 bytes.", .params = "s" };

pub fn concat(arena: std.mem.Allocator, a: pyz3.Bytes, b: pyz3.Bytes) !pyz3.Bytes {
    return .{ .data = try std.mem.concat(arena, u8, &.{ a.data, b.data }) };
}
pub const concat__meta: pyz3.Meta = .{ .doc = "Concatenate two bytes objects.", .params = "a, b" };

/// "<label><sep><n>" or, verbose, with the parity appended; at most 255 bytes.
pub fn describe(n: i64, label: []const u8, verbose: bool, sep: []const u8) ![]const u8 {
    var buf: [256]u8 = undefined;
    var w: std.Io.Writer = .fixed(&buf);
    const parity = if (!verbose) "" else if (@rem(n, 2) != 0) " (odd)" else " (even)";
    w.print("{s}{s}{d}{s}", .{ label, sep, n, parity }) catch
        return pyz3.raise(.value_error, "describe: label too long");
    const text = w.buffered();
    if (text.len >= buf.len) return pyz3.raise(.value_error, "describe: label too long");
    // The result is copied into a Python str before this frame's buffer goes.
    return text;
}
pub const describe__meta: pyz3.Meta = .{
    .doc = "Format n with a label; sep is keyword-only.",
    .params = "n, label='n', verbose=False, *, sep=': '",
};

pub fn half(x: ?f64) ?f64 {
    return (x orelse return null) / 2;
}
pub const half__meta: pyz3.Meta = .{ .doc = "Half of x, or None when x is None.", .params = "x" };

pub fn nothing() void {}
pub const nothing__meta: pyz3.Meta = .{ .doc = "Does nothing and returns None." };

// ---- errors ---------------------------------------------------------------------------------------

/// Raises the PYZ3_EXC_* kind with the message, as the C plugin does: the message is cut at 511
/// bytes and at its first NUL, and unknown kinds give RuntimeError.
pub fn fail(kind: i32, message: []const u8) pyz3.Error!void {
    var msg: [512]u8 = undefined;
    const n = @min(message.len, msg.len - 1);
    @memcpy(msg[0..n], message[0..n]);
    msg[n] = 0;
    _ = pyz3.c.pyz3_raise(kind, &msg);
    return error.Raised;
}
pub const fail__meta: pyz3.Meta = .{
    .doc = "Raise the PYZ3_EXC_* kind with the message.",
    .params = "kind, message=''",
};

pub fn lookup(key: []const u8) !i64 {
    const names = [_][]const u8{ "one", "two", "three" };
    for (names, 1..) |name, i| {
        if (std.mem.eql(u8, name, key)) return @intCast(i);
    }
    return pyz3.raise(.key_error, key);
}
pub const lookup__meta: pyz3.Meta = .{
    .doc = "1, 2 or 3 for 'one', 'two', 'three'; KeyError otherwise.",
    .params = "key",
};

// ---- every type at its limits: the identity function per type ------------------------------------

const echo_meta: pyz3.Meta = .{ .doc = "Returns its argument unchanged.", .params = "x" };

pub fn echo_i8(x: i8) i8 {
    return x;
}
pub const echo_i8__meta = echo_meta;
pub fn echo_i16(x: i16) i16 {
    return x;
}
pub const echo_i16__meta = echo_meta;
pub fn echo_i32(x: i32) i32 {
    return x;
}
pub const echo_i32__meta = echo_meta;
pub fn echo_i64(x: i64) i64 {
    return x;
}
pub const echo_i64__meta = echo_meta;
pub fn echo_u8(x: u8) u8 {
    return x;
}
pub const echo_u8__meta = echo_meta;
pub fn echo_u16(x: u16) u16 {
    return x;
}
pub const echo_u16__meta = echo_meta;
pub fn echo_u32(x: u32) u32 {
    return x;
}
pub const echo_u32__meta = echo_meta;
pub fn echo_u64(x: u64) u64 {
    return x;
}
pub const echo_u64__meta = echo_meta;
pub fn echo_f32(x: f32) f32 {
    return x;
}
pub const echo_f32__meta = echo_meta;
pub fn echo_f64(x: f64) f64 {
    return x;
}
pub const echo_f64__meta = echo_meta;
pub fn echo_bool(x: bool) bool {
    return x;
}
pub const echo_bool__meta = echo_meta;
pub fn echo_str(x: []const u8) []const u8 {
    return x;
}
pub const echo_str__meta = echo_meta;
pub fn echo_bytes(x: pyz3.Bytes) pyz3.Bytes {
    return x;
}
pub const echo_bytes__meta = echo_meta;
/// A pyz3.Object result is a new reference: take one on the borrowed argument.
pub fn echo_object(x: pyz3.Object) pyz3.Object {
    pyz3.c.pyz3_incref(x);
    return x;
}
pub const echo_object__meta = echo_meta;

// ---- the raw convention: Python objects in, Python object out -----------------------------------

pub fn raw_add(args: pyz3.RawArgs) !pyz3.Object {
    var a: i64 = undefined;
    var b: i64 = undefined;
    if (pyz3.c.pyz3_to_i64(args[0], &a) != pyz3.c.PYZ3_OK or pyz3.c.pyz3_to_i64(args[1], &b) != pyz3.c.PYZ3_OK)
        return error.Raised;
    return pyz3.check(pyz3.c.pyz3_from_i64(a +% b));
}
pub const raw_add__meta: pyz3.Meta = .{ .doc = "Add two integers (raw convention).", .params = "a, b" };

// ---- buffers in, arrays out (plugins/zig/arrays has the full tour) --------------------------------

pub fn byte_sum(data: pyz3.ByteView) u64 {
    var sum: u64 = 0;
    for (data.data) |b| sum += b;
    return sum;
}
pub const byte_sum__meta: pyz3.Meta = .{ .doc = "Sum of the bytes of a bytes-like object.", .params = "data" };

pub fn iota(n: i64) !pyz3.Array(i64, 1) {
    if (n < 0) return pyz3.raise(.value_error, "iota: n must be non-negative");
    const a = try pyz3.Array(i64, 1).init(.{@intCast(n)});
    for (a.data, 0..) |*x, i| x.* = @intCast(i);
    return a;
}
pub const iota__meta: pyz3.Meta = .{ .doc = "0, 1, ..., n - 1 as a new int64 array.", .params = "n" };

// ---- runtime identity: proves the plugin and the loader share one libpyz3 ------------------------

pub fn runtime_id() u64 {
    return pyz3.c.pyz3_runtime_id();
}
pub const runtime_id__meta: pyz3.Meta = .{ .doc = "pyz3_runtime_id() as this plugin sees it." };
