// expect: pyz3: the result of fn pair has type '[2]i64', which pyz3 cannot convert
const pyz3 = @import("pyz3");
pub fn pair(x: i64) [2]i64 {
    return .{ x, x };
}
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
