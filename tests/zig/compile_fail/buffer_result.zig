// expect: pyz3: the result of fn twice has type 'pyz3.View(f64,.{ .ndim = 1, .writable = false, .contiguous = false })', which pyz3 cannot convert
const pyz3 = @import("pyz3");
pub fn twice(x: pyz3.View(f64, .{})) pyz3.View(f64, .{}) {
    return x;
}
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
