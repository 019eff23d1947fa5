// expect: pyz3: fn flaeche: 'fläche' cannot name a Python function (an ASCII identifier that is not a Python keyword; set Meta.name)
const pyz3 = @import("pyz3");
pub fn flaeche(a: f64) f64 {
    return a * a;
}
pub const flaeche__meta: pyz3.Meta = .{ .name = "fläche", .params = "a" };
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
