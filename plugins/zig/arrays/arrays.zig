//! plugins/zig/arrays/arrays.zig: the Zig twin of plugins/c/arrays/arrays.c — buffers in (slices
//! and strided views), arrays out, with the same functions and signatures.
//!
//! Built by `make plugins` into build/plugins/libarrays_zig.so.

const std = @import("std");
const pyz3 = @import("pyz3");

pub const __doc__ = "Buffers in, arrays out: numpy, bytearray, memoryview, array.array, bytes.";

comptime {
    pyz3.plugin(@This(), .{ .name = "arrays_zig" });
}

pub fn sum_f64(x: pyz3.View(f64, .{})) f64 {
    var s: f64 = 0;
    if (x.slice()) |d| {
        for (d) |v| s += v;
    } else {
        for (0..x.shape(0)) |i| s += x.at(i);
    }
    return s;
}
pub const sum_f64__meta: pyz3.Meta = .{ .doc = "Sum of a 1-D float64 buffer (any strides, read-only accepted).", .params = "x" };

pub fn scale(x: pyz3.View(f64, .{ .writable = true }), factor: f64) void {
    for (0..x.shape(0)) |i| x.ptr(.{i}).* *= factor;
}
pub const scale__meta: pyz3.Meta = .{ .doc = "Multiply a writable 1-D float64 buffer by factor, in place.", .params = "x, factor" };

pub fn dot(a: pyz3.View(f64, .{}), b: pyz3.View(f64, .{})) !f64 {
    if (a.len() != b.len()) return pyz3.raise(.value_error, "dot: a and b have different lengths");
    var s: f64 = 0;
    for (0..a.len()) |i| s += a.at(i) * b.at(i);
    return s;
}
pub const dot__meta: pyz3.Meta = .{ .doc = "Inner product of two 1-D float64 buffers of the same length.", .params = "a, b" };

pub fn crc32(data: pyz3.ByteView, value: u32) u32 {
    var crc = std.hash.Crc32.init();
    crc.crc = ~value;
    crc.update(data.data);
    return crc.final();
}
pub const crc32__meta: pyz3.Meta = .{ .doc = "CRC-32 of a bytes-like object, continuing from value (as zlib.crc32).", .params = "data, value=0" };

pub fn linspace(start: f64, stop: f64, n: i64) !pyz3.Array(f64, 1) {
    if (n < 0) return pyz3.raise(.value_error, "linspace: n must be non-negative");
    const a = try pyz3.Array(f64, 1).init(.{@intCast(n)});
    const step = if (n > 1) (stop - start) / @as(f64, @floatFromInt(n - 1)) else 0.0;
    for (a.data, 0..) |*x, i| x.* = @as(f64, @floatFromInt(i)) * step + start;
    if (n > 1) a.data[a.data.len - 1] = stop;
    return a;
}
pub const linspace__meta: pyz3.Meta = .{ .doc = "n evenly spaced float64 values from start to stop, as a new array.", .params = "start, stop, n" };

pub fn sum_2d(m: pyz3.View(f64, .{ .ndim = 2 })) f64 {
    var s: f64 = 0;
    for (0..m.shape(0)) |i| {
        for (0..m.shape(1)) |j| s += m.at2(i, j);
    }
    return s;
}
pub const sum_2d__meta: pyz3.Meta = .{ .doc = "Sum of a 2-D float64 buffer (any strides).", .params = "m" };

pub fn transpose_copy(m: pyz3.View(f64, .{ .ndim = 2 })) !pyz3.Array(f64, 2) {
    const rows = m.shape(0);
    const cols = m.shape(1);
    const out = try pyz3.Array(f64, 2).init(.{ cols, rows });
    for (0..rows) |i| {
        for (0..cols) |j| out.data[j * rows + i] = m.at2(i, j);
    }
    return out;
}
pub const transpose_copy__meta: pyz3.Meta = .{ .doc = "The transpose of a 2-D float64 buffer, as a new C-contiguous array.", .params = "m" };

const fill_threads = 4;

fn fillRange(x: pyz3.View(f64, .{ .writable = true }), begin: usize, end: usize, value: f64) void {
    for (begin..end) |i| x.set(i, value);
}

pub fn fill_parallel(x: pyz3.View(f64, .{ .writable = true }), value: f64) void {
    const n = x.shape(0);
    var threads: [fill_threads]?std.Thread = @splat(null);
    for (0..fill_threads) |t| {
        const begin = n * t / fill_threads;
        const end = n * (t + 1) / fill_threads;
        threads[t] = std.Thread.spawn(.{}, fillRange, .{ x, begin, end, value }) catch blk: {
            fillRange(x, begin, end, value);
            break :blk null;
        };
    }
    for (threads) |t| if (t) |thread| thread.join();
}
pub const fill_parallel__meta: pyz3.Meta = .{
    .doc = "Set every element of a writable 1-D float64 buffer to value, from four native threads with the GIL released.",
    .params = "x, value",
    .release_gil = true,
};
