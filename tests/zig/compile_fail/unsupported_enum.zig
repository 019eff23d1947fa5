// expect: pyz3: parameter 'mode' of fn pick has type 'unsupported_enum.Mode', which pyz3 cannot convert
const pyz3 = @import("pyz3");
pub const Mode = enum { fast, slow };
pub fn pick(n: i64, mode: Mode) i64 {
    return if (mode == .fast) n else -n;
}
pub const pick__meta: pyz3.Meta = .{ .params = "n, mode" };
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
