// expect: pyz3: fn area: 'größe' in params cannot name a parameter (an ASCII identifier that is not a Python keyword)
const pyz3 = @import("pyz3");
pub fn area(size: f64) f64 {
    return size * size;
}
pub const area__meta: pyz3.Meta = .{ .params = "größe" };
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
