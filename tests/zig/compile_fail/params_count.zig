// expect: pyz3: fn add has 2 Python parameters but add__meta.params names 1
const pyz3 = @import("pyz3");
pub fn add(a: i64, b: i64) i64 {
    return a + b;
}
pub const add__meta: pyz3.Meta = .{ .params = "a" };
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
