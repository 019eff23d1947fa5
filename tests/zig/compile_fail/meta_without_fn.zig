// expect: pyz3: 'sub__meta' describes no pub fn 'sub'
const pyz3 = @import("pyz3");
pub fn add(a: i64, b: i64) i64 {
    return a + b;
}
pub const sub__meta: pyz3.Meta = .{ .params = "a, b" };
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
