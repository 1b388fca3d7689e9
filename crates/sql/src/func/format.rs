//! `format()` (`%s`, `%I`, `%L`, `%%`, positions and widths) and
//! `quote_literal`, which its `%L` shares.

use driftdb_engine::text::format_text;
use driftdb_engine::value::Value;

use crate::error::{Result, SqlError};
use crate::expr::as_i64;
use crate::system::model::quote_ident;

/// `quote_literal`: single quotes doubled; with a backslash, doubled too
/// and the `E'…'` form.
pub(super) fn quote_literal(s: &str) -> String {
    let body = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

/// `format(fmt, args)`: `%s` text (NULL empty), `%I` an identifier, `%L`
/// a literal (NULL unquoted), `%%`; `%n$` picks argument n, `-` and a
/// width pad.
pub(super) fn format(fmt: &str, args: &[Value]) -> Result<String> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let mut next = 0usize;
    let bad = |m: &str| SqlError::new("22023", m.to_string());
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            digits.push(d);
            chars.next();
        }
        let mut position = None;
        if !digits.is_empty() && chars.peek() == Some(&'$') {
            chars.next();
            let n: usize = digits
                .parse()
                .map_err(|_| bad("argument number is out of range"))?;
            if n == 0 {
                return Err(bad(
                    "format specifies argument 0, but arguments are numbered from 1",
                ));
            }
            position = Some(n - 1);
            digits.clear();
        }
        let mut left = chars.peek() == Some(&'-');
        if left {
            chars.next();
        }
        let width: usize = if chars.peek() == Some(&'*') {
            // The width is the next argument (negative: left-aligned).
            chars.next();
            let w = args
                .get(next)
                .and_then(as_i64)
                .ok_or_else(|| bad("too few arguments for format()"))?;
            next += 1;
            left |= w < 0;
            usize::try_from(w.unsigned_abs()).unwrap_or(0)
        } else {
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                digits.push(d);
                chars.next();
            }
            if digits.is_empty() {
                0
            } else {
                digits.parse().unwrap_or(0)
            }
        };
        let Some(kind) = chars.next() else {
            return Err(bad("unterminated format() type specifier"));
        };
        let index = position.unwrap_or(next);
        next = index + 1;
        let arg = args
            .get(index)
            .ok_or_else(|| bad("too few arguments for format()"))?;
        let piece = match kind {
            's' => format_text(arg).unwrap_or_default(),
            'I' => match format_text(arg) {
                Some(s) => quote_ident(&s),
                None => {
                    return Err(SqlError::new(
                        "22004",
                        "null values cannot be formatted as an SQL identifier",
                    ));
                }
            },
            'L' => format_text(arg).map_or_else(|| "NULL".to_string(), |s| quote_literal(&s)),
            other => {
                return Err(bad(&format!(
                    "unrecognized format() type specifier \"{other}\""
                )));
            }
        };
        let fill = width.saturating_sub(piece.chars().count());
        if left {
            out.push_str(&piece);
            out.extend(std::iter::repeat_n(' ', fill));
        } else {
            out.extend(std::iter::repeat_n(' ', fill));
            out.push_str(&piece);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_reads_positions_widths_and_quotes() -> Result<()> {
        let args = [Value::Text("a b".into()), Value::Null, Value::Int4(7)];
        assert_eq!(format("%I|%L|%s|%%", &args)?, "\"a b\"|NULL|7|%");
        assert_eq!(format("%3$s %1$s", &args)?, "7 a b");
        assert_eq!(
            format("[%5s][%-4s]", &[Value::Int4(1), Value::Int4(2)])?,
            "[    1][2   ]"
        );
        assert!(format("%s %s %s %s", &args).is_err());
        Ok(())
    }
}
