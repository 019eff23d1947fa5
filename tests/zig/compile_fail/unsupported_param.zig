// expect: pyz3: parameter 0 of fn wide has type 'u128', which pyz3 cannot convert
const pyz3 = @import("pyz3");
pub fn wide(x: u128) u128 {
    return x;
}
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
