// expect: pyz3: the result of fn maybe has type '?i64', which pyz3 cannot convert
const pyz3 = @import("pyz3");
pub fn maybe(x: i64) ??i64 {
    return x;
}
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
