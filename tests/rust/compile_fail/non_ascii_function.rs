// expect: `fläche` cannot name a Python function
pyz3_plugin::plugin! {
    name = "bad";
    doc = "";
    fn fläche(a: f64) -> f64 { a * a }
}
