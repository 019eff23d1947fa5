// expect: pyz3: declare it as `pub const add__meta: pyz3.Meta = .{ ... };`
const pyz3 = @import("pyz3");
pub fn add(a: i64, b: i64) i64 {
    return a + b;
}
pub const add__meta = .{ .params = "a, b" };
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
