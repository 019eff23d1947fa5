// expect: takes at most one of #[positional_only] and #[keyword_only(param)], which must name one of its parameters
pyz3_plugin::plugin! {
    name = "bad";
    doc = "";
    #[keyword_only(sepp)]
    fn describe(n: i64, sep: &str = ": ") -> String { format!("{n}{sep}") }
}
