// expect: the default of `fill` is NaN, which no signature can show
pyz3_plugin::plugin! {
    name = "bad";
    doc = "";
    fn fill(fill: f64 = f64::NAN) -> f64 { fill }
}
