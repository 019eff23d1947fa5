// expect: `r#type` cannot name a Python parameter
pyz3_plugin::plugin! {
    name = "bad";
    doc = "";
    fn kind(r#type: i64) -> i64 { r#type }
}
