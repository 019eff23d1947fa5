// expect: pyz3: fn twice is generic (comptime or anytype parameters)
const pyz3 = @import("pyz3");
pub fn twice(x: anytype) @TypeOf(x) {
    return x * 2;
}
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
