//! Regular expressions for `~`, `substring(… from pattern)` and the
//! `regexp_*` functions: compiled once per thread and kept (catalog queries
//! and row-by-row calls repeat the same pattern), with PostgreSQL's flags.
//!
//! The engine is the `regex` crate, whose syntax is PostgreSQL's ARE for
//! everyday patterns (classes, `[[:alpha:]]`, quantifiers, groups,
//! `(?:…)`, `\d \s \w`, anchors). Where they differ: back-references
//! (`(a)\1`) and lookaround are not supported (2201B); PostgreSQL's word
//! boundaries `\m`, `\M`, `\y` are not known (use `\b`); `\Z` is spelled `\z`;
//! matching is leftmost-first (Perl), where PostgreSQL's longest-match rules
//! can pick a longer alternative.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::{Regex, RegexBuilder};

use crate::error::{Result, SqlError};

/// The flags of a `regexp_*` call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// `g`: every match, not just the first.
    pub global: bool,
    /// `i`: case-insensitive (`c` turns it off again).
    pub case_insensitive: bool,
    /// `n` or `m`: `.` and `[^…]` do not match a newline, `^` and `$` match
    /// at line breaks.
    pub newline: bool,
}

impl Flags {
    /// Reads PostgreSQL's flag letters; 22023 for one it does not know.
    pub fn parse(text: &str) -> Result<Flags> {
        let mut flags = Flags::default();
        for c in text.chars() {
            match c {
                'g' => flags.global = true,
                'i' => flags.case_insensitive = true,
                'c' => flags.case_insensitive = false,
                'n' | 'm' => flags.newline = true,
                's' | 't' => flags.newline = false,
                other => {
                    return Err(SqlError::new(
                        "22023",
                        format!("invalid regular expression option: \"{other}\""),
                    ));
                }
            }
        }
        Ok(flags)
    }
}

/// `pattern` compiled under `flags` (2201B when it is not a valid pattern).
pub fn compiled(pattern: &str, flags: Flags) -> Result<Regex> {
    thread_local! {
        static COMPILED: RefCell<HashMap<(String, bool, bool), Regex>> = RefCell::new(HashMap::new());
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let key = (pattern.to_string(), flags.case_insensitive, flags.newline);
        if let Some(re) = cache.get(&key) {
            return Ok(re.clone());
        }
        let re = RegexBuilder::new(pattern)
            .case_insensitive(flags.case_insensitive)
            .multi_line(flags.newline)
            .dot_matches_new_line(!flags.newline)
            .build()
            .map_err(|e| SqlError::new("2201B", format!("invalid regular expression: {e}")))?;
        if cache.len() > 256 {
            cache.clear();
        }
        cache.insert(key, re.clone());
        Ok(re)
    })
}

/// Whether `text` matches `pattern` anywhere (`~`, `~*`).
pub fn is_match(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    let flags = Flags {
        case_insensitive,
        ..Flags::default()
    };
    Ok(compiled(pattern, flags)?.is_match(text))
}

/// A replacement string in PostgreSQL's form (`\1` … `\9` a group, `\&`
/// the whole match, `\\` a backslash) in the `regex` crate's form.
pub fn replacement(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied()) {
            ('\\', Some(d)) if d.is_ascii_digit() => {
                chars.next();
                out.push_str(&format!("${{{d}}}"));
            }
            ('\\', Some('&')) => {
                chars.next();
                out.push_str("${0}");
            }
            ('\\', Some('\\')) => {
                chars.next();
                out.push('\\');
            }
            ('$', _) => out.push_str("$$"),
            (c, _) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_translate_to_the_regex_crate() {
        assert_eq!(replacement(r"<\1>"), "<${1}>");
        assert_eq!(replacement(r"\&$"), "${0}$$");
        assert_eq!(replacement(r"a\\b"), r"a\b");
    }

    #[test]
    fn flags_are_read_as_postgres_reads_them() -> Result<()> {
        assert!(Flags::parse("gi")?.global);
        assert!(!Flags::parse("ic")?.case_insensitive);
        assert_eq!(Flags::parse("z").map_err(|e| e.sqlstate), Err("22023"));
        Ok(())
    }
}
