// expect: `from` cannot name a Python parameter
pyz3_plugin::plugin! {
    name = "bad";
    doc = "";
    fn first(from: i64) -> i64 { from }
}
