// expect: pyz3: parameter 0 of fn upper has type '[]u8', which pyz3 cannot convert
const pyz3 = @import("pyz3");
pub fn upper(text: []u8) void {
    for (text) |*ch| ch.* -%= 32;
}
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
