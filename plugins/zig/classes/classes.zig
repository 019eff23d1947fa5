//! plugins/zig/classes/classes.zig: the sample classes plugin in Zig, the twin of
//! plugins/c/classes/classes.c (tests/python/test_classes.py runs the same suite on both).
//!
//! Built by `make plugins` into build/plugins/libclasses_zig.so. A `pub const X = struct` with a
//! `pub fn init` is a class: its methods take `*X` or `*const X` first, `get_<name>` and
//! `set_<name>` are a property, `deinit` is the destructor, `__getstate__`/`__setstate__` make
//! it picklable, and `pyz3.ObjectField` fields hold Python objects the garbage collector sees.

const std = @import("std");
const pyz3 = @import("pyz3");

pub const __doc__ = "Native classes: Counter, RollingStats, Node.";

comptime {
    pyz3.plugin(@This(), .{ .name = "classes_zig" });
}

/// Instances of every class whose state exists (the GIL is held around every call).
var live: i64 = 0;

pub const Counter = struct {
    pub const __doc__ = "A counter that starts at `start`.";

    value: i64,

    pub fn init(start: i64) Counter {
        live += 1;
        return .{ .value = start };
    }
    pub const init__meta: pyz3.Meta = .{ .params = "start=0" };

    pub fn deinit(_: *Counter) void {
        live -= 1;
    }

    pub fn inc(self: *Counter, by: i64) !i64 {
        const sum, const overflow = @addWithOverflow(self.value, by);
        if (overflow != 0) return pyz3.raise(.overflow_error, "Counter.inc: the value does not fit in int64");
        self.value = sum;
        return sum;
    }
    pub const inc__meta: pyz3.Meta = .{ .doc = "Add `by` and return the new value.", .params = "by=1" };

    pub fn reset(self: *Counter) void {
        self.value = 0;
    }
    pub const reset__meta: pyz3.Meta = .{ .doc = "Set the value to 0." };

    /// The text lives in the call's arena until the trampoline made the str.
    pub fn __repr__(self: *const Counter, arena: std.mem.Allocator) ![]const u8 {
        return std.fmt.allocPrint(arena, "Counter(value={d})", .{self.value});
    }

    pub fn get_value(self: *const Counter) i64 {
        return self.value;
    }
    pub const get_value__meta: pyz3.Meta = .{ .doc = "The current value." };

    pub fn set_value(self: *Counter, value: i64) void {
        self.value = value;
    }

    pub fn __getstate__(self: *const Counter) i64 {
        return self.value;
    }

    pub fn __setstate__(value: i64) Counter {
        return init(value);
    }
};

pub const RollingStats = struct {
    pub const __doc__ = "Mean and variance of the last `window` values.";

    window: usize,
    count: usize,
    next: usize,
    values: []f64,

    pub fn init(window: i64) !RollingStats {
        if (window <= 0) return pyz3.raise(.value_error, "RollingStats: window must be positive");
        if (window > 1 << 28) return pyz3.raise(.value_error, "RollingStats: window is too large");
        return make(@intCast(window));
    }
    pub const init__meta: pyz3.Meta = .{ .params = "window" };

    fn make(window: usize) !RollingStats {
        const values = try pyz3.allocator.alloc(f64, window);
        live += 1;
        return .{ .window = window, .count = 0, .next = 0, .values = values };
    }

    pub fn deinit(self: *RollingStats) void {
        pyz3.allocator.free(self.values);
        live -= 1;
    }

    pub fn push(self: *RollingStats, x: f64) void {
        self.values[self.next] = x;
        self.next = (self.next + 1) % self.window;
        if (self.count < self.window) self.count += 1;
    }
    pub const push__meta: pyz3.Meta = .{ .doc = "Add a value; the oldest goes once `window` are held.", .params = "x" };

    /// Value `i` of the held ones, oldest first.
    fn at(self: *const RollingStats, i: usize) f64 {
        const first = (self.next + self.window - self.count) % self.window;
        return self.values[(first + i) % self.window];
    }

    pub fn __len__(self: *const RollingStats) i64 {
        return @intCast(self.count);
    }

    pub fn get_count(self: *const RollingStats) i64 {
        return @intCast(self.count);
    }
    pub const get_count__meta: pyz3.Meta = .{ .doc = "How many values are held." };

    fn mean(self: *const RollingStats) f64 {
        var sum: f64 = 0;
        for (0..self.count) |i| sum += self.at(i);
        return sum / @as(f64, @floatFromInt(self.count));
    }

    pub fn get_mean(self: *const RollingStats) !f64 {
        if (self.count == 0) return pyz3.raise(.value_error, "RollingStats.mean: no values");
        return self.mean();
    }
    pub const get_mean__meta: pyz3.Meta = .{ .doc = "Mean of the values held." };

    pub fn get_variance(self: *const RollingStats) !f64 {
        if (self.count < 2) return pyz3.raise(.value_error, "RollingStats.variance: needs at least 2 values");
        const m = self.mean();
        var sq: f64 = 0;
        for (0..self.count) |i| {
            const d = self.at(i) - m;
            sq += d * d;
        }
        return sq / @as(f64, @floatFromInt(self.count - 1));
    }
    pub const get_variance__meta: pyz3.Meta = .{ .doc = "Sample variance of the values held (ValueError with fewer than 2)." };
};

/// A new RollingStats holding the values of a, then b; its window is both windows.
pub fn merge(a: *const RollingStats, b: *const RollingStats) !RollingStats {
    var out = try RollingStats.make(a.window + b.window);
    for (0..a.count) |i| out.push(a.at(i));
    for (0..b.count) |i| out.push(b.at(i));
    return out;
}
pub const merge__meta: pyz3.Meta = .{ .doc = "A new RollingStats holding the values of a, then b.", .params = "a, b" };

pub const Node = struct {
    pub const __doc__ = "Holds one Python object.";

    value: pyz3.ObjectField,

    pub fn init(value: pyz3.Object) Node {
        live += 1;
        return .{ .value = .init(value) };
    }
    pub const init__meta: pyz3.Meta = .{ .params = "value" };

    pub fn deinit(_: *Node) void {
        live -= 1;
    }

    pub fn get_value(self: *const Node) pyz3.Object {
        // Empty once the collector broke a cycle through the node: None.
        return self.value.newRef();
    }
    pub const get_value__meta: pyz3.Meta = .{ .doc = "Any Python object." };

    pub fn set_value(self: *Node, value: pyz3.Object) void {
        self.value.set(value);
    }
};

pub fn live_count() i64 {
    return live;
}
pub const live_count__meta: pyz3.Meta = .{ .doc = "How many instances of this plugin's classes exist." };
