//! capi/core/src/names.rs: what a module, function or parameter name may be.
//!
//! The loader checks every name in a descriptor with [`check`]; `capi/gen` copies this file into
//! the Rust SDK (whose `plugin!` runs the `const fn`s at compile time) and writes [`KEYWORDS`]
//! into the Zig SDK, so a name they accept at compile time is one the loader accepts at load
//! time. Plain Rust, no dependencies.

/// Python's hard keywords: valid identifiers that cannot name a function or parameter.
pub const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Is `s` an ASCII Python identifier (a letter or `_`, then letters, digits or `_`)? Non-ASCII
/// identifiers are refused: Python normalises them (NFKC), so the name a caller types and the
/// name in the descriptor could differ.
pub const fn is_ascii_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !(b[0] == b'_' || b[0].is_ascii_alphabetic()) {
        return false;
    }
    let mut i = 1;
    while i < b.len() {
        if !(b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
            return false;
        }
        i += 1;
    }
    true
}

/// Is `s` one of [`KEYWORDS`]?
pub const fn is_keyword(s: &str) -> bool {
    let mut k = 0;
    while k < KEYWORDS.len() {
        if bytes_eq(KEYWORDS[k].as_bytes(), s.as_bytes()) {
            return true;
        }
        k += 1;
    }
    false
}

/// Can `s` name a function or parameter? [`check`], as a `const fn` (no message).
pub const fn is_python_name(s: &str) -> bool {
    is_ascii_identifier(s) && !is_keyword(s)
}

/// Are `a` and `b` the same bytes? (`==` on slices, as a `const fn`.)
pub const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Is `s` a dunder (`__name__`)? Such names belong to Python: a module attribute `__getattr__`,
/// `__all__` or `__spec__` changes how the module behaves, so a plugin cannot publish one.
pub const fn is_dunder(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 4 && b[0] == b'_' && b[1] == b'_' && b[b.len() - 2] == b'_' && b[b.len() - 1] == b'_'
}

/// Checks the name of something a plugin publishes as a module attribute (a function, and in
/// ABI 1.1 a class, constant or exception): [`check`], and not a dunder.
pub fn check_attribute(what: &str, name: &str) -> Result<(), String> {
    check(what, name)?;
    if is_dunder(name) {
        return Err(format!(
            "{what} {name:?} is a dunder name, reserved for Python's own module attributes"
        ));
    }
    Ok(())
}

/// Checks a module name given to `pyz3.load(path, name=...)`: dot-separated Python identifiers
/// (`is_identifier` decides, as `str.isidentifier` does: the user chose the name, and Unicode
/// identifiers are valid module names), none a keyword. A plugin may be published as a
/// submodule, hence the dots.
pub fn check_module_path(
    what: &str,
    name: &str,
    is_identifier: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .split('.')
            .all(|part| is_identifier(part) && !is_keyword(part));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {name:?} is not a module name (dot-separated Python identifiers, none a \
             keyword)"
        ))
    }
}

/// Checks a name; the error says what `what` (e.g. "function #2 name") is and why it fails.
pub fn check(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if !is_ascii_identifier(name) {
        return Err(format!(
            "{what} {name:?} is not a Python identifier (ASCII letters, digits, '_')"
        ));
    }
    if is_keyword(name) {
        return Err(format!("{what} {name:?} is a Python keyword"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_ascii_identifiers_and_not_keywords() {
        assert!(check("n", "add_2").is_ok());
        assert!(check("n", "_").is_ok());
        assert!(check("n", "").is_err());
        assert!(check("n", "2add").is_err());
        assert!(check("n", "a-b").is_err());
        assert!(check("n", "lambda").is_err());
        assert!(check("n", "café").is_err());
        assert!(check("n", "r#type").is_err());
    }

    #[test]
    fn published_names_are_not_dunders() {
        assert!(check_attribute("f", "add").is_ok());
        assert!(check_attribute("f", "_private").is_ok());
        assert!(check_attribute("f", "__x").is_ok());
        assert!(check_attribute("f", "__getattr__").is_err());
        assert!(check_attribute("f", "__all__").is_err());
        assert!(!is_dunder("____"));
    }

    #[test]
    fn module_paths_are_dotted_identifiers() {
        let ascii = is_ascii_identifier;
        assert!(check_module_path("n", "pkg.sub_mod", ascii).is_ok());
        assert!(check_module_path("n", "pkg..sub", ascii).is_err());
        assert!(check_module_path("n", "pkg.class", ascii).is_err());
        assert!(check_module_path("n", "1x", ascii).is_err());
        assert!(check_module_path("n", "", ascii).is_err());
    }
}
