//! tests/zig/sdk_features.zig: the Zig SDK features the sample plugins do not show, for
//! tests/python/test_zig.py. Built into build/test-plugins/libzig_features.so.

const std = @import("std");
const pyz3 = @import("pyz3");

pub const __doc__ = "Zig SDK feature checks.";

comptime {
    pyz3.plugin(@This(), .{
        .name = "zig_features",
        .errors = &.{
            .{ error.NotFound, .key_error },
            .{ error.BadInput, .value_error },
        },
    });
}

/// No meta: parameters are arg0, arg1, no doc.
pub fn unnamed(a: i32, b: u16) i64 {
    return @as(i64, a) * b;
}

/// Error names become exceptions: mapped ones to their kind, OutOfMemory to MemoryError, others
/// to RuntimeError; all with the error name as the message.
pub fn fail_with(which: []const u8) !void {
    if (std.mem.eql(u8, which, "not_found")) return error.NotFound;
    if (std.mem.eql(u8, which, "bad_input")) return error.BadInput;
    if (std.mem.eql(u8, which, "oom")) return error.OutOfMemory;
    if (std.mem.eql(u8, which, "other")) return error.SomethingElse;
    if (std.mem.eql(u8, which, "fmt")) return pyz3.raiseFmt(.index_error, "index {d} of {s}", .{ 7, "list" });
}
pub const fail_with__meta: pyz3.Meta = .{ .params = "which" };

/// Optional parameters and results of every kind.
pub fn maybe_int(x: ?i16) ?i16 {
    return x;
}
pub const maybe_int__meta: pyz3.Meta = .{ .params = "x=None" };

pub fn maybe_str(s: ?[]const u8) ?[]const u8 {
    return s;
}
pub const maybe_str__meta: pyz3.Meta = .{ .params = "s" };

pub fn maybe_bytes(b: ?pyz3.Bytes) ?pyz3.Bytes {
    return b;
}
pub const maybe_bytes__meta: pyz3.Meta = .{ .params = "b" };

pub fn maybe_bool(b: ?bool) !?bool {
    return b;
}
pub const maybe_bool__meta: pyz3.Meta = .{ .params = "b" };

/// usize and c_int are 64- and 32-bit integers.
pub fn platform_ints(n: usize, k: c_int) isize {
    return @as(isize, @bitCast(n)) -% k;
}
pub const platform_ints__meta: pyz3.Meta = .{ .params = "n, k" };

pub fn f32_sum(a: f32, b: f32) f32 {
    return a + b;
}
pub const f32_sum__meta: pyz3.Meta = .{ .params = "a, b" };

/// A per-call arena (freed after the result is copied) and the pyz3 allocator in a std container.
pub fn repeat(arena: std.mem.Allocator, text: []const u8, times: u32) ![]u8 {
    var list: std.ArrayList(u8) = .empty;
    defer list.deinit(pyz3.allocator);
    for (0..times) |_| try list.appendSlice(pyz3.allocator, text);
    return arena.dupe(u8, list.items);
}
pub const repeat__meta: pyz3.Meta = .{ .params = "text, times", .doc = "text * times." };

/// Asks for more memory than exists: pyz3.allocator reports OutOfMemory -> MemoryError.
pub fn huge() !void {
    const block = try pyz3.allocator.alloc(u8, std.math.maxInt(usize) / 2);
    pyz3.allocator.free(block);
}

/// Realloc through the allocator interface (remap), at a large alignment.
pub fn grow_aligned(n: u32) !bool {
    const a = pyz3.allocator;
    var block = try a.alignedAlloc(u8, .fromByteUnits(256), 16);
    defer a.free(block);
    for (block, 0..) |*x, i| x.* = @truncate(i);
    block = try a.realloc(block, n);
    if (@intFromPtr(block.ptr) % 256 != 0) return false;
    for (block[0..@min(16, n)], 0..) |x, i| if (x != @as(u8, @truncate(i))) return false;
    return true;
}
pub const grow_aligned__meta: pyz3.Meta = .{ .params = "n" };

/// A GIL-released function with a str result: the trampoline converts it under a GIL scope.
pub fn released_text(arena: std.mem.Allocator, n: u32) ![]const u8 {
    const held = pyz3.Gil.held();
    return std.fmt.allocPrint(arena, "{d} held={}", .{ n, held });
}
pub const released_text__meta: pyz3.Meta = .{ .params = "n", .release_gil = true };

/// Python name differs from the Zig name; positional-only and keyword-only parameters.
pub fn zig_name(a: i64, b: i64) i64 {
    return a - b;
}
pub const zig_name__meta: pyz3.Meta = .{ .name = "py_name", .params = "a, b, /" };

pub fn kw(a: i64, b: []const u8, c: f64) ![]const u8 {
    return pyz3.raiseFmt(.value_error, "{d}|{s}|{d}", .{ a, b, c });
}
pub const kw__meta: pyz3.Meta = .{ .params = "a, *, b='x, y', c=1.5" };

/// Python objects: a GIL scope on a native thread building a list.
pub fn list_from_thread(n: i64) !pyz3.Object {
    const Job = struct {
        n: i64,
        list: ?*pyz3.c.PyObject = null,
        fn run(job: *@This()) void {
            const gil = pyz3.Gil.acquire();
            defer gil.release();
            const list = pyz3.c.pyz3_list_new() orelse return;
            var i: i64 = 0;
            while (i < job.n) : (i += 1) _ = pyz3.c.pyz3_list_append(list, pyz3.c.pyz3_from_i64(i));
            job.list = list;
        }
    };
    var job: Job = .{ .n = n };
    const region = pyz3.NoGil.begin();
    const t = std.Thread.spawn(.{}, Job.run, .{&job}) catch {
        region.end();
        return pyz3.raise(.os_error, "spawn failed");
    };
    t.join();
    region.end();
    return pyz3.check(job.list);
}
pub const list_from_thread__meta: pyz3.Meta = .{ .params = "n" };

/// Raises the exception of the kind named `kind` ("value_error", ...): every kind of the
/// registry's `Exc`.
pub fn raise_named(kind: []const u8, message: []const u8) !void {
    const exc = std.meta.stringToEnum(pyz3.Exc, kind) orelse return pyz3.raise(.value_error, "no such exception kind");
    return pyz3.raise(exc, message);
}
pub const raise_named__meta: pyz3.Meta = .{ .params = "kind, message" };
