// expect: pyz3: fn first: 'from' in params cannot name a parameter (an ASCII identifier that is not a Python keyword)
const pyz3 = @import("pyz3");
pub fn first(a: i64) i64 {
    return a;
}
pub const first__meta: pyz3.Meta = .{ .params = "from" };
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
