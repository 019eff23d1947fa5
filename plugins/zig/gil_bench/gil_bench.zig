//! plugins/zig/gil_bench/gil_bench.zig: the GIL-state cache and the allocator, from Zig; the twin
//! of plugins/c/gil_bench/gil_bench.c, allocating through pyz3.allocator and pyz3.Gil scopes.
//!
//! Inside a plugin call the thread's pyz3 GIL depth is non-zero, so allocations make no
//! PyGILState call. Native threads (std.Thread, on pthreads) start at depth 0: outside a
//! pyz3.Gil scope each allocation takes and drops the GIL; inside one, the GIL is taken once.

const std = @import("std");
const pyz3 = @import("pyz3");

const c = pyz3.c;
const alloc = pyz3.allocator;

pub const __doc__ = "GIL-state cache and allocator workloads.";

comptime {
    pyz3.plugin(@This(), .{ .name = "gil_bench_zig" });
}

fn outOfMemory(comptime what: []const u8) pyz3.Error {
    return pyz3.raise(.memory_error, what ++ ": out of memory");
}

/// Writes through a volatile pointer so the optimiser keeps the allocation.
fn touch(p: *u8, value: u8) void {
    @as(*volatile u8, p).* = value;
}

pub fn nested_allocations() !i64 {
    const a = alloc.alloc(u8, 1024) catch return outOfMemory("nested_allocations");
    defer alloc.free(a);
    @memset(a, 1);
    const b = alloc.alloc(u8, 2048) catch return outOfMemory("nested_allocations");
    defer alloc.free(b);
    @memset(b, 2);
    const d = alloc.alloc(u8, 512) catch return outOfMemory("nested_allocations");
    defer alloc.free(d);
    @memset(d, 3);
    return 3;
}
pub const nested_allocations__meta: pyz3.Meta = .{
    .doc = "Allocate and free 1024, 2048 and 512 bytes, nested; returns 3.",
};

/// Each level allocates 128 bytes, recurses, and adds its level number.
fn nest(level: u8, max: u8) error{OutOfMemory}!i64 {
    if (level > max) return 0;
    const block = try alloc.alloc(u8, 128);
    defer alloc.free(block);
    @memset(block, level);
    const below = try nest(level + 1, max);
    return below + @as(*volatile u8, &block[127]).*;
}

pub fn deep_nesting() !i64 {
    return nest(1, 10) catch outOfMemory("deep_nesting");
}
pub const deep_nesting__meta: pyz3.Meta = .{
    .doc = "Recurse 10 levels, 128 bytes each; returns the sum of the levels (55).",
};

pub fn benchmark_allocations(n: i64) !i64 {
    if (n < 0) return pyz3.raise(.value_error, "benchmark_allocations: n must be >= 0");
    var i: i64 = 0;
    while (i < n) : (i += 1) {
        const p = alloc.alloc(u8, 256) catch return outOfMemory("benchmark_allocations");
        touch(&p[0], @truncate(@as(u64, @bitCast(i))));
        alloc.free(p);
    }
    return n;
}
pub const benchmark_allocations__meta: pyz3.Meta = .{
    .doc = "n alloc/free pairs of 256 bytes; returns n.",
    .params = "n",
};

// ---- native worker threads ------------------------------------------------------------------------

const Worker = struct {
    allocs: i64,
    scoped: bool,
    done: i64 = 0,

    fn run(w: *Worker) void {
        const scope: ?pyz3.Gil = if (w.scoped) pyz3.Gil.acquire() else null;
        defer if (scope) |s| s.release();
        while (w.done < w.allocs) : (w.done += 1) {
            const p = alloc.alloc(u8, 256) catch break;
            touch(&p[255], 1);
            alloc.free(p);
        }
    }
};

const max_threads = 256;

/// Flagged release_gil: the caller's GIL is released while the threads run and join.
pub fn worker_threads(threads: i64, allocs_per_thread: i64, scoped: bool) !i64 {
    if (threads < 1 or threads > max_threads)
        return pyz3.raise(.value_error, "worker_threads: threads must be in 1..256");
    if (allocs_per_thread < 0)
        return pyz3.raise(.value_error, "worker_threads: allocs_per_thread must be >= 0");
    var workers: [max_threads]Worker = undefined;
    var handles: [max_threads]std.Thread = undefined;
    const wanted: usize = @intCast(threads);
    var started: usize = 0;
    while (started < wanted) : (started += 1) {
        workers[started] = .{ .allocs = allocs_per_thread, .scoped = scoped };
        handles[started] = std.Thread.spawn(.{}, Worker.run, .{&workers[started]}) catch break;
    }
    var total: i64 = 0;
    for (handles[0..started], workers[0..started]) |h, *w| {
        h.join();
        total += w.done;
    }
    if (started < wanted) return pyz3.raise(.os_error, "worker_threads: pthread_create failed");
    return total;
}
pub const worker_threads__meta: pyz3.Meta = .{
    .doc = "Allocate from native threads, each inside a GIL scope if scoped; returns the total.",
    .params = "threads, allocs_per_thread, scoped=True",
    .release_gil = true,
};

const NestedJob = struct {
    depth: i64,
    done: i64 = 0,
    held_inside: bool = true,
    held_outside: bool = true,

    fn level(job: *NestedJob, n: i64) void {
        if (n > job.depth) return;
        const scope = pyz3.Gil.acquire();
        defer scope.release();
        job.held_inside = job.held_inside and pyz3.Gil.held();
        const p = alloc.alloc(u8, 64) catch return;
        defer alloc.free(p);
        job.done += 1;
        job.level(n + 1);
    }

    fn run(job: *NestedJob) void {
        job.level(1);
        job.held_outside = pyz3.Gil.held();
    }
};

pub fn worker_nested_scopes(depth: i64) !i64 {
    if (depth < 0 or depth > 1000)
        return pyz3.raise(.value_error, "worker_nested_scopes: depth must be in 0..1000");
    var job: NestedJob = .{ .depth = depth };
    const t = std.Thread.spawn(.{}, NestedJob.run, .{&job}) catch
        return pyz3.raise(.os_error, "worker_nested_scopes: pthread_create failed");
    t.join();
    if (!job.held_inside) return pyz3.raise(.assertion_error, "GIL not held inside a scope");
    if (job.held_outside) return pyz3.raise(.assertion_error, "GIL still held after the scopes");
    return job.done;
}
pub const worker_nested_scopes__meta: pyz3.Meta = .{
    .doc = "Allocate inside `depth` nested GIL scopes on a fresh native thread; returns depth.",
    .params = "depth",
    .release_gil = true,
};

// ---- GIL-released regions -------------------------------------------------------------------------

pub fn allocations_in_nogil_region(n: i64) !i64 {
    var done: i64 = 0;
    const held_before = pyz3.Gil.held();
    const region = pyz3.NoGil.begin();
    const held_inside = pyz3.Gil.held();
    while (done < n) : (done += 1) {
        const p = alloc.alloc(u8, 128) catch break;
        alloc.free(p);
    }
    region.end();
    if (!held_before or held_inside or !pyz3.Gil.held())
        return pyz3.raise(.assertion_error, "unexpected GIL state around a nogil region");
    return done;
}
pub const allocations_in_nogil_region__meta: pyz3.Meta = .{
    .doc = "Allocate n times inside a GIL-released region; returns n.",
    .params = "n",
};

pub fn gil_held() bool {
    return pyz3.Gil.held();
}
pub const gil_held__meta: pyz3.Meta = .{ .doc = "Whether the GIL is held in a plugin call." };

pub fn gil_held_released() bool {
    return pyz3.Gil.held();
}
pub const gil_held_released__meta: pyz3.Meta = .{
    .doc = "Whether the GIL is held in a PYZ3_FN_RELEASE_GIL call.",
    .release_gil = true,
};

pub fn raise_while_released(message: []const u8) pyz3.Error!void {
    return pyz3.raise(.value_error, message);
}
pub const raise_while_released__meta: pyz3.Meta = .{
    .doc = "Raise ValueError(message) from a GIL-released function.",
    .params = "message",
    .release_gil = true,
};

// ---- alignment and realloc: the C calls themselves, with explicit alignments ----------------------

pub fn check_alignment(size: u64, alignment: u64) !bool {
    const p: ?[*]u8 = @ptrCast(c.pyz3_alloc(size, alignment));
    const block = p orelse return false;
    var ok = alignment == 0 or @intFromPtr(block) % alignment == 0;
    @memset(block[0..size], 0xAB);
    const z: [*]u8 = @ptrCast(c.pyz3_calloc(1, size, alignment) orelse {
        c.pyz3_free(block, alignment);
        return pyz3.raise(.memory_error, "calloc failed");
    });
    ok = ok and (alignment == 0 or @intFromPtr(z) % alignment == 0);
    for (z[0..size]) |byte| ok = ok and byte == 0;
    c.pyz3_free(z, alignment);
    c.pyz3_free(block, alignment);
    return ok;
}
pub const check_alignment__meta: pyz3.Meta = .{
    .doc = "Allocate size bytes aligned to align; True when aligned and usable.",
    .params = "size, align",
};

fn pattern(i: usize) u8 {
    return @truncate(i *% 7 +% 3);
}

pub fn realloc_keeps(size: u64, new_size: u64, alignment: u64) !bool {
    const p: [*]u8 = @ptrCast(c.pyz3_alloc(size, alignment) orelse return pyz3.raise(.memory_error, "alloc failed"));
    for (p[0..size], 0..) |*byte, i| byte.* = pattern(i);
    const q: [*]u8 = @ptrCast(c.pyz3_realloc(p, new_size, alignment) orelse {
        c.pyz3_free(p, alignment);
        return pyz3.raise(.memory_error, "realloc failed");
    });
    var ok = alignment == 0 or @intFromPtr(q) % alignment == 0;
    for (q[0..@min(size, new_size)], 0..) |byte, i| ok = ok and byte == pattern(i);
    if (new_size != 0) q[new_size - 1] = 1;
    c.pyz3_free(q, alignment);
    return ok;
}
pub const realloc_keeps__meta: pyz3.Meta = .{
    .doc = "True when pyz3_realloc keeps contents and alignment.",
    .params = "size, new_size, align=0",
};

// ---- a barrier that only fills if the GIL is released ---------------------------------------------

const Barrier = struct {
    var lock: std.c.pthread_mutex_t = .{};
    var cond: std.c.pthread_cond_t = .{};
    var count: i64 = 0;
    var generation: u64 = 0;

    fn arrive(parties: i64, timeout_ms: i64) bool {
        var deadline: std.c.timespec = undefined;
        _ = std.c.clock_gettime(.REALTIME, &deadline);
        deadline.sec += @intCast(@divTrunc(timeout_ms, 1000));
        deadline.nsec += @intCast(@rem(timeout_ms, 1000) * 1_000_000);
        if (deadline.nsec >= 1_000_000_000) {
            deadline.sec += 1;
            deadline.nsec -= 1_000_000_000;
        }
        _ = std.c.pthread_mutex_lock(&lock);
        defer _ = std.c.pthread_mutex_unlock(&lock);
        const mine = generation;
        count += 1;
        if (count >= parties) {
            count = 0;
            generation += 1;
            _ = std.c.pthread_cond_broadcast(&cond);
            return true;
        }
        while (mine == generation) {
            if (std.c.pthread_cond_timedwait(&cond, &lock, &deadline) == .TIMEDOUT) break;
        }
        const passed = mine != generation;
        if (!passed) count -= 1; // withdraw, so a later round starts clean
        return passed;
    }

    fn checkArgs(parties: i64, timeout_ms: i64) pyz3.Error!void {
        if (parties < 1 or parties > 1024)
            return pyz3.raise(.value_error, "barrier: parties must be in 1..1024");
        if (timeout_ms < 0 or timeout_ms > 600000)
            return pyz3.raise(.value_error, "barrier: timeout_ms must be in 0..600000");
    }
};

pub fn barrier_wait(parties: i64, timeout_ms: i64) !bool {
    try Barrier.checkArgs(parties, timeout_ms);
    return Barrier.arrive(parties, timeout_ms);
}
pub const barrier_wait__meta: pyz3.Meta = .{
    .doc = "Wait (GIL released) until `parties` callers arrive; False on timeout.",
    .params = "parties, timeout_ms=10000",
    .release_gil = true,
};

/// The same barrier holding the GIL: the control that shows it cannot fill then.
pub fn barrier_wait_holding_gil(parties: i64, timeout_ms: i64) !bool {
    try Barrier.checkArgs(parties, timeout_ms);
    return Barrier.arrive(parties, timeout_ms);
}
pub const barrier_wait_holding_gil__meta: pyz3.Meta = .{
    .doc = "The same barrier, holding the GIL while waiting (the control case).",
    .params = "parties, timeout_ms=10000",
};
