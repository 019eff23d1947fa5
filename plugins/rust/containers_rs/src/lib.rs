//! plugins/rust/containers_rs/src/lib.rs: the Rust twin of plugins/c/containers — sequences,
//! dicts, tuples, callbacks, iterators, constants and an exception class, written as ordinary Rust
//! with pyz3-plugin. Built by `make plugins` into build/plugins/libcontainers_rs.so.

use std::collections::HashMap;

use pyz3_plugin::{plugin, Callable, Dict, PyErr, Seq};

/// Python's `str.split()` separators: Unicode white space and the four ASCII separators
/// U+001C..U+001F, which `str.isspace()` also counts.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_space).filter(|w| !w.is_empty())
}

fn checked_words(text: &str) -> Result<Vec<&str>, PyErr> {
    let words: Vec<&str> = words(text).collect();
    if words.len() > MAX_WORDS as usize {
        return Err(PyErr::value_error(format!(
            "more than MAX_WORDS ({MAX_WORDS}) words"
        )));
    }
    Ok(words)
}

fn parse_error(what: &str, at: &str) -> PyErr {
    ParseError.err(format!("{what}'{at}'"))
}

fn parse_value(raw: &str) -> Result<i64, PyErr> {
    let v = raw.trim_matches([' ', '\t']);
    let (negative, digits) = match v.as_bytes().first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(parse_error("expected an integer value, got ", raw));
    }
    let magnitude: u64 = digits
        .parse()
        .map_err(|_| parse_error("value out of range for int64: ", raw))?;
    let limit = i64::MAX as u64 + u64::from(negative);
    if magnitude > limit {
        return Err(parse_error("value out of range for int64: ", raw));
    }
    Ok(if negative {
        0i64.wrapping_sub_unsigned(magnitude)
    } else {
        magnitude as i64
    })
}

plugin! {
    name = "containers_rs";
    doc = "Containers, callbacks, iterators, constants and a custom exception.";

    constants {
        /// The version of this plugin.
        VERSION: &str = "1.0";
        /// The most words split_words and word_counts take (more raise ValueError).
        MAX_WORDS: i64 = 1_000_000;
    }

    exceptions {
        /// parse_pairs was given malformed text.
        ParseError: ValueError;
    }

    /// The sum of xs, a sequence of int64: sum(xs). OverflowError when it does not fit.
    fn sum_list(xs: Seq<i64>) -> Result<i64, PyErr> {
        xs.as_slice()
            .iter()
            .try_fold(0i64, |sum, &x| sum.checked_add(x))
            .ok_or_else(|| PyErr::overflow_error("sum_list: the sum does not fit in int64"))
    }

    /// (min(xs), max(xs)) of a sequence of floats; ValueError when xs is empty.
    fn minmax(xs: Seq<f64>) -> Result<(f64, f64), PyErr> {
        let items = xs.as_slice();
        let first = *items
            .first()
            .ok_or_else(|| PyErr::value_error("minmax: empty sequence"))?;
        Ok(items
            .iter()
            .fold((first, first), |(lo, hi), &x| (if x < lo { x } else { lo }, if x > hi { x } else { hi })))
    }

    /// The words of text: text.split().
    fn split_words(text: &str) -> Result<Vec<&str>, PyErr> {
        checked_words(text)
    }

    /// How often each word occurs: dict(collections.Counter(text.split())).
    fn word_counts(text: &str) -> Result<HashMap<String, i64>, PyErr> {
        let mut counts = HashMap::new();
        for w in checked_words(text)? {
            *counts.entry(w.to_owned()).or_insert(0) += 1;
        }
        Ok(counts)
    }

    /// d.get(key, default).
    fn lookup(d: Dict<i64>, key: &str, default: i64 = -1) -> i64 {
        d.get(key).unwrap_or(default)
    }

    /// [f(x) for x in xs]; f returns an int, and what it raises propagates.
    fn apply(f: Callable, xs: Seq<i64>) -> Result<Vec<i64>, PyErr> {
        xs.iter().map(|x| f.call((x,))).collect()
    }

    /// An iterator over 0, 1, ..., n-1: iter(range(n)).
    fn count_up(n: i64) -> impl Iterator<Item = i64> {
        0..n
    }

    /// Parse 'a=1,b=2' into {'a': 1, 'b': 2}; malformed text raises ParseError.
    fn parse_pairs(text: &str) -> Result<HashMap<String, i64>, PyErr> {
        let mut out = HashMap::new();
        if text.trim_matches([' ', '\t']).is_empty() {
            return Ok(out);
        }
        for pair in text.split(',') {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(parse_error("expected key=value, got ", pair));
            };
            let key = key.trim_matches([' ', '\t']);
            if key.is_empty() {
                return Err(parse_error("empty key in ", pair));
            }
            out.insert(key.to_owned(), parse_value(value)?);
        }
        Ok(out)
    }
}
