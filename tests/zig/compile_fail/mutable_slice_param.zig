// expect: pyz3: parameter 0 of fn upper has type '[][]const u8', which pyz3 cannot convert
const pyz3 = @import("pyz3");
pub fn upper(lines: [][]const u8) void {
    for (lines) |*line| line.* = "";
}
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
