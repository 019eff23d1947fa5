//! plugins/zig/containers/containers.zig: the Zig twin of plugins/c/containers/containers.c —
//! sequences, dicts, tuples, callbacks, iterators, constants and an exception class.
//!
//! Built by `make plugins` into build/plugins/libcontainers_zig.so; every function behaves like
//! the C plugin's. It imports only the pyz3 SDK and links only libpyz3 (and libc): no Py* symbol.

const std = @import("std");
const pyz3 = @import("pyz3");

pub const __doc__ = "Containers, callbacks, iterators, constants and a custom exception.";

const max_words: i64 = 1_000_000;
/// The index of ParseError in `.exceptions` below.
const parse_error = 0;

comptime {
    pyz3.plugin(@This(), .{
        .name = "containers_zig",
        .constants = &.{
            pyz3.constant("VERSION", "1.0", "The version of this plugin."),
            pyz3.constant("MAX_WORDS", max_words, "The most words split_words and word_counts take (more raise ValueError)."),
        },
        .exceptions = &.{
            .{ .name = "ParseError", .base = .value_error, .doc = "parse_pairs was given malformed text." },
        },
    });
}

// ---- sequences in, numbers out ----------------------------------------------------------------

pub fn sum_list(xs: pyz3.List(i64)) !i64 {
    var sum: i64 = 0;
    for (xs.items) |x| {
        sum, const overflow = @addWithOverflow(sum, x);
        if (overflow != 0) return pyz3.raise(.overflow_error, "sum_list: the sum does not fit in int64");
    }
    return sum;
}
pub const sum_list__meta: pyz3.Meta = .{
    .doc = "The sum of xs, a sequence of int64: sum(xs). OverflowError when it does not fit.",
    .params = "xs",
};

/// A Zig tuple result is a Python tuple.
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
pub const minmax__meta: pyz3.Meta = .{
    .doc = "(min(xs), max(xs)) of a sequence of floats; ValueError when xs is empty.",
    .params = "xs",
};

// ---- splitting text ---------------------------------------------------------------------------

/// The length of the code point at s[0..] if it is whitespace by str.split()'s rule, else 0.
fn spaceAt(s: []const u8) usize {
    const ch = s[0];
    if (ch < 0x80) return if (ch == ' ' or (ch >= '\t' and ch <= '\r') or (ch >= 0x1c and ch <= 0x1f)) 1 else 0;
    if (ch == 0xC2 and s.len >= 2) return if (s[1] == 0x85 or s[1] == 0xA0) 2 else 0;
    if (s.len < 3) return 0;
    if (ch == 0xE1) return if (s[1] == 0x9A and s[2] == 0x80) 3 else 0;
    if (ch == 0xE2 and s[1] == 0x80) return if (s[2] <= 0x8A or s[2] == 0xA8 or s[2] == 0xA9 or s[2] == 0xAF) 3 else 0;
    if (ch == 0xE2) return if (s[1] == 0x81 and s[2] == 0x9F) 3 else 0;
    if (ch == 0xE3) return if (s[1] == 0x80 and s[2] == 0x80) 3 else 0;
    return 0;
}

const Words = struct {
    text: []const u8,
    pos: usize = 0,

    fn next(self: *Words) ?[]const u8 {
        var i = self.pos;
        while (i < self.text.len) {
            const k = spaceAt(self.text[i..]);
            if (k == 0) break;
            i += k;
        }
        if (i == self.text.len) {
            self.pos = i;
            return null;
        }
        const start = i;
        while (i < self.text.len and spaceAt(self.text[i..]) == 0) i += 1;
        self.pos = i;
        return self.text[start..i];
    }
};

fn splitChecked(arena: std.mem.Allocator, text: []const u8) ![]const []const u8 {
    var words: std.ArrayList([]const u8) = .empty;
    var it: Words = .{ .text = text };
    while (it.next()) |w| {
        if (words.items.len == max_words) return pyz3.raiseFmt(.value_error, "more than MAX_WORDS ({d}) words", .{max_words});
        try words.append(arena, w);
    }
    return words.items;
}

pub fn split_words(arena: std.mem.Allocator, text: []const u8) !pyz3.List([]const u8) {
    return .{ .items = try splitChecked(arena, text) };
}
pub const split_words__meta: pyz3.Meta = .{ .doc = "The words of text: text.split().", .params = "text" };

pub fn word_counts(arena: std.mem.Allocator, text: []const u8) !pyz3.Dict(i64) {
    const words = try splitChecked(arena, text);
    var index: std.StringHashMapUnmanaged(usize) = .empty;
    var keys: std.ArrayList([]const u8) = .empty;
    var counts: std.ArrayList(i64) = .empty;
    for (words) |w| {
        const slot = try index.getOrPut(arena, w);
        if (!slot.found_existing) {
            slot.value_ptr.* = keys.items.len;
            try keys.append(arena, w);
            try counts.append(arena, 0);
        }
        counts.items[slot.value_ptr.*] += 1;
    }
    return .{ .keys = keys.items, .values = counts.items };
}
pub const word_counts__meta: pyz3.Meta = .{
    .doc = "How often each word occurs: dict(collections.Counter(text.split())).",
    .params = "text",
};

// ---- dicts in ---------------------------------------------------------------------------------

pub fn lookup(d: pyz3.Dict(i64), key: []const u8, default: i64) i64 {
    return d.get(key) orelse default;
}
pub const lookup__meta: pyz3.Meta = .{ .doc = "d.get(key, default).", .params = "d, key, default=-1" };

// ---- callbacks --------------------------------------------------------------------------------

pub fn apply(arena: std.mem.Allocator, f: pyz3.Callable, xs: pyz3.List(i64)) !pyz3.List(i64) {
    const out = try arena.alloc(i64, xs.items.len);
    for (xs.items, out) |x, *y| y.* = try f.call(i64, .{x});
    return .{ .items = out };
}
pub const apply__meta: pyz3.Meta = .{
    .doc = "[f(x) for x in xs]; f returns an int, and what it raises propagates.",
    .params = "f, xs",
};

// ---- iterators --------------------------------------------------------------------------------

/// An iterator result is a struct with `next`; it lives inside the Python iterator object.
const CountUp = struct {
    i: i64,
    stop: i64,

    pub fn next(self: *CountUp) ?i64 {
        if (self.i >= self.stop) return null;
        defer self.i += 1;
        return self.i;
    }
};

pub fn count_up(n: i64) CountUp {
    return .{ .i = 0, .stop = n };
}
pub const count_up__meta: pyz3.Meta = .{ .doc = "An iterator over 0, 1, ..., n-1: iter(range(n)).", .params = "n" };

// ---- the plugin's own exception ----------------------------------------------------------------

fn trim(s: []const u8) []const u8 {
    return std.mem.trim(u8, s, " \t");
}

fn parseValue(call: pyz3.Call, raw: []const u8) !i64 {
    var v = trim(raw);
    var negative = false;
    if (v.len > 0 and (v[0] == '-' or v[0] == '+')) {
        negative = v[0] == '-';
        v = v[1..];
    }
    if (v.len == 0) return call.raiseFmt(parse_error, "expected an integer value, got '{s}'", .{raw});
    for (v) |d| {
        if (d < '0' or d > '9') return call.raiseFmt(parse_error, "expected an integer value, got '{s}'", .{raw});
    }
    const magnitude = std.fmt.parseInt(u64, v, 10) catch
        return call.raiseFmt(parse_error, "value out of range for int64: '{s}'", .{raw});
    const limit: u64 = @as(u64, std.math.maxInt(i64)) + @intFromBool(negative);
    if (magnitude > limit) return call.raiseFmt(parse_error, "value out of range for int64: '{s}'", .{raw});
    return if (negative) @bitCast(0 -% magnitude) else @intCast(magnitude);
}

/// A leading pyz3.Call parameter reaches the plugin's exception classes.
pub fn parse_pairs(call: pyz3.Call, arena: std.mem.Allocator, text: []const u8) !pyz3.Dict(i64) {
    var keys: std.ArrayList([]const u8) = .empty;
    var values: std.ArrayList(i64) = .empty;
    if (trim(text).len != 0) {
        var pairs = std.mem.splitScalar(u8, text, ',');
        while (pairs.next()) |pair| {
            const eq = std.mem.indexOfScalar(u8, pair, '=') orelse
                return call.raiseFmt(parse_error, "expected key=value, got '{s}'", .{pair});
            const key = trim(pair[0..eq]);
            if (key.len == 0) return call.raiseFmt(parse_error, "empty key in '{s}'", .{pair});
            try keys.append(arena, key);
            try values.append(arena, try parseValue(call, pair[eq + 1 ..]));
        }
    }
    return .{ .keys = keys.items, .values = values.items };
}
pub const parse_pairs__meta: pyz3.Meta = .{
    .doc = "Parse 'a=1,b=2' into {'a': 1, 'b': 2}; malformed text raises ParseError.",
    .params = "text",
};
