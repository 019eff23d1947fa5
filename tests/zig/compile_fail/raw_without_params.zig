// expect: pyz3: raw fn first needs `pub const first__meta: pyz3.Meta = .{ .params = "..." }`
const pyz3 = @import("pyz3");
pub fn first(args: pyz3.RawArgs) pyz3.Object {
    pyz3.c.pyz3_incref(args[0]);
    return args[0];
}
comptime {
    pyz3.plugin(@This(), .{ .name = "bad" });
}
