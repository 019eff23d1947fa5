//! bench/pyz3_bench.zig: the benchmark functions as a Zig plugin on the Zig SDK (sdk/zig/pyz3.zig),
//! mirroring bench/pyz3_bench.c function for function; the binding `pyz3-zig` of `make bench`.
//!
//! Allocation calls pyz3_alloc/pyz3_free directly, as the C plugin does, so the two plugins differ
//! only in the trampolines the SDK generates. The constants are bench/common/bench_common.h's.

const std = @import("std");
const pyz3 = @import("pyz3");

const c = pyz3.c;

pub const __doc__ = "The benchmark functions (docs/performance.md), mirroring bench/pyz3_bench.c.";

comptime {
    pyz3.plugin(@This(), .{ .name = "pyz3_bench_zig" });
}

const greet_buf = 256;
const greet_prefix = "hello, ";
const alloc_count = 10;
const alloc_size = 256;
const thread_allocs = 1000;
const roundtrips = 1000;

pub fn noop() void {}

pub fn add(a: i64, b: i64) i64 {
    return a +% b;
}
pub const add__meta: pyz3.Meta = .{ .params = "a, b, /" };

pub fn fadd(a: f64, b: f64) f64 {
    return a + b;
}
pub const fadd__meta: pyz3.Meta = .{ .params = "a, b, /" };

pub fn slen(s: []const u8) i64 {
    return @intCast(s.len);
}
pub const slen__meta: pyz3.Meta = .{ .params = "s, /" };

/// Returns the new str itself: a slice of the stack buffer would not outlive the call.
pub fn greet(s: []const u8) !pyz3.Object {
    var buf: [greet_buf]u8 = undefined;
    if (s.len > greet_buf - greet_prefix.len) return pyz3.raise(.value_error, "name too long");
    @memcpy(buf[0..greet_prefix.len], greet_prefix);
    @memcpy(buf[greet_prefix.len..][0..s.len], s);
    return pyz3.check(c.pyz3_from_str(&buf, greet_prefix.len + s.len));
}
pub const greet__meta: pyz3.Meta = .{ .params = "s, /" };

pub fn kwargs(a: i64, b: i64, cc: i64) i64 {
    return a +% b +% cc;
}
pub const kwargs__meta: pyz3.Meta = .{ .params = "a, b, c" };

fn touch(p: *anyopaque, value: u8) void {
    @as(*volatile u8, @ptrCast(p)).* = value;
}

pub fn alloc10() !void {
    var p: [alloc_count]*anyopaque = undefined;
    for (0..alloc_count) |i| {
        p[i] = c.pyz3_alloc(alloc_size, 0) orelse {
            for (p[0..i]) |q| c.pyz3_free(q, 0);
            return pyz3.raise(.memory_error, "alloc10: out of memory");
        };
        touch(p[i], @truncate(i));
    }
    for (p) |q| c.pyz3_free(q, 0);
}

fn allocLoop() void {
    for (0..thread_allocs) |i| {
        const p = c.pyz3_alloc(alloc_size, 0) orelse break;
        touch(p, @truncate(i));
        c.pyz3_free(p, 0);
    }
}

fn workerScoped() void {
    const gil = pyz3.Gil.acquire();
    defer gil.release();
    allocLoop();
}

fn runWorker(comptime worker: fn () void) !void {
    const t = std.Thread.spawn(.{}, worker, .{}) catch return pyz3.raise(.runtime_error, "thread spawn failed");
    t.join();
}

pub fn thread_alloc_scoped() !void {
    return runWorker(workerScoped);
}
pub const thread_alloc_scoped__meta: pyz3.Meta = .{ .release_gil = true };

pub fn thread_alloc_unscoped() !void {
    return runWorker(allocLoop);
}
pub const thread_alloc_unscoped__meta: pyz3.Meta = .{ .release_gil = true };

pub fn roundtrip1000() !i64 {
    var acc: i64 = 0;
    var i: i64 = 0;
    while (i < roundtrips) : (i += 1) {
        const o = try pyz3.check(c.pyz3_from_i64(i));
        var v: i64 = undefined;
        const status = c.pyz3_to_i64(o, &v);
        c.pyz3_decref(o);
        if (status != c.PYZ3_OK) return error.Raised;
        acc += v;
    }
    return acc;
}

// ---- containers ---------------------------------------------------------------------------------

pub fn sum_list(xs: pyz3.List(i64)) !i64 {
    var sum: i64 = 0;
    for (xs.items) |x| {
        sum, const overflow = @addWithOverflow(sum, x);
        if (overflow != 0) return pyz3.raise(.overflow_error, "sum does not fit in int64");
    }
    return sum;
}
pub const sum_list__meta: pyz3.Meta = .{ .params = "xs, /" };

pub fn minmax(xs: pyz3.List(f64)) !struct { f64, f64 } {
    if (xs.items.len == 0) return pyz3.raise(.value_error, "minmax: empty sequence");
    var lo = xs.items[0];
    var hi = lo;
    for (xs.items[1..]) |x| {
        if (x < lo) lo = x;
        if (x > hi) hi = x;
    }
    return .{ lo, hi };
}
pub const minmax__meta: pyz3.Meta = .{ .params = "xs, /" };

pub fn apply(arena: std.mem.Allocator, f: pyz3.Callable, xs: pyz3.List(i64)) !pyz3.List(i64) {
    const out = try arena.alloc(i64, xs.items.len);
    for (xs.items, out) |x, *y| y.* = try f.call(i64, .{x});
    return .{ .items = out };
}
pub const apply__meta: pyz3.Meta = .{ .params = "f, xs, /" };

const CountUp = struct {
    next_value: i64,
    stop: i64,

    pub fn next(self: *CountUp) ?i64 {
        if (self.next_value >= self.stop) return null;
        defer self.next_value += 1;
        return self.next_value;
    }
};

pub fn count_up(n: i64) CountUp {
    return .{ .next_value = 0, .stop = n };
}
pub const count_up__meta: pyz3.Meta = .{ .params = "n, /" };

const max_distinct = 64;

pub fn word_counts(arena: std.mem.Allocator, text: []const u8) !pyz3.Dict(i64) {
    var keys: [max_distinct][]const u8 = undefined;
    var counts: [max_distinct]i64 = undefined;
    var n: usize = 0;
    var words = std.mem.tokenizeAny(u8, text, " \t\n\r\x0b\x0c");
    outer: while (words.next()) |w| {
        for (keys[0..n], 0..) |k, i| {
            if (std.mem.eql(u8, k, w)) {
                counts[i] += 1;
                continue :outer;
            }
        }
        if (n == max_distinct) return pyz3.raise(.value_error, "too many distinct words");
        keys[n] = w;
        counts[n] = 1;
        n += 1;
    }
    return .{ .keys = try arena.dupe([]const u8, keys[0..n]), .values = try arena.dupe(i64, counts[0..n]) };
}
pub const word_counts__meta: pyz3.Meta = .{ .params = "text, /" };
