//! sdk/zig/pyz3.zig: the Zig SDK for pyz3 plugins. Every `pub fn` of a struct becomes a Python
//! function, and every `pub const X = struct { ... }` with a `pub fn init` a Python class (its
//! methods, `get_`/`set_` properties and `deinit`; docs/zig.md, "Classes"); the plugin descriptor
//! and one C-ABI trampoline per function are generated at compile time on top of pyz3.h, so a Zig
//! plugin, like a C one, references no `Py*` symbol and loads under every supported CPython.
//!
//!     const std = @import("std");
//!     const pyz3 = @import("pyz3");
//!     pub const __doc__ = "A small plugin.";
//!     pub fn add(a: i64, b: i64) i64 { return a + b; }
//!     pub const add__meta: pyz3.Meta = .{ .doc = "Add two integers.", .params = "a, b=1" };
//!     comptime { pyz3.plugin(@This(), .{ .name = "small" }); }
//!
//! The module `pyz3_h` this file imports is `zig translate-c include/pyz3.h` (the build makes it;
//! docs/zig.md shows how). Guide, type table and supported Zig versions: docs/zig.md.

const std = @import("std");

/// pyz3.h as Zig sees it: every `pyz3_*` function, type and `PYZ3_*` constant.
pub const c = @import("pyz3_h");

/// A Python object. As a parameter it is borrowed for the call; as a result it must be a new
/// reference (what every `pyz3_from_*`, `pyz3_none`, `pyz3_dict_new`, ... returns).
pub const Object = *c.PyObject;

/// Python `bytes`. As a parameter `data` is borrowed for the call; as a result it is copied.
/// (A plain `[]const u8` is a Python `str`.)
pub const Bytes = struct { data: []const u8 };

/// A `PyObject *` field of a class's state that pyz3 owns (docs/classes.md, "Python objects in
/// native state"): the garbage collector visits it, so cycles through instances are collected,
/// and pyz3 releases it when the instance goes (after `deinit`). Store with `set`, which keeps a
/// reference and releases the old one; after the collector broke a cycle the field is empty.
pub const ObjectField = extern struct {
    ptr: ?*c.PyObject = null,

    /// A field holding a new reference to `obj`.
    pub fn init(obj: ?Object) ObjectField {
        c.pyz3_incref(obj);
        return .{ .ptr = obj };
    }

    /// The object, borrowed; null when the field is empty.
    pub fn get(self: ObjectField) ?Object {
        return self.ptr;
    }

    /// A new reference to the object, or to `None` when the field is empty (a result).
    pub fn newRef(self: ObjectField) Object {
        if (self.ptr) |o| {
            c.pyz3_incref(o);
            return o;
        }
        return c.pyz3_none().?;
    }

    /// Stores `obj` (keeping a new reference) and releases what the field held.
    pub fn set(self: *ObjectField, obj: ?Object) void {
        c.pyz3_incref(obj);
        const old = self.ptr;
        self.ptr = obj;
        c.pyz3_decref(old);
    }
};

/// The parameter of a raw function, `pub fn f(args: pyz3.RawArgs) !pyz3.Object`: the Python
/// arguments themselves (borrowed, one per name in `Meta.params`, defaults filled in), converted
/// by the function with `pyz3.c.pyz3_to_*`. Raw functions always run with the GIL held.
pub const RawArgs = []const Object;

// ---- buffers and arrays (docs/buffers.md) ---------------------------------------------------------
//
// A parameter of type `[]const T` (T an integer, float or bool type other than u8, whose
// `[]const u8` is a str) is a read-only, C-contiguous, 1-D buffer of T; `[]T` (any such T,
// u8 included) a writable one. `View(T, .{...})` takes any strides and dimensions; `ByteView`
// any C-contiguous bytes-like object. All are valid for the call only (also with release_gil).
// A function returns a new array with `Array(T, ndim)`.

/// What a buffer parameter requires (`pyz3_param.type_flags` and `ndim`).
pub const BufferOptions = struct {
    /// Dimensions (0 = any).
    ndim: u8 = 1,
    /// The function writes through the view: a read-only object raises TypeError.
    writable: bool = false,
    /// The buffer must be C-contiguous (ValueError otherwise).
    contiguous: bool = false,
};

/// A buffer parameter of element type `T` viewed with its shape and strides (`pyz3_buffer`):
/// `pyz3.View(f64, .{})` is any 1-D float64 buffer, `.{ .ndim = 2 }` a matrix,
/// `.{ .writable = true }` one the function may write to.
pub fn View(comptime T: type, comptime options: BufferOptions) type {
    return struct {
        buf: *c.pyz3_buffer,

        const Self = @This();
        /// The declared element type and requirements (read by the trampoline generator).
        pub const pyz3_buffer_param = BufferParam{
            .elem = typeInfo(T, "the element type of a pyz3.View", false).code,
            .options = options,
        };
        const Ptr = if (options.writable) *T else *const T;

        /// Number of elements (the product of the shape).
        pub fn len(self: Self) usize {
            return self.buf.len;
        }
        /// Number of dimensions.
        pub fn ndim(self: Self) usize {
            return self.buf.ndim;
        }
        /// The extent of dimension `d`.
        pub fn shape(self: Self, d: usize) usize {
            return self.buf.shape[d];
        }
        /// The elements as a slice, when the buffer is C-contiguous (else null).
        pub fn slice(self: Self) ?(if (options.writable) []T else []const T) {
            if (!self.buf.contiguous) return null;
            const p: [*]T = @ptrCast(@alignCast(self.buf.data));
            return p[0..self.buf.len];
        }
        /// A pointer to the element at `index` (one index per dimension).
        pub fn ptr(self: Self, index: [if (options.ndim == 0) 1 else options.ndim]usize) Ptr {
            var offset: isize = 0;
            for (index, 0..) |i, d| offset += @as(isize, @intCast(i)) * @as(isize, self.buf.strides[d]);
            const base: [*]u8 = @ptrCast(self.buf.data);
            return @ptrCast(@alignCast(base + @as(usize, @bitCast(offset))));
        }
        /// Element `i` of a 1-D view.
        pub fn at(self: Self, i: usize) T {
            return self.ptr(.{i}).*;
        }
        /// Element (i, j) of a 2-D view.
        pub fn at2(self: Self, i: usize, j: usize) T {
            return self.ptr(.{ i, j }).*;
        }
        /// Sets element `i` of a writable 1-D view.
        pub fn set(self: Self, i: usize, value: T) void {
            if (!options.writable) @compileError("pyz3.View.set needs .{ .writable = true }");
            self.ptr(.{i}).* = value;
        }
    };
}

/// Any C-contiguous bytes-like object (bytes, bytearray, memoryview, array.array, numpy arrays of
/// any element type) seen as its bytes, read-only; `data` is valid for the call.
pub const ByteView = struct {
    data: []const u8,
    pub const pyz3_buffer_param = BufferParam{ .elem = c.PYZ3_T_BYTES, .options = .{ .ndim = 0 } };
};

/// A new C-contiguous array result of `ndim` dimensions and element type `T` (a `pyz3.Array` in
/// Python): `var a = try pyz3.Array(f64, 1).init(.{n}); a.data[0] = 1; return a;`. Made with
/// `pyz3_array_new` (callable without the GIL); `data` starts uninitialised. An array that is not
/// returned must be given back with `deinit`.
pub fn Array(comptime T: type, comptime ndim: u8) type {
    return struct {
        obj: Object,
        buf: *c.pyz3_buffer,
        /// The elements, row-major.
        data: []T,

        const Self = @This();
        pub const pyz3_array_result = ArrayResult{
            .elem = typeInfo(T, "the element type of a pyz3.Array", true).code,
            .ndim = ndim,
        };

        /// A new array of this shape; `error.Raised` (with the Python exception set) on failure.
        pub fn init(shape: [ndim]usize) Error!Self {
            var obj: ?*c.PyObject = null;
            const made = c.pyz3_array_new(pyz3_array_result.elem, ndim, &shape, &obj);
            if (made == null) return error.Raised;
            const buf: *c.pyz3_buffer = @ptrCast(made);
            const p: [*]T = @ptrCast(@alignCast(buf.data));
            return .{ .obj = obj.?, .buf = buf, .data = p[0..buf.len] };
        }

        /// Drops an array that will not be returned (takes the GIL if needed).
        pub fn deinit(self: Self) void {
            const gil = c.pyz3_gil_acquire();
            defer c.pyz3_gil_release(gil);
            c.pyz3_decref(self.obj);
        }
    };
}

const BufferParam = struct { elem: u8, options: BufferOptions };
const ArrayResult = struct { elem: u8, ndim: u8 };

/// Is `T` a slice that is a contiguous 1-D buffer parameter (not `[]const u8`, a str)?
fn sliceBuffer(comptime T: type) ?BufferParam {
    const info = @typeInfo(T);
    if (info != .pointer or info.pointer.size != .slice or info.pointer.sentinel() != null) return null;
    const E = info.pointer.child;
    if (E == u8 and info.pointer.attrs.@"const") return null;
    switch (@typeInfo(E)) {
        .int, .float, .bool => {},
        else => return null,
    }
    for (registry.types) |t| {
        if (t.kind == .int or t.kind == .float or t.kind == .bool) {
            const want: registry.Kind = switch (@typeInfo(E)) {
                .int => .int,
                .float => .float,
                else => .bool,
            };
            const bits: u16 = switch (@typeInfo(E)) {
                .int => |i| i.bits,
                .float => |f| f.bits,
                else => 8,
            };
            const signed = switch (@typeInfo(E)) {
                .int => |i| i.signedness == .signed,
                .float => true,
                else => false,
            };
            if (t.kind == want and t.bits == bits and t.signed == signed)
                return .{ .elem = t.code, .options = .{ .ndim = 1, .writable = !info.pointer.attrs.@"const", .contiguous = true } };
        }
    }
    return null;
}

/// The buffer requirements of a parameter type, if it is a buffer type.
fn bufferParam(comptime T: type) ?BufferParam {
    if (@typeInfo(T) == .@"struct" and @hasDecl(T, "pyz3_buffer_param")) return T.pyz3_buffer_param;
    return sliceBuffer(T);
}

/// The array facts of a result type, if it is an `Array`.
fn arrayResult(comptime T: type) ?ArrayResult {
    if (@typeInfo(T) == .@"struct" and @hasDecl(T, "pyz3_array_result")) return T.pyz3_array_result;
    return null;
}

fn bufferFlags(comptime o: BufferOptions) u8 {
    return (if (o.writable) c.PYZ3_BUF_WRITABLE else 0) | (if (o.contiguous) c.PYZ3_BUF_CONTIGUOUS else 0);
}

/// libpyz3's type codes, exception kinds and naming rule (generated from its registries).
pub const registry = @import("pyz3_types.zig");

/// The Python exception kinds a plugin can raise (`PYZ3_EXC_*`), from the registry.
pub const Exc = registry.Exc;

/// `error.Raised` from a plugin function means "a Python exception is already set": the
/// trampoline reports it unchanged. `raise`, `raiseFmt` and `check` return it.
pub const Error = error{Raised};

/// Sets a Python exception of `kind` with `message` (copied; need not be NUL-terminated) and
/// returns `error.Raised`, so a function can `return pyz3.raise(.value_error, "...")`. Any thread.
pub fn raise(kind: Exc, message: []const u8) Error {
    _ = c.pyz3_raise_len(@backingInt(kind), message.ptr, message.len);
    return error.Raised;
}

/// As `raise`, with a `std.fmt` message (cut at 1024 bytes).
pub fn raiseFmt(kind: Exc, comptime fmt: []const u8, args: anytype) Error {
    var buf: [1024]u8 = undefined;
    var w: std.Io.Writer = .fixed(&buf);
    w.print(fmt, args) catch {};
    return raise(kind, w.buffered());
}

/// Turns the NULL that a failing `pyz3_*` object function returns (with an exception set) into
/// `error.Raised`: `const d = try pyz3.check(pyz3.c.pyz3_dict_new());`.
pub fn check(obj: ?*c.PyObject) Error!Object {
    return obj orelse error.Raised;
}

// ---- allocation ---------------------------------------------------------------------------------

/// A `std.mem.Allocator` over libpyz3's GIL-cached allocator (`pyz3_alloc`/`pyz3_realloc`/
/// `pyz3_free`): usable from any thread, cheapest inside a plugin call or a `Gil` scope.
pub const allocator: std.mem.Allocator = .{ .ptr = undefined, .vtable = &allocator_vtable };

const allocator_vtable: std.mem.Allocator.VTable = .{
    .alloc = pyz3Alloc,
    .resize = pyz3Resize,
    .remap = pyz3Remap,
    .free = pyz3Free,
};

fn pyz3Alloc(_: *anyopaque, len: usize, alignment: std.mem.Alignment, _: usize) ?[*]u8 {
    return @ptrCast(c.pyz3_alloc(len, alignment.toByteUnits()));
}

fn pyz3Resize(_: *anyopaque, memory: []u8, _: std.mem.Alignment, new_len: usize, _: usize) bool {
    // The block keeps its size class; shrinking in place is always fine, growing never promised.
    return new_len <= memory.len;
}

fn pyz3Remap(_: *anyopaque, memory: []u8, alignment: std.mem.Alignment, new_len: usize, _: usize) ?[*]u8 {
    return @ptrCast(c.pyz3_realloc(memory.ptr, new_len, alignment.toByteUnits()));
}

fn pyz3Free(_: *anyopaque, memory: []u8, alignment: std.mem.Alignment, _: usize) void {
    c.pyz3_free(memory.ptr, alignment.toByteUnits());
}

// ---- GIL scopes -----------------------------------------------------------------------------------

/// A GIL scope (`pyz3_gil_acquire`): `const gil = pyz3.Gil.acquire(); defer gil.release();`.
/// Nestable and cheap when the thread already holds the GIL through pyz3; use it around loops on
/// native threads that allocate or touch Python objects.
pub const Gil = struct {
    token: c.pyz3_gil,

    pub fn acquire() Gil {
        return .{ .token = c.pyz3_gil_acquire() };
    }

    pub fn release(self: Gil) void {
        c.pyz3_gil_release(self.token);
    }

    /// Whether this scope holds the GIL. False when nothing was taken (Python not running, or
    /// the interpreter exiting): then touch no Python object.
    pub fn acquired(self: Gil) bool {
        return c.pyz3_gil_acquired(self.token);
    }

    /// True when the calling thread holds the GIL. Any thread.
    pub fn held() bool {
        return c.pyz3_gil_held();
    }
};

/// A GIL-released region (`pyz3_nogil_begin`): `const r = pyz3.NoGil.begin(); defer r.end();`.
/// Inside, touch no Python object; `allocator` and `raise` still work.
pub const NoGil = struct {
    region: c.pyz3_nogil,

    pub fn begin() NoGil {
        return .{ .region = c.pyz3_nogil_begin() };
    }

    pub fn end(self: NoGil) void {
        c.pyz3_nogil_end(self.region);
    }
};

// ---- compound types (ABI 1.1) ----------------------------------------------------------------------

/// A sequence argument, or a list result, of `T` items: an integer or float, `bool`, `[]const u8`
/// (str), `Bytes` or `Object`. As a parameter it accepts a list, tuple or other sequence, and
/// `items` is borrowed for the call (numbers without a copy); as a result it becomes a new list.
/// (A plain `[]const i64` stays what it is: not a sequence.)
pub fn List(comptime T: type) type {
    return struct {
        pub const Item = T;
        pub const pyz3_compound = .list;
        items: []const T,
    };
}

/// A `dict[str, T]` argument or result (`T` as for `List`). As a parameter, `keys` and `values`
/// are borrowed for the call and `get` finds a key; as a result it becomes a new dict (a key that
/// appears twice keeps its last value).
pub fn Dict(comptime T: type) type {
    return struct {
        pub const Value = T;
        pub const pyz3_compound = .dict;
        keys: []const []const u8,
        values: []const T,
        /// The loader's view of a dict argument (for `get`); null for a result.
        view: ?*const c.pyz3_dict = null,

        /// The value of `key`, if there is one.
        pub fn get(self: @This(), key: []const u8) ?T {
            if (self.view) |v| {
                var i: usize = 0;
                if (c.pyz3_dict_find(v, key.ptr, key.len, &i) != c.PYZ3_OK) return null;
                return self.values[i];
            }
            for (self.keys, 0..) |k, i| {
                if (std.mem.eql(u8, k, key)) return self.values[i];
            }
            return null;
        }
    };
}

/// A callable argument (`PYZ3_T_CALLABLE`), borrowed for the call.
pub const Callable = struct {
    obj: Object,

    /// Calls it with the values of the tuple `args` (integers, floats, `bool`, `[]const u8`,
    /// `Bytes`, `Object`) and converts its result to `R` (`void` ignores it; `[]const u8` is not
    /// a result type here: use `Object` and `pyz3.c.pyz3_to_str`). Takes the GIL if the thread
    /// does not hold it. `error.Raised` when it raised or its result did not convert: return it to
    /// pass the exception on unchanged.
    pub fn call(self: Callable, comptime R: type, args: anytype) Error!R {
        const fields = @typeInfo(@TypeOf(args)).@"struct".field_types;
        var types: [fields.len]u8 = undefined;
        var values: [fields.len]c.pyz3_value = undefined;
        inline for (fields, 0..) |F, i| {
            types[i] = comptime valueCode(F, "an argument of Callable.call", false);
            values[i] = argValue(F, args[i]);
        }
        const code = comptime if (R == void) c.PYZ3_T_VOID else valueCode(R, "the result of Callable.call", true);
        var out: c.pyz3_value = std.mem.zeroes(c.pyz3_value);
        if (c.pyz3_call_typed(self.obj, &types, &values, fields.len, code, &out) != c.PYZ3_OK) return error.Raised;
        if (R == void) return;
        return readResultValue(R, out);
    }
};

/// The value of a callback argument of type `T`, as a plugin receives one.
fn argValue(comptime T: type, v: T) c.pyz3_value {
    var out: c.pyz3_value = std.mem.zeroes(c.pyz3_value);
    const info = comptime typeInfo(T, "an argument of Callable.call", false);
    if (T == Bytes) {
        out.bytes = .{ .ptr = v.data.ptr, .len = v.data.len };
    } else if (T == Object) {
        out.obj = v;
    } else switch (info.kind) {
        .str => out.str = .{ .ptr = v.ptr, .len = v.len },
        .int => @field(out, info.arg_member) = @bitCast(v),
        else => @field(out, info.arg_member) = v,
    }
    return out;
}

/// A callback's converted result of type `R` (a scalar or `Object`).
fn readResultValue(comptime R: type, v: c.pyz3_value) R {
    const info = comptime typeInfo(R, "the result of Callable.call", true);
    if (R == Object) return v.obj.?;
    if (info.kind == .bool) return v.u8 != 0;
    return switch (info.kind) {
        .int => @bitCast(@field(v, info.result_member)),
        else => @field(v, info.result_member),
    };
}

/// The call itself, as a leading parameter (`pub fn f(call: pyz3.Call, ...)`, before or after an
/// allocator; not a Python parameter): raise the plugin's own exception classes through it.
pub const Call = struct {
    info: *const c.pyz3_call,

    /// Raises the plugin's exception class `index` (its position in `Options.exceptions`) with
    /// `message` and returns `error.Raised`.
    pub fn raise(self: Call, index: u32, message: []const u8) Error {
        _ = c.pyz3_raise_exception_len(self.info.module, index, message.ptr, message.len);
        return error.Raised;
    }

    /// As `raise`, with a `std.fmt` message (cut at 1024 bytes).
    pub fn raiseFmt(self: Call, index: u32, comptime fmt: []const u8, args: anytype) Error {
        var buf: [1024]u8 = undefined;
        var w: std.Io.Writer = .fixed(&buf);
        w.print(fmt, args) catch {};
        return self.raise(index, w.buffered());
    }
};

/// A module constant (`Options.constants`): `pyz3.constant("VERSION", "1.0", "The version.")`.
/// The value is a comptime integer (an `int64`), float, `bool`, string, `Bytes` or `null` (None).
pub const Constant = struct {
    name: [:0]const u8,
    doc: ?[:0]const u8 = null,
    code: u8,
    literal: [:0]const u8,
};

pub fn constant(comptime name: [:0]const u8, comptime value: anytype, comptime doc: ?[:0]const u8) Constant {
    comptime {
        const T = @TypeOf(value);
        const code: u8, const literal: []const u8 = switch (@typeInfo(T)) {
            .comptime_int => .{ c.PYZ3_T_I64, std.fmt.comptimePrint("{d}", .{value}) },
            .int => .{ valueCode(T, "constant " ++ name, true), std.fmt.comptimePrint("{d}", .{value}) },
            .comptime_float, .float => .{ if (T == f32) c.PYZ3_T_F32 else c.PYZ3_T_F64, floatLiteral(@as(f64, value), name) },
            .bool => .{ c.PYZ3_T_BOOL, if (value) "True" else "False" },
            .null => .{ c.PYZ3_T_VOID, "None" },
            .pointer => .{ c.PYZ3_T_STR, pyString("'", value) },
            else => if (T == Bytes) .{ c.PYZ3_T_BYTES, pyString("b'", value.data) } else @compileError("pyz3: constant " ++ name ++ " has type " ++ @typeName(T) ++ "; use an integer, float, bool, string, pyz3.Bytes or null"),
        };
        return .{ .name = name, .doc = doc, .code = code, .literal = zstr(literal) };
    }
}

fn floatLiteral(comptime v: f64, comptime name: []const u8) []const u8 {
    if (std.math.isNan(v)) @compileError("pyz3: constant " ++ name ++ " is NaN, which has no Python literal");
    if (std.math.isInf(v)) return if (v > 0) "1e999" else "-1e999";
    return std.fmt.comptimePrint("{e}", .{v});
}

/// A Python string (or bytes, with `prefix` "b'") literal of `s`: quotes, backslashes and control
/// bytes escaped; other bytes as they are (UTF-8 text stays text).
fn pyString(comptime prefix: []const u8, comptime s: []const u8) []const u8 {
    comptime {
        @setEvalBranchQuota(10_000 + 100 * s.len);
        var out: []const u8 = prefix;
        for (s) |ch| {
            out = out ++ switch (ch) {
                '\\' => "\\\\",
                '\'' => "\\'",
                0...0x1f, 0x7f => std.fmt.comptimePrint("\\x{x:0>2}", .{ch}),
                else => if (ch >= 0x80 and prefix.len > 1) std.fmt.comptimePrint("\\x{x:0>2}", .{ch}) else &[_]u8{ch},
            };
        }
        return out ++ "'";
    }
}

/// One of the plugin's exception classes (`Options.exceptions`): a subclass of `base`, raised
/// by its index with `Call.raise`.
pub const ExceptionDef = struct {
    name: [:0]const u8,
    base: Exc,
    doc: ?[:0]const u8 = null,
};

// ---- declaring a plugin ---------------------------------------------------------------------------

/// Optional per-function metadata: `pub const <fn>__meta: pyz3.Meta = .{ ... };` next to the
/// `pub fn <fn>`. Zig does not expose parameter names, so they come from `params`, or are
/// `arg0`, `arg1`, ... without it.
pub const Meta = struct {
    /// Python name of the function (default: the Zig name).
    name: ?[:0]const u8 = null,
    /// Doc string.
    doc: ?[:0]const u8 = null,
    /// The Python parameter list, one entry per Python-visible parameter (a leading
    /// `std.mem.Allocator` parameter is not one): `"n, label='n', verbose=False, *, sep=': '"`.
    /// A default is a Python literal; `*` makes the following parameters keyword-only; a final `/`
    /// makes all parameters positional-only.
    params: ?[]const u8 = null,
    /// Release the GIL around the call (`PYZ3_FN_RELEASE_GIL`): the function must not touch
    /// Python objects without a `Gil` scope. A str/bytes result is made under one by the trampoline.
    release_gil: bool = false,
};

/// Maps a Zig error to a Python exception kind: `.{ error.NotFound, .key_error }`.
pub const ErrorMap = struct { anyerror, Exc };

pub const Options = struct {
    /// Python module name.
    name: [:0]const u8,
    /// Module doc string (default: the module's `pub const __doc__`, if any).
    doc: ?[:0]const u8 = null,
    /// The plugin is safe to run without the GIL (`PYZ3_PLUGIN_FREE_THREADED`): on free-threaded
    /// CPython its functions may then run on several threads at once; otherwise pyz3 runs them
    /// one at a time there (docs/free-threading.md).
    free_threaded: bool = false,
    /// Errors raised as a kind other than `RuntimeError`, with the error name as the message.
    /// `error.OutOfMemory` is a `MemoryError` unless listed here.
    errors: []const ErrorMap = &.{},
    /// Module constants (ABI 1.1): `&.{ pyz3.constant("VERSION", "1.0", null) }`.
    constants: []const Constant = &.{},
    /// The plugin's exception classes (ABI 1.1), raised by index with `Call.raise`.
    exceptions: []const ExceptionDef = &.{},
};

/// Generates the descriptor of `Module`'s `pub fn`s and exports `pyz3_plugin_entry`. Call once
/// per shared library, from a `comptime` block: `comptime { pyz3.plugin(@This(), .{ .name = "x" }); }`.
pub fn plugin(comptime Module: type, comptime options: Options) void {
    const P = Plugin(Module, options);
    @export(&P.entry, .{ .name = "pyz3_plugin_entry" });
}

fn Plugin(comptime Module: type, comptime options: Options) type {
    return struct {
        const names = functionNames(Module);
        const functions: [names.len]c.pyz3_function_def = blk: {
            var defs: [names.len]c.pyz3_function_def = undefined;
            for (names, 0..) |name, i| defs[i] = functionDef(Module, Module, name, options, .function);
            break :blk defs;
        };
        const class_types = classTypes(Module);
        const classes: [class_types.len]c.pyz3_class_def = blk: {
            var defs: [class_types.len]c.pyz3_class_def = undefined;
            for (class_types, 0..) |C, i| defs[i] = classDef(Module, C, options);
            break :blk defs;
        };
        const descriptor: c.pyz3_plugin = .{
            .header = .{
                .magic = c.PYZ3_ABI_MAGIC,
                .abi_major = c.PYZ3_ABI_MAJOR,
                .abi_minor = c.PYZ3_ABI_MINOR,
                .struct_size = @sizeOf(c.pyz3_plugin),
                .reserved = 0,
            },
            .name = options.name.ptr,
            .doc = if (options.doc) |d| d.ptr else if (@hasDecl(Module, "__doc__")) zstr(Module.__doc__).ptr else null,
            .functions = &functions,
            .function_count = names.len,
            .function_size = @sizeOf(c.pyz3_function_def),
            .param_size = @sizeOf(c.pyz3_param),
            .flags = if (options.free_threaded) c.PYZ3_PLUGIN_FREE_THREADED else 0,
            .classes = if (class_types.len == 0) null else &classes,
            .class_count = class_types.len,
            .class_size = @sizeOf(c.pyz3_class_def),
            .constants = if (constants.len == 0) null else &constants,
            .constant_count = constants.len,
            .constant_size = @sizeOf(c.pyz3_constant_def),
            .exceptions = if (exceptions.len == 0) null else &exceptions,
            .exception_count = exceptions.len,
            .exception_size = @sizeOf(c.pyz3_exception_def),
        };
        const constants: [options.constants.len]c.pyz3_constant_def = blk: {
            var defs: [options.constants.len]c.pyz3_constant_def = undefined;
            for (options.constants, 0..) |k, i| defs[i] = .{
                .name = k.name.ptr,
                .doc = if (k.doc) |d| d.ptr else null,
                .value = k.literal.ptr,
                .type = k.code,
                .reserved = @splat(0),
            };
            break :blk defs;
        };
        const exceptions: [options.exceptions.len]c.pyz3_exception_def = blk: {
            var defs: [options.exceptions.len]c.pyz3_exception_def = undefined;
            for (options.exceptions, 0..) |e, i| defs[i] = .{
                .name = e.name.ptr,
                .doc = if (e.doc) |d| d.ptr else null,
                .base = @backingInt(e.base),
                .reserved = 0,
            };
            break :blk defs;
        };

        fn entry() callconv(.c) *const c.pyz3_plugin {
            return &descriptor;
        }
    };
}

/// The `pub fn`s of `Module`, in declaration order. Also checks that every `<name>__meta` decl
/// belongs to one of them.
fn functionNames(comptime Module: type) []const []const u8 {
    comptime {
        const decls = switch (@typeInfo(Module)) {
            .@"struct" => |s| s.decl_names,
            else => @compileError("pyz3.plugin: expected a struct (usually @This()), got " ++ @typeName(Module)),
        };
        var names: []const []const u8 = &.{};
        for (decls) |decl| {
            if (@typeInfo(@TypeOf(@field(Module, decl))) == .@"fn") names = names ++ .{decl};
        }
        for (decls) |decl| {
            if (!std.mem.endsWith(u8, decl, meta_suffix)) continue;
            const owner = decl[0 .. decl.len - meta_suffix.len];
            if (!@hasDecl(Module, owner) or @typeInfo(@TypeOf(@field(Module, owner))) != .@"fn")
                @compileError("pyz3: '" ++ decl ++ "' describes no pub fn '" ++ owner ++ "'");
        }
        return names;
    }
}

const meta_suffix = "__meta";

fn metaOf(comptime Module: type, comptime fn_name: []const u8) Meta {
    comptime {
        const decl = fn_name ++ meta_suffix;
        if (!@hasDecl(Module, decl)) return .{};
        const value = @field(Module, decl);
        if (@TypeOf(value) != Meta)
            @compileError("pyz3: declare it as `pub const " ++ decl ++ ": pyz3.Meta = .{ ... };` (it has type " ++ @typeName(@TypeOf(value)) ++ ")");
        return value;
    }
}

/// How a Zig parameter or result type travels through the ABI.
const Shape = struct {
    code: u8,
    optional: bool,
    /// The element type of a compound type (`elem`, `ret_elem`): a buffer's, an array's, a
    /// sequence's, a dict's, a list's or an iterator's items.
    elem: u8 = 0,
    /// Buffers and arrays: `PYZ3_BUF_*`/`PYZ3_ARRAY_*` bits, dimensions.
    type_flags: u8 = 0,
    ndim: u8 = 0,
    /// The item types of a tuple result (`ret_items`).
    items: []const u8 = &.{},
    /// `PYZ3_T_INSTANCE`: the class's index among the plugin's classes.
    class_index: u16 = 0,
};

/// Whether `T` is one of the SDK's compound types (`List`, `Dict`): its kind, or null.
fn compoundKind(comptime T: type) ?@TypeOf(.list) {
    if (@typeInfo(T) != .@"struct" or !@hasDecl(T, "pyz3_compound")) return null;
    return T.pyz3_compound;
}

/// An iterator result: a struct (not a tuple) with `pub fn next(self: *Self) ?T` (or an error
/// union of it); returns `T`, or null when `S` is no iterator.
fn IterItem(comptime S: type) ?type {
    if (@typeInfo(S) != .@"struct" or @typeInfo(S).@"struct".is_tuple or !@hasDecl(S, "next")) return null;
    const R = @typeInfo(@TypeOf(S.next)).@"fn".return_type.?;
    const O = Payload(R);
    if (@typeInfo(O) != .optional) @compileError("pyz3: the iterator " ++ @typeName(S) ++ ".next must return ?T (or an error union of it)");
    return @typeInfo(O).optional.child;
}

/// The shape of a compound parameter or result type, or null for a scalar.
fn compoundShape(comptime T: type, comptime where: []const u8, comptime is_result: bool) ?Shape {
    if (compoundKind(T)) |kind| {
        const E = if (kind == .list) T.Item else T.Value;
        const code = if (kind == .list) (if (is_result) c.PYZ3_T_LIST else c.PYZ3_T_SEQUENCE) else c.PYZ3_T_DICT;
        return .{ .code = code, .optional = false, .elem = valueCode(E, "the items of " ++ where, is_result) };
    }
    if (T == Callable and !is_result) return .{ .code = c.PYZ3_T_CALLABLE, .optional = false };
    if (!is_result) return null;
    if (@typeInfo(T) == .@"struct" and @typeInfo(T).@"struct".is_tuple) {
        const fields = @typeInfo(T).@"struct".field_types;
        var items: [fields.len]u8 = undefined;
        for (fields, 0..) |F, i| items[i] = valueCode(F, "item " ++ decimal(i) ++ " of " ++ where, true);
        const final = items;
        return .{ .code = c.PYZ3_T_TUPLE, .optional = false, .items = &final };
    }
    if (IterItem(T)) |E| return .{ .code = c.PYZ3_T_ITERATOR, .optional = false, .elem = valueCode(E, "the items of " ++ where, true) };
    return null;
}

fn typeError(comptime where: []const u8, comptime T: type) noreturn {
    @compileError("pyz3: " ++ where ++ " has type '" ++ @typeName(T) ++ "', which pyz3 cannot convert. " ++
        "Supported: i8..i64, u8..u64 (any 8/16/32/64-bit integer), f32, f64, bool, []const u8 (str), " ++
        "pyz3.Bytes, pyz3.Object, ?T of those; buffers []const T, []T, pyz3.View, pyz3.ByteView; " ++
        "containers pyz3.List(T), pyz3.Dict(T), pyz3.Callable; " ++
        "results also void, pyz3.Array, tuples, iterator structs and error unions (docs/zig.md)");
}

/// The registry entry of a Zig value type (no optional, no error union): integers and floats by
/// width and signedness, `bool`, text (`[]const u8`), `Bytes` and `Object`.
fn typeInfo(comptime T: type, comptime where: []const u8, comptime is_result: bool) registry.TypeInfo {
    const kind: registry.Kind, const bits: u16, const signed: bool = if (T == Bytes)
        .{ .bytes, 0, false }
    else if (T == Object)
        .{ .object, 0, false }
    else if (!is_result and bufferParam(T) != null)
        .{ .buffer, 0, false }
    else if (is_result and arrayResult(T) != null)
        .{ .array, 0, false }
    else switch (@typeInfo(T)) {
        .bool => .{ .bool, 8, false },
        .int => |i| .{ .int, i.bits, i.signedness == .signed },
        .float => |f| .{ .float, f.bits, true },
        .pointer => if (isText(T, is_result)) .{ .str, 0, false } else typeError(where, T),
        else => typeError(where, T),
    };
    for (registry.types) |t| {
        if (t.kind == kind and t.bits == bits and t.signed == signed) {
            if (is_result and !t.result) break;
            if (!is_result and !t.param) break;
            return t;
        }
    }
    typeError(where, T);
}

/// The `PYZ3_T_*` code of a value type (no optional, no error union).
fn valueCode(comptime T: type, comptime where: []const u8, comptime is_result: bool) u8 {
    return typeInfo(T, where, is_result).code;
}

/// `[]const u8` is a `str`; results may also be `[]u8` or NUL-terminated slices.
fn isText(comptime T: type, comptime is_result: bool) bool {
    if (T == []const u8) return true;
    if (!is_result) return false;
    return T == []u8 or T == [:0]const u8 or T == [:0]u8;
}

fn paramShape(comptime Module: type, comptime T: type, comptime where: []const u8) Shape {
    const optional = @typeInfo(T) == .optional;
    const V = if (optional) @typeInfo(T).optional.child else T;
    if (classIndexOf(Module, V, false) == null) {
        if (compoundShape(V, where, false)) |s| {
            var shape = s;
            shape.optional = optional;
            return shape;
        }
    }
    var shape: Shape = .{
        .code = shapeCode(Module, V, where, false),
        .optional = optional,
        .class_index = classIndexOf(Module, V, false) orelse 0,
    };
    if (bufferParam(V)) |b| {
        shape.elem = b.elem;
        shape.type_flags = bufferFlags(b.options);
        shape.ndim = b.options.ndim;
    }
    return shape;
}

/// The type code of a value type: `PYZ3_T_INSTANCE` for a class of the plugin (a pointer to one
/// as a parameter, the class itself as a result), else the registry's.
fn shapeCode(comptime Module: type, comptime T: type, comptime where: []const u8, comptime is_result: bool) u8 {
    if (classIndexOf(Module, T, is_result) != null) return c.PYZ3_T_INSTANCE;
    return valueCode(T, where, is_result);
}

/// The payload type of a result (error union stripped).
fn Payload(comptime R: type) type {
    return switch (@typeInfo(R)) {
        .error_union => |e| e.payload,
        else => R,
    };
}

fn resultShape(comptime Module: type, comptime R: type, comptime where: []const u8) Shape {
    const P = Payload(R);
    if (P == void) return .{ .code = c.PYZ3_T_VOID, .optional = false };
    const optional = @typeInfo(P) == .optional;
    const V = if (optional) @typeInfo(P).optional.child else P;
    if (classIndexOf(Module, V, true) == null) {
        if (compoundShape(V, where, true)) |s| {
            var shape = s;
            shape.optional = optional;
            return shape;
        }
    }
    var shape: Shape = .{
        .code = shapeCode(Module, V, where, true),
        .optional = optional,
        .class_index = classIndexOf(Module, V, true) orelse 0,
    };
    if (arrayResult(V)) |a| {
        shape.elem = a.elem;
        shape.ndim = a.ndim;
    }
    return shape;
}

const ParamSpec = struct {
    name: [:0]const u8,
    default: ?[:0]const u8 = null,
    keyword_only: bool = false,
};

const ParamList = struct {
    params: []const ParamSpec,
    positional_only: bool,
};

/// Parses a `Meta.params` list: `name`, `name=<literal>`, `*`, and a final `/`.
fn parseParams(comptime text: []const u8, comptime where: []const u8) ParamList {
    comptime {
        @setEvalBranchQuota(20_000 + 200 * text.len);
        var out: []const ParamSpec = &.{};
        var keyword_only = false;
        var positional_only = false;
        var rest = text;
        while (true) {
            // Split at the first comma outside quotes and brackets.
            var depth: usize = 0;
            var quote: u8 = 0;
            var end: usize = 0;
            while (end < rest.len) : (end += 1) {
                const ch = rest[end];
                if (quote != 0) {
                    if (ch == '\\') end += 1 else if (ch == quote) quote = 0;
                } else if (ch == '\'' or ch == '"') {
                    quote = ch;
                } else if (ch == '(' or ch == '[' or ch == '{') {
                    depth += 1;
                } else if ((ch == ')' or ch == ']' or ch == '}') and depth > 0) {
                    depth -= 1;
                } else if (ch == ',' and depth == 0) {
                    break;
                }
            }
            const item = std.mem.trim(u8, rest[0..@min(end, rest.len)], " \t\r\n");
            const last = end >= rest.len;
            if (item.len == 0) {
                // Only "" (no parameters) and a trailing comma leave an empty entry.
                if (last) break;
                @compileError("pyz3: " ++ where ++ ": empty entry in params \"" ++ text ++ "\"");
            } else if (positional_only) {
                @compileError("pyz3: " ++ where ++ ": '/' must be the last entry of params (all parameters are positional-only or none)");
            } else if (std.mem.eql(u8, item, "*")) {
                if (keyword_only) @compileError("pyz3: " ++ where ++ ": '*' appears twice in params");
                keyword_only = true;
            } else if (std.mem.eql(u8, item, "/")) {
                if (keyword_only) @compileError("pyz3: " ++ where ++ ": '/' after '*' in params");
                positional_only = true;
            } else {
                const eq = std.mem.indexOfScalar(u8, item, '=');
                const name = std.mem.trim(u8, if (eq) |i| item[0..i] else item, " \t");
                if (!isIdentifier(name))
                    @compileError("pyz3: " ++ where ++ ": '" ++ name ++ "' in params cannot name a parameter (an ASCII identifier that is not a Python keyword)");
                const default: ?[:0]const u8 = if (eq) |i| zstr(std.mem.trim(u8, item[i + 1 ..], " \t")) else null;
                if (default) |d| if (d.len == 0) @compileError("pyz3: " ++ where ++ ": parameter '" ++ name ++ "' has '=' but no default literal");
                out = out ++ .{ParamSpec{ .name = zstr(name), .default = default, .keyword_only = keyword_only }};
            }
            if (last) break;
            rest = rest[end + 1 ..];
        }
        if (keyword_only and (out.len == 0 or !out[out.len - 1].keyword_only))
            @compileError("pyz3: " ++ where ++ ": '*' in params must be followed by a parameter");
        return .{ .params = out, .positional_only = positional_only };
    }
}

/// The loader's naming rule: an ASCII identifier that is not a Python keyword (non-ASCII
/// names are refused: Python normalises them, so the caller's spelling could differ).
fn isIdentifier(comptime s: []const u8) bool {
    if (s.len == 0) return false;
    for (s, 0..) |ch, i| {
        const ok = ch == '_' or std.ascii.isAlphabetic(ch) or (i > 0 and std.ascii.isDigit(ch));
        if (!ok) return false;
    }
    for (registry.keywords) |k| {
        if (std.mem.eql(u8, k, s)) return false;
    }
    return true;
}

/// A comptime string as a NUL-terminated static string.
fn zstr(comptime s: []const u8) [:0]const u8 {
    comptime {
        var buf: [s.len:0]u8 = undefined;
        @memcpy(buf[0..s.len], s);
        const final = buf;
        return &final;
    }
}

fn decimal(comptime n: usize) []const u8 {
    return std.fmt.comptimePrint("{d}", .{n});
}

/// What a Zig function is to Python: a module function, or a function of a class (Role).
const Role = enum {
    /// A module function.
    function,
    /// An instance method: its first parameter is `*C` or `*const C`.
    method,
    /// A static method: a function of the class without an instance.
    static,
    /// `init` or `__setstate__`: returns the state (`C` or `!C`), which fills the instance's.
    ctor,
    /// `get_<name>`: a property's getter (only the instance).
    getter,
    /// `set_<name>`: a property's setter (the instance and the value).
    setter,
};

/// The Zig function behind one Python function, as the generator sees it. `Owner` is the
/// module, or the class the function is declared in.
fn Signature(comptime Owner: type, comptime fn_name: []const u8, comptime role: Role) type {
    return struct {
        const func = @field(Owner, fn_name);
        const F = @TypeOf(func);
        const info = @typeInfo(F).@"fn";
        const where = (if (role == .function) "fn " else "fn " ++ @typeName(Owner) ++ ".") ++ fn_name;
        const R = info.return_type orelse @compileError("pyz3: " ++ where ++ " has a generic return type");
        /// The instance, for methods and accessors.
        const self_params = switch (role) {
            .method, .getter, .setter => 1,
            else => 0,
        };
        /// Leading parameters after the instance that are not Python ones: a
        /// `std.mem.Allocator` (a per-call arena) and a `Call`, in either order.
        const first = leading: {
            var k: usize = self_params;
            while (k < info.param_types.len and k < self_params + 2 and (info.param_types[k] == std.mem.Allocator or info.param_types[k] == Call)) k += 1;
            break :leading k;
        };
        const arena_at: ?usize = for (self_params..first) |k| {
            if (info.param_types[k] == std.mem.Allocator) break k;
        } else null;
        const call_at: ?usize = for (self_params..first) |k| {
            if (info.param_types[k] == Call) break k;
        } else null;
        const has_arena = arena_at != null;
        /// `fn (pyz3.RawArgs) Object` (or an error union of it) uses the raw convention.
        const raw = role == .function and info.param_types.len == 1 and info.param_types[0] == RawArgs;
        const count = info.param_types.len - first;
        /// Some parameter's conversion needs memory for the call (items of str or bytes).
        const needs_memory = blk: {
            for (0..count) |i| {
                if (convertNeedsMemory(info.param_types[first + i].?)) break :blk true;
            }
            break :blk false;
        };
        /// The Python parameters start at `args[arg_offset]`: a class's functions other than
        /// static methods receive the instance's state in `args[0]`.
        const arg_offset = if (role == .function or role == .static) 0 else 1;

        comptime {
            if (info.is_generic) @compileError("pyz3: " ++ where ++ " is generic (comptime or anytype parameters); make it non-pub or give it concrete types");
            if (info.attrs.varargs) @compileError("pyz3: " ++ where ++ " is variadic");
            if (count > c.PYZ3_MAX_PARAMS) @compileError("pyz3: " ++ where ++ " has more than 64 parameters");
            if (self_params == 1) {
                if (info.param_types.len == 0 or !isSelf(Owner, info.param_types[0].?))
                    @compileError("pyz3: " ++ where ++ " must take the instance first (*" ++ @typeName(Owner) ++ " or *const " ++ @typeName(Owner) ++ ")");
            }
            if (role == .ctor and Payload(R) != Owner)
                @compileError("pyz3: " ++ where ++ " must return " ++ @typeName(Owner) ++ " (or an error union of it), not " ++ @typeName(R));
            if (role == .getter and count != 0)
                @compileError("pyz3: " ++ where ++ " (a getter) takes only the instance");
            if (role == .setter and (count != 1 or Payload(R) != void))
                @compileError("pyz3: " ++ where ++ " (a setter) takes the instance and the value, and returns void (or !void)");
        }

        fn paramType(comptime i: usize) type {
            return info.param_types[first + i].?;
        }
    };
}

/// Is `T` the instance parameter of a function of class `Owner` (`*Owner` or `*const Owner`)?
fn isSelf(comptime Owner: type, comptime T: type) bool {
    return switch (@typeInfo(T)) {
        .pointer => |p| p.size == .one and p.child == Owner,
        else => false,
    };
}

fn functionDef(comptime Module: type, comptime Owner: type, comptime fn_name: []const u8, comptime options: Options, comptime role: Role) c.pyz3_function_def {
    comptime {
        const S = Signature(Owner, fn_name, role);
        const meta = metaOf(Owner, fn_name);
        const spec: ParamList = if (meta.params) |p| parseParams(p, S.where) else .{ .params = &.{}, .positional_only = false };
        if (S.raw) return rawFunctionDef(Owner, fn_name, meta, spec, options);
        if (meta.params != null and spec.params.len != S.count)
            @compileError("pyz3: " ++ S.where ++ " has " ++ decimal(S.count) ++ " Python parameters but " ++
                fn_name ++ meta_suffix ++ ".params names " ++ decimal(spec.params.len));

        var params: [S.count]c.pyz3_param = undefined;
        for (0..S.count) |i| {
            const p: ParamSpec = if (meta.params != null) spec.params[i] else .{ .name = zstr(if (role == .setter) "value" else "arg" ++ decimal(i)) };
            const label = if (meta.params != null) "'" ++ p.name ++ "'" else decimal(i);
            const shape = paramShape(Module, S.paramType(i), "parameter " ++ label ++ " of " ++ S.where);
            params[i] = paramDef(p, shape);
        }
        const final_params = params;
        const result = if (role == .ctor or role == .setter) Shape{ .code = c.PYZ3_T_VOID, .optional = false } else resultShape(Module, S.R, "the result of " ++ S.where);
        const name = switch (role) {
            .ctor => zstr(fn_name),
            else => pythonName(meta, fn_name, S.where),
        };
        return .{
            .name = name.ptr,
            .doc = if (meta.doc) |d| d.ptr else null,
            .params = if (S.count == 0) null else &final_params,
            .@"fn" = &Trampoline(Module, Owner, fn_name, meta, options, role).call,
            .raw = null,
            .user_data = null,
            .param_count = S.count,
            .return_type = result.code,
            .return_flags = if (result.optional) c.PYZ3_RETURN_OPTIONAL else 0,
            .flags = (if (meta.release_gil) c.PYZ3_FN_RELEASE_GIL else 0) |
                (if (spec.positional_only) c.PYZ3_FN_POSITIONAL_ONLY else 0) |
                (if (role == .static) c.PYZ3_FN_STATIC else 0),
            .ret_elem = result.elem,
            .ret_type_flags = result.type_flags,
            .ret_ndim = result.ndim,
            .ret_reserved = 0,
            .ret_class_index = result.class_index,
            .ret_item_count = result.items.len,
            .ret_items = if (result.items.len == 0) null else result.items.ptr,
        };
    }
}

/// The function's Python name (`Meta.name`, else the Zig name), checked as the loader will.
fn pythonName(comptime meta: Meta, comptime fn_name: []const u8, comptime where: []const u8) [:0]const u8 {
    const name = meta.name orelse zstr(fn_name);
    if (!isIdentifier(name))
        @compileError("pyz3: " ++ where ++ ": '" ++ name ++ "' cannot name a Python function (an ASCII identifier that is not a Python keyword; set Meta.name)");
    return name;
}

fn paramDef(comptime p: ParamSpec, comptime shape: Shape) c.pyz3_param {
    return .{
        .name = p.name.ptr,
        .default_value = if (p.default) |d| d.ptr else null,
        .type = shape.code,
        .flags = (if (shape.optional) c.PYZ3_PARAM_OPTIONAL else 0) |
            (if (p.keyword_only) c.PYZ3_PARAM_KEYWORD_ONLY else 0),
        .elem = shape.elem,
        .type_flags = shape.type_flags,
        .ndim = shape.ndim,
        .reserved = 0,
        .class_index = shape.class_index,
    };
}

fn rawFunctionDef(comptime Module: type, comptime fn_name: []const u8, comptime meta: Meta, comptime spec: ParamList, comptime options: Options) c.pyz3_function_def {
    comptime {
        const S = Signature(Module, fn_name, .function);
        if (meta.params == null)
            @compileError("pyz3: raw " ++ S.where ++ " needs `pub const " ++ fn_name ++ meta_suffix ++ ": pyz3.Meta = .{ .params = \"...\" }` to declare its parameters");
        if (meta.release_gil)
            @compileError("pyz3: raw " ++ S.where ++ " cannot have release_gil: it receives Python objects");
        if (Payload(S.R) != Object)
            @compileError("pyz3: raw " ++ S.where ++ " must return pyz3.Object or an error union of it, not " ++ @typeName(S.R));
        var params: [spec.params.len]c.pyz3_param = undefined;
        for (spec.params, 0..) |p, i| params[i] = paramDef(p, .{ .code = c.PYZ3_T_OBJECT, .optional = false });
        const final_params = params;
        return .{
            .name = pythonName(meta, fn_name, S.where).ptr,
            .doc = if (meta.doc) |d| d.ptr else null,
            .params = if (spec.params.len == 0) null else &final_params,
            .@"fn" = null,
            .raw = &RawTrampoline(Module, fn_name, options).call,
            .user_data = null,
            .param_count = spec.params.len,
            .return_type = c.PYZ3_T_OBJECT,
            .return_flags = 0,
            .flags = if (spec.positional_only) c.PYZ3_FN_POSITIONAL_ONLY else 0,
            .ret_elem = 0,
            .ret_type_flags = 0,
            .ret_ndim = 0,
            .ret_reserved = 0,
            .ret_class_index = 0,
            .ret_item_count = 0,
            .ret_items = null,
        };
    }
}

// ---- the generated C-ABI entry point of one function ------------------------------------------------

fn Trampoline(comptime Module: type, comptime Owner: type, comptime fn_name: []const u8, comptime meta: Meta, comptime options: Options, comptime role: Role) type {
    const S = Signature(Owner, fn_name, role);
    return struct {
        fn call(args: [*c]const c.pyz3_value, result: [*c]c.pyz3_value, call_info: [*c]const c.pyz3_call) callconv(.c) i32 {
            var zargs: std.meta.ArgsTuple(S.F) = undefined;
            if (S.self_params == 1) zargs[0] = @ptrCast(@alignCast(args[0].inst.?));
            if (S.call_at) |k| zargs[k] = .{ .info = call_info };
            if (S.has_arena or S.needs_memory) {
                var arena: std.heap.ArenaAllocator = .init(allocator);
                defer arena.deinit();
                const a = arena.allocator();
                if (S.arena_at) |k| zargs[k] = a;
                inline for (0..S.count) |i| {
                    zargs[S.first + i] = readArg(Module, S.paramType(i), args[S.arg_offset + i], call_info, i, a) catch
                        return c.pyz3_raise(c.PYZ3_EXC_MEMORY_ERROR, "out of memory converting an argument");
                }
                // The result is converted (copied) before the arena goes.
                return finish(@call(.auto, S.func, zargs), args, result, call_info);
            }
            inline for (0..S.count) |i| {
                zargs[S.first + i] = readArg(Module, S.paramType(i), args[S.arg_offset + i], call_info, i, undefined) catch unreachable;
            }
            return finish(@call(.auto, S.func, zargs), args, result, call_info);
        }

        inline fn finish(ret: S.R, args: [*c]const c.pyz3_value, result: [*c]c.pyz3_value, call_info: [*c]const c.pyz3_call) i32 {
            _ = call_info;
            const payload = switch (@typeInfo(S.R)) {
                .error_union => ret catch |err| return raiseError(options.errors, err),
                else => ret,
            };
            const P = @TypeOf(payload);
            if (role == .ctor) {
                // The instance's zeroed state, now made.
                const state: *Owner = @ptrCast(@alignCast(args[0].inst.?));
                state.* = payload;
                return c.PYZ3_OK;
            }
            if (P == void) return c.PYZ3_OK;
            if (@typeInfo(P) == .optional) {
                const value = payload orelse return c.PYZ3_RETURN_NONE;
                return writeAny(Module, @TypeOf(value), value, result, meta.release_gil);
            }
            return writeAny(Module, P, payload, result, meta.release_gil);
        }
    };
}

fn RawTrampoline(comptime Module: type, comptime fn_name: []const u8, comptime options: Options) type {
    const S = Signature(Module, fn_name, .function);
    return struct {
        fn call(args: [*c]const ?*c.PyObject, nargs: usize, _: [*c]const c.pyz3_call) callconv(.c) ?*c.PyObject {
            // The loader passes one non-NULL object per declared parameter.
            const objects: [*]const Object = @ptrCast(args);
            const ret = S.func(objects[0..nargs]);
            return switch (@typeInfo(S.R)) {
                .error_union => ret catch |err| {
                    _ = raiseError(options.errors, err);
                    return null;
                },
                else => ret,
            };
        }
    };
}

/// Whether converting an argument of type `T` needs memory for the call (items of str or bytes
/// become Zig slices).
fn convertNeedsMemory(comptime T: type) bool {
    const U = switch (@typeInfo(T)) {
        .optional => |o| o.child,
        else => T,
    };
    const kind = compoundKind(U) orelse return false;
    if (kind == .dict) return true;
    return U.Item == []const u8 or U.Item == Bytes;
}

inline fn readArg(comptime Module: type, comptime T: type, args_i: c.pyz3_value, call_info: [*c]const c.pyz3_call, comptime i: usize, a: std.mem.Allocator) !T {
    if (@typeInfo(T) == .optional) {
        if (call_info.*.none_mask & (@as(u64, 1) << i) != 0) return null;
        return try readArg(Module, @typeInfo(T).optional.child, args_i, call_info, i, a);
    }
    if (comptime classIndexOf(Module, T, false) != null) {
        // An instance of one of the plugin's classes (or of a subclass): its state.
        return @ptrCast(@alignCast(args_i.inst.?));
    }
    if (T == Callable) return .{ .obj = args_i.obj.? };
    if (comptime compoundKind(T)) |kind| {
        if (kind == .list) {
            const view = args_i.seq;
            return .{ .items = try readItems(T.Item, view.*.items, view.*.len, a) };
        }
        const view = args_i.dict;
        const n = view.*.len;
        const keys = try a.alloc([]const u8, n);
        for (keys, 0..) |*k, j| k.* = if (view.*.keys[j].len == 0) "" else view.*.keys[j].ptr[0..view.*.keys[j].len];
        return .{ .keys = keys, .values = try readItems(T.Value, view.*.values, n, a), .view = view };
    }
    const info = comptime typeInfo(T, "a parameter", false);
    const member = @field(args_i, info.arg_member);
    if (comptime info.kind == .buffer) {
        const buf: *c.pyz3_buffer = @ptrCast(member);
        if (T == ByteView) {
            const p: [*]const u8 = @ptrCast(buf.data);
            return .{ .data = p[0..buf.len] };
        }
        if (comptime sliceBuffer(T) != null) {
            const E = @typeInfo(T).pointer.child;
            const p: [*]E = @ptrCast(@alignCast(buf.data));
            return p[0..buf.len];
        }
        return .{ .buf = buf };
    }
    if (T == Bytes) return .{ .data = member.ptr[0..member.len] };
    if (T == Object) return member.?;
    return switch (info.kind) {
        .int => @bitCast(member),
        .str => member.ptr[0..member.len],
        else => member,
    };
}

/// The `n` converted items of a sequence or dict argument as a Zig slice: the loader's array
/// itself for numbers, bools and objects; slices made in `a` for str and bytes.
fn readItems(comptime T: type, items: c.pyz3_items, n: usize, a: std.mem.Allocator) ![]const T {
    if (n == 0) return &.{};
    if (T == []const u8 or T == Bytes) {
        const out = try a.alloc(T, n);
        for (out, 0..) |*o, j| {
            const s = if (T == Bytes) items.bytes[j] else items.str[j];
            const data: []const u8 = if (s.len == 0) "" else s.ptr[0..s.len];
            o.* = if (T == Bytes) .{ .data = data } else data;
        }
        return out;
    }
    const info = comptime typeInfo(T, "an item", false);
    const p: [*]const T = @ptrCast(@field(items, info.arg_member));
    return p[0..n];
}

/// The `Module` of values that are never instances (items of lists, dicts, tuples, iterators).
const NoClasses = struct {};

/// Writes a result of any supported type: a scalar (`writeResult`), a `List`, `Dict`, tuple or
/// iterator. Compound results that make objects take a GIL scope in a release_gil function.
inline fn writeAny(comptime Module: type, comptime T: type, value: T, result: [*c]c.pyz3_value, comptime release_gil: bool) i32 {
    if (comptime classIndexOf(Module, T, true) == null and compoundShape(T, "a result", true) != null) {
        const shape = comptime compoundShape(T, "a result", true).?;
        const gil = if (release_gil) c.pyz3_gil_acquire();
        defer if (release_gil) c.pyz3_gil_release(gil);
        switch (shape.code) {
            c.PYZ3_T_LIST => {
                const out = c.pyz3_result_list(result, value.items.len) orelse return c.PYZ3_ERROR;
                for (value.items, 0..) |item, i| {
                    if (!storeItem(T.Item, item, out.*.items, i)) return c.PYZ3_ERROR;
                }
                return c.PYZ3_OK;
            },
            c.PYZ3_T_DICT => {
                const out = c.pyz3_result_dict(result, value.keys.len) orelse return c.PYZ3_ERROR;
                for (value.keys, value.values, 0..) |k, v, i| {
                    out.*.keys[i] = c.pyz3_from_str(k.ptr, k.len);
                    if (out.*.keys[i] == null) return c.PYZ3_ERROR;
                    if (!storeItem(T.Value, v, out.*.items, i)) return c.PYZ3_ERROR;
                }
                return c.PYZ3_OK;
            },
            c.PYZ3_T_TUPLE => {
                var status: i32 = c.PYZ3_OK;
                inline for (@typeInfo(T).@"struct".field_types, 0..) |F, i| {
                    if (writeResult(NoClasses, F, value[i], result + i, false) != c.PYZ3_OK) status = c.PYZ3_ERROR;
                }
                return status;
            },
            else => return Iteration(T).make(value, result),
        }
    }
    return writeResult(Module, T, value, result, release_gil);
}

/// Stores `item` as item `i` of a list or dict result's items; false when making an object
/// failed (an exception is set).
fn storeItem(comptime T: type, item: T, items: c.pyz3_items, i: usize) bool {
    var v: c.pyz3_value = std.mem.zeroes(c.pyz3_value);
    if (writeResult(NoClasses, T, item, &v, false) != c.PYZ3_OK) return false;
    const info = comptime typeInfo(T, "an item", true);
    if (info.result_needs_gil) {
        items.obj[i] = v.obj;
    } else {
        const p: [*]T = @ptrCast(@field(items, info.result_member));
        p[i] = item;
    }
    return true;
}

/// The native iterator of an iterator struct `S` (a `next` method returning `?T`).
fn Iteration(comptime S: type) type {
    const T = IterItem(S).?;
    return struct {
        fn make(value: S, result: [*c]c.pyz3_value) i32 {
            comptime if (@alignOf(S) > 16) @compileError("pyz3: iterator " ++ @typeName(S) ++ " needs more than 16-byte alignment");
            var state: ?*anyopaque = null;
            const code = comptime valueCode(T, "the items of " ++ @typeName(S), true);
            result.*.obj = c.pyz3_iterator_new(code, @sizeOf(S), &next, if (@hasDecl(S, "deinit")) &drop else null, &state);
            if (result.*.obj == null) return c.PYZ3_ERROR;
            const s: *S = @ptrCast(@alignCast(state.?));
            s.* = value;
            return c.PYZ3_OK;
        }

        fn next(state: ?*anyopaque, item: [*c]c.pyz3_value) callconv(.c) i32 {
            const s: *S = @ptrCast(@alignCast(state.?));
            const got = switch (@typeInfo(@TypeOf(S.next)).@"fn".return_type.?) {
                ?T => s.next(),
                else => s.next() catch |err| return raiseError(&.{}, err),
            };
            const v = got orelse return c.PYZ3_ITER_END;
            return writeResult(NoClasses, T, v, item, false);
        }

        fn drop(state: ?*anyopaque) callconv(.c) void {
            const s: *S = @ptrCast(@alignCast(state.?));
            s.deinit();
        }
    };
}

inline fn writeResult(comptime Module: type, comptime T: type, value: T, result: [*c]c.pyz3_value, comptime release_gil: bool) i32 {
    if (comptime classIndexOf(Module, T, true) != null) {
        // A new instance: pyz3 made it before the call; its zeroed state takes the value.
        const state: *T = @ptrCast(@alignCast(result.*.inst.?));
        state.* = value;
        return c.PYZ3_OK;
    }
    const info = comptime typeInfo(T, "a result", true);
    if (!info.result_needs_gil) {
        @field(result.*, info.result_member) = switch (info.kind) {
            .int => @bitCast(value),
            else => value,
        };
        return c.PYZ3_OK;
    }
    if (T == Object) {
        result.*.obj = value;
        return c.PYZ3_OK;
    }
    if (comptime info.kind == .array) {
        result.*.obj = value.obj;
        return c.PYZ3_OK;
    }
    // A new str/bytes needs the GIL, which a release_gil function does not hold.
    const gil = if (release_gil) c.pyz3_gil_acquire();
    defer if (release_gil) c.pyz3_gil_release(gil);
    result.*.obj = if (T == Bytes)
        c.pyz3_from_bytes(value.data.ptr, value.data.len)
    else
        c.pyz3_from_str(value.ptr, value.len);
    return if (result.*.obj == null) c.PYZ3_ERROR else c.PYZ3_OK;
}

// ---- classes ----------------------------------------------------------------------------------------

/// The classes of `Module`, in declaration order: its `pub const X = struct { ... }` with a
/// `pub fn init` (the constructor) or a `pub const __class__ = true` (a class without one,
/// whose instances functions make).
fn classTypes(comptime Module: type) []const type {
    comptime {
        var out: []const type = &.{};
        for (@typeInfo(Module).@"struct".decl_names) |decl| {
            if (@TypeOf(@field(Module, decl)) != type) continue;
            const T = @field(Module, decl);
            if (@typeInfo(T) != .@"struct") continue;
            if (@hasDecl(T, "init") or @hasDecl(T, "__class__")) out = out ++ .{T};
        }
        return out;
    }
}

/// The index of class `T` among `Module`'s classes: `T` itself as a result, a pointer to it as a
/// parameter; null for other types.
fn classIndexOf(comptime Module: type, comptime T: type, comptime is_result: bool) ?u16 {
    comptime {
        const C = if (is_result) T else switch (@typeInfo(T)) {
            .pointer => |p| if (p.size == .one) p.child else return null,
            else => return null,
        };
        for (classTypes(Module), 0..) |K, i| {
            if (K == C) return i;
        }
        return null;
    }
}

/// Names of a class's functions with special roles.
const getter_prefix = "get_";
const setter_prefix = "set_";

/// What a `pub fn` of class `C` is.
fn memberRole(comptime C: type, comptime decl: []const u8) ?Role {
    comptime {
        if (std.mem.eql(u8, decl, "init") or std.mem.eql(u8, decl, "__setstate__")) return .ctor;
        if (std.mem.eql(u8, decl, "deinit")) return null;
        const params = @typeInfo(@TypeOf(@field(C, decl))).@"fn".param_types;
        const has_self = params.len > 0 and isSelf(C, params[0].?);
        if (has_self and std.mem.startsWith(u8, decl, getter_prefix)) return .getter;
        if (has_self and std.mem.startsWith(u8, decl, setter_prefix)) return .setter;
        return if (has_self) .method else .static;
    }
}

/// The `pub fn`s of class `C` that are Python methods (instance or static), in order.
fn methodNames(comptime C: type) []const []const u8 {
    comptime {
        var out: []const []const u8 = &.{};
        for (@typeInfo(C).@"struct".decl_names) |decl| {
            if (@typeInfo(@TypeOf(@field(C, decl))) != .@"fn") continue;
            if (std.mem.eql(u8, decl, "__getstate__")) continue;
            const role = memberRole(C, decl) orelse continue;
            if (role == .method or role == .static) out = out ++ .{decl};
        }
        return out;
    }
}

/// The properties of class `C`: the names after `get_` of its getters, in order.
fn propertyNames(comptime C: type) []const []const u8 {
    comptime {
        var out: []const []const u8 = &.{};
        for (@typeInfo(C).@"struct".decl_names) |decl| {
            if (@typeInfo(@TypeOf(@field(C, decl))) != .@"fn") continue;
            const role = memberRole(C, decl) orelse continue;
            if (role == .getter) out = out ++ .{decl[getter_prefix.len..]};
            if (role == .setter and !@hasDecl(C, getter_prefix ++ decl[setter_prefix.len..]))
                @compileError("pyz3: " ++ @typeName(C) ++ "." ++ decl ++ " sets a property without a getter (get_" ++ decl[setter_prefix.len..] ++ ")");
        }
        return out;
    }
}

fn classFlag(comptime C: type, comptime name: []const u8) bool {
    return @hasDecl(C, name) and @field(C, name);
}

fn classDef(comptime Module: type, comptime C: type, comptime options: Options) c.pyz3_class_def {
    comptime {
        const where = "class " ++ @typeName(C);
        const method_names = methodNames(C);
        var methods: [method_names.len]c.pyz3_function_def = undefined;
        for (method_names, 0..) |name, i| methods[i] = functionDef(Module, C, name, options, memberRole(C, name).?);
        const final_methods = methods;

        const prop_names = propertyNames(C);
        var props: [prop_names.len]c.pyz3_property_def = undefined;
        for (prop_names, 0..) |name, i| {
            const get = getter_prefix ++ name;
            const set = setter_prefix ++ name;
            const shape = resultShape(Module, Signature(C, get, .getter).R, "the result of " ++ where ++ "." ++ get);
            if (!isIdentifier(name)) @compileError("pyz3: " ++ where ++ "." ++ get ++ ": '" ++ name ++ "' cannot name a property");
            const meta = metaOf(C, get);
            props[i] = .{
                .name = zstr(name).ptr,
                .doc = if (meta.doc) |d| d.ptr else null,
                .get = &Trampoline(Module, C, get, meta, options, .getter).call,
                .set = if (@hasDecl(C, set)) &Trampoline(Module, C, set, metaOf(C, set), options, .setter).call else null,
                .user_data = null,
                .type = shape.code,
                .flags = if (shape.optional) c.PYZ3_PARAM_OPTIONAL else 0,
                .class_index = shape.class_index,
                .reserved = 0,
            };
        }
        const final_props = props;

        var fields: []const u32 = &.{};
        const struct_info = @typeInfo(C).@"struct";
        for (struct_info.field_names, struct_info.field_types) |name, T| {
            if (T == ObjectField) fields = fields ++ .{@as(u32, @offsetOf(C, name))};
        }
        const final_fields = fields[0..fields.len].*;

        if (@alignOf(C) > c.PYZ3_MAX_STATE_ALIGN)
            @compileError("pyz3: " ++ where ++ " needs alignment " ++ decimal(@alignOf(C)) ++ "; at most 16 fits in a Python object (keep over-aligned data in a separate allocation)");
        if (@hasDecl(C, "__getstate__") != @hasDecl(C, "__setstate__"))
            @compileError("pyz3: " ++ where ++ ": __getstate__ and __setstate__ come together (pickling needs both)");
        return .{
            .name = classPythonName(C).ptr,
            .doc = if (@hasDecl(C, "__doc__")) zstr(C.__doc__).ptr else null,
            .state_size = @sizeOf(C),
            .state_align = @alignOf(C),
            .flags = (if (classFlag(C, "__final__")) c.PYZ3_CLASS_FINAL else 0) |
                (if (classFlag(C, "__weakref__")) c.PYZ3_CLASS_WEAKREF else 0),
            .object_field_count = final_fields.len,
            .object_fields = if (final_fields.len == 0) null else &final_fields,
            .init = if (@hasDecl(C, "init")) &MemberDef(Module, C, "init", options, .ctor).def else null,
            .deinit = if (@hasDecl(C, "deinit")) &Deinit(C).call else null,
            .methods = if (method_names.len == 0) null else &final_methods,
            .method_count = method_names.len,
            .property_count = prop_names.len,
            .properties = if (prop_names.len == 0) null else &final_props,
            .property_size = @sizeOf(c.pyz3_property_def),
            .reserved = 0,
            .export_state = if (@hasDecl(C, "__getstate__")) &MemberDef(Module, C, "__getstate__", options, .method).def else null,
            .import_state = if (@hasDecl(C, "__setstate__")) &MemberDef(Module, C, "__setstate__", options, .ctor).def else null,
        };
    }
}

/// A class's Python name: the last part of the Zig type's name (`plugin.Counter` is `Counter`).
fn classPythonName(comptime C: type) [:0]const u8 {
    comptime {
        const full = @typeName(C);
        const name = if (std.mem.lastIndexOfScalar(u8, full, '.')) |i| full[i + 1 ..] else full;
        if (!isIdentifier(name)) @compileError("pyz3: class " ++ full ++ ": '" ++ name ++ "' cannot name a Python class");
        return zstr(name);
    }
}

/// One function definition of a class with a static address (the constructor, the pickling
/// hooks: pyz3_class_def points to them).
fn MemberDef(comptime Module: type, comptime C: type, comptime name: []const u8, comptime options: Options, comptime role: Role) type {
    return struct {
        const def = functionDef(Module, C, name, options, role);
    };
}

/// The destructor: the class's `deinit(self: *C) void`, called once for every made state.
fn Deinit(comptime C: type) type {
    return struct {
        fn call(state: ?*anyopaque) callconv(.c) void {
            const self: *C = @ptrCast(@alignCast(state.?));
            self.deinit();
        }
    };
}

/// Raises the Python exception for a Zig error returned by a plugin function.
fn raiseError(comptime errors: []const ErrorMap, err: anyerror) i32 {
    if (err == error.Raised) return c.PYZ3_ERROR;
    const name = @errorName(err);
    inline for (errors) |m| {
        if (err == m[0]) return c.pyz3_raise(@backingInt(m[1]), name);
    }
    if (err == error.OutOfMemory) return c.pyz3_raise(c.PYZ3_EXC_MEMORY_ERROR, name);
    return c.pyz3_raise(c.PYZ3_EXC_RUNTIME_ERROR, name);
}
