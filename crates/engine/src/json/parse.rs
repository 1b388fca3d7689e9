//! Reading JSON text as PostgreSQL's JSON lexer does: RFC 8259 values,
//! white space of space, tab, newline and carriage return, `\uXXXX`
//! escapes with surrogate pairs; anything else is 22P02 `invalid input
//! syntax for type json` (a `\u0000` in `jsonb` is 22P05).

use super::{Json, MAX_DEPTH};
use crate::error::{EngineError, Result};
use crate::numeric::Numeric;

/// Checks that `text` is JSON (the `json` type's input).
pub fn validate(text: &str) -> Result<()> {
    parse_json(text).map(|_| ())
}

/// Reads `text` as a tree in input order, every key kept (what the `json`
/// functions walk).
pub fn parse_json(text: &str) -> Result<Json> {
    Parser::new(text, false).document()
}

/// Reads `text` as `jsonb` (`jsonb_in`): objects normalized.
pub fn parse_jsonb(text: &str) -> Result<Json> {
    Ok(Parser::new(text, true).document()?.normalized())
}

/// A member of a `json` text: its key (none for an array element) and its
/// text as written.
pub type RawMember<'t> = (Option<String>, &'t str);

/// The members of the object or array `text` is, each with its key (none
/// for an array's elements, every key of an object in input order) and its
/// text as written (what `json`'s `->` gives); `None` for a scalar.
pub fn raw_members(text: &str) -> Result<Option<Vec<RawMember<'_>>>> {
    let mut p = Parser::new(text, false);
    let close = match p.peek() {
        Some(b'{') => b'}',
        Some(b'[') => b']',
        _ => return validate(text).map(|()| None),
    };
    p.pos += 1;
    let mut spans = Vec::new();
    p.members(close, &mut |k, _, span| spans.push((k, span)))?;
    p.skip_space();
    if p.pos != text.len() {
        return Err(invalid());
    }
    spans
        .into_iter()
        .map(|(k, (start, end))| Ok((k, text.get(start..end).ok_or_else(invalid)?)))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Whether `\u0000` is refused (jsonb cannot hold it).
    binary: bool,
    depth: usize,
}

fn invalid() -> EngineError {
    EngineError::InvalidJson
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, binary: bool) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            binary,
            depth: 0,
        }
    }

    fn document(mut self) -> Result<Json> {
        let v = self.value()?;
        self.skip_space();
        if self.pos != self.bytes.len() {
            return Err(invalid());
        }
        Ok(v)
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.pos).copied()
    }

    fn expect(&mut self, b: u8) -> Result<()> {
        if self.peek() != Some(b) {
            return Err(invalid());
        }
        self.pos += 1;
        Ok(())
    }

    fn value(&mut self) -> Result<Json> {
        match self.peek().ok_or_else(invalid)? {
            b'{' => self.nested(Self::object),
            b'[' => self.nested(Self::array),
            b'"' => Ok(Json::String(self.string()?)),
            _ => self.scalar(),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Json>) -> Result<Json> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(EngineError::JsonTooDeep);
        }
        self.pos += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn array(&mut self) -> Result<Json> {
        let mut items = Vec::new();
        self.members(b']', &mut |_, v, _| items.push(v))?;
        Ok(Json::Array(items))
    }

    fn object(&mut self) -> Result<Json> {
        let mut pairs = Vec::new();
        self.members(b'}', &mut |k, v, _| pairs.push((k.unwrap_or_default(), v)))?;
        Ok(Json::Object(pairs))
    }

    /// The members of the container just opened, up to `close` (`}`:
    /// keyed), each passed to `f` with its key, its value and where its
    /// text starts and ends.
    fn members(
        &mut self,
        close: u8,
        f: &mut dyn FnMut(Option<String>, Json, (usize, usize)),
    ) -> Result<()> {
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let key = if close == b'}' {
                if self.peek() != Some(b'"') {
                    return Err(invalid());
                }
                let key = self.string()?;
                self.expect(b':')?;
                Some(key)
            } else {
                None
            };
            self.skip_space();
            let start = self.pos;
            let value = self.value()?;
            f(key, value, (start, self.pos));
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(invalid()),
            }
        }
    }

    /// A string literal, the opening quote at `pos`.
    fn string(&mut self) -> Result<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(start..self.pos).ok_or_else(invalid)?);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                _ => return Err(invalid()),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<()> {
        let b = *self.bytes.get(self.pos).ok_or_else(invalid)?;
        self.pos += 1;
        out.push(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode()?,
            _ => return Err(invalid()),
        });
        Ok(())
    }

    /// The character of a `\uXXXX` escape (a high surrogate must be
    /// followed by a low one).
    fn unicode(&mut self) -> Result<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(invalid());
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(invalid());
                }
                0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(invalid()),
            0 if self.binary => return Err(EngineError::UnsupportedUnicodeEscape),
            code => code,
        };
        char::from_u32(code).ok_or_else(invalid)
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self.text.get(self.pos..self.pos + 4).ok_or_else(invalid)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| invalid())
    }

    /// `true`, `false`, `null` or a number: the token runs to the next
    /// delimiter, as PostgreSQL's lexer reads it.
    fn scalar(&mut self) -> Result<Json> {
        let start = self.pos;
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(
                b,
                b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'[' | b']' | b'{' | b'}' | b'"'
            ) {
                break;
            }
            self.pos += 1;
        }
        let token = self.text.get(start..self.pos).ok_or_else(invalid)?;
        Ok(match token {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            "null" => Json::Null,
            t if is_number(t) => Json::Number(Numeric::parse(t)?),
            _ => return Err(invalid()),
        })
    }
}

/// Whether `t` is a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_number(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b[int_start] == b'0') {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jsonb(s: &str) -> Result<String> {
        parse_jsonb(s).map(|j| j.to_string())
    }

    #[test]
    fn jsonb_normalizes_keys_spaces_and_numbers() -> Result<()> {
        assert_eq!(
            jsonb(r#" {"bb":1,"a" : [1,2.50, 1e2], "bb": {"c":null}} "#)?,
            r#"{"a": [1, 2.50, 100], "bb": {"c": null}}"#
        );
        assert_eq!(jsonb(r#""\u00e9\n\ud83d\ude00""#)?, "\"é\\n😀\"");
        Ok(())
    }

    #[test]
    fn raw_members_keep_the_text_as_written() -> Result<()> {
        let members = raw_members(r#" {"a" : [1,  2], "a":{"b" : 1}} "#)?;
        assert_eq!(
            members,
            Some(vec![
                (Some("a".into()), "[1,  2]"),
                (Some("a".into()), r#"{"b" : 1}"#)
            ])
        );
        assert_eq!(
            raw_members("[ 1 ,\"x\" ]")?,
            Some(vec![(None, "1"), (None, "\"x\"")])
        );
        assert_eq!(raw_members(" 1 ")?, None);
        assert!(raw_members("[1,]").is_err());
        Ok(())
    }

    /// Run on a thread with a connection thread's stack (8 MiB).
    #[test]
    fn nesting_stops_at_the_limit() -> std::result::Result<(), String> {
        let check = || -> Result<bool> {
            let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
            let deepest = parse_jsonb(&nested(MAX_DEPTH))?;
            let stored = crate::json::check_depth(&crate::value::Value::Jsonb(deepest.clone()));
            let refused = matches!(
                parse_jsonb(&nested(MAX_DEPTH + 1)),
                Err(EngineError::JsonTooDeep)
            );
            let deeper = crate::value::Value::Jsonb(Json::Array(vec![deepest]));
            let not_stored = matches!(
                crate::json::check_depth(&deeper),
                Err(EngineError::JsonTooDeep)
            );
            Ok(stored.is_ok() && refused && not_stored)
        };
        let outcome = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(check)
            .map_err(|e| e.to_string())?
            .join()
            .map_err(|_| "the check panicked".to_string())?;
        assert!(outcome.map_err(|e| e.to_string())?);
        Ok(())
    }

    #[test]
    fn bad_json_is_refused() {
        for bad in [
            "",
            "01",
            "[1,]",
            "{\"a\"}",
            "tru",
            "\"\\x\"",
            "[1] 2",
            "1.",
            "-",
            "\"\\ud800\"",
        ] {
            assert!(
                matches!(parse_jsonb(bad), Err(EngineError::InvalidJson)),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_jsonb("\"\\u0000\""),
            Err(EngineError::UnsupportedUnicodeEscape)
        ));
        assert!(validate("\"\\u0000\"").is_ok());
    }

    #[test]
    fn order_is_postgres_jsonb_order() -> Result<()> {
        let mut values = [
            "{\"a\": 1, \"b\": 2}",
            "{\"z\": 1}",
            "[1, 2]",
            "[3]",
            "true",
            "2",
            "10",
            "\"a\"",
            "null",
            "[]",
        ]
        .map(|s| parse_jsonb(s).map(|j| (s, j)))
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
        values.sort_by(|a, b| a.1.sql_cmp(&b.1));
        let order: Vec<&str> = values.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            order,
            [
                "[]",
                "null",
                "\"a\"",
                "2",
                "10",
                "true",
                "[3]",
                "[1, 2]",
                "{\"z\": 1}",
                "{\"a\": 1, \"b\": 2}"
            ]
        );
        Ok(())
    }
}
