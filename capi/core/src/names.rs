//! capi/core/src/names.rs: what a module, function or parameter name may be.
//!
//! The loader checks every name in a descriptor with [`check`]; `capi/gen` writes the same rule
//! (the ASCII identifier test and [`KEYWORDS`]) into the Rust and Zig SDKs, so a name they accept
//! at compile time is one the loader accepts at load time.

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
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
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
}
