//! When SQL typed at the prompt is ready to run: psql sends the text up to the
//! last `;` that stands outside quotes, dollar quotes and comments, and keeps
//! the rest for the next line.

/// SQL typed so far and not yet run.
#[derive(Debug, Default)]
pub struct Buffer {
    text: String,
}

impl Buffer {
    /// Whether nothing but white space and comments has been typed since
    /// the last run.
    pub fn is_empty(&self) -> bool {
        blank(&self.text)
    }

    /// Forgets what was typed (Ctrl-C).
    pub fn clear(&mut self) {
        self.text.clear();
    }

    /// Adds one typed line; returns the complete statements to run, if the
    /// buffer now holds any, and keeps what follows them.
    pub fn push_line(&mut self, line: &str) -> Option<String> {
        self.text.push_str(line);
        self.text.push('\n');
        if self.is_empty() {
            self.text.clear();
            return None;
        }
        let end = complete_prefix(&self.text)?;
        let rest = self.text.split_off(end);
        let ready = std::mem::replace(&mut self.text, rest);
        if self.is_empty() {
            self.text.clear();
        }
        Some(ready.trim().to_string())
    }
}

/// The byte offset just past the last `;` of `sql` that ends a statement: one
/// outside string literals (`'…'`, `E'…'` with backslash escapes), quoted
/// identifiers (`"…"`), dollar quotes (`$$…$$`, `$tag$…$tag$`), line comments
/// (`-- …`) and nested block comments (`/* … */`). `None` when there is none,
/// so the statement goes on past the end of `sql`.
pub fn complete_prefix(sql: &str) -> Option<usize> {
    let bytes = sql.as_bytes();
    let mut end = None;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        let skipped = match (b, next) {
            (b';', _) => {
                end = Some(i + 1);
                Some(i + 1)
            }
            (b'\'', _) => quoted(bytes, i + 1, b'\'', escape_string(bytes, i)),
            (b'"', _) => quoted(bytes, i + 1, b'"', false),
            (b'-', Some(b'-')) => line_comment(bytes, i + 2),
            (b'/', Some(b'*')) => block_comment(bytes, i + 2),
            (b'$', _) if !in_identifier(bytes, i) => dollar_quoted(bytes, i),
            _ => Some(i + 1),
        };
        match skipped {
            Some(next) => i = next,
            // Open until the end: no `;` after this can end a statement.
            None => return end,
        }
    }
    end
}

/// Whether `sql` holds only white space and closed comments.
fn blank(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let skipped = match (b, bytes.get(i + 1).copied()) {
            (b'-', Some(b'-')) => line_comment(bytes, i + 2).or(Some(bytes.len())),
            (b'/', Some(b'*')) => block_comment(bytes, i + 2),
            (b, _) if b.is_ascii_whitespace() => Some(i + 1),
            _ => None,
        };
        match skipped {
            Some(next) => i = next,
            None => return false,
        }
    }
    true
}

/// Whether byte `b` can continue an identifier (non-ASCII letters included:
/// every byte of a multi-byte UTF-8 character is >= 0x80).
fn identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Whether the byte at `i` follows an identifier character, as the `$` of
/// `a$b` or of the parameter `$1` does.
fn in_identifier(bytes: &[u8], i: usize) -> bool {
    i.checked_sub(1)
        .and_then(|p| bytes.get(p))
        .is_some_and(|&b| identifier_byte(b))
}

/// Whether the quote at `i` opens an escape string (`E'…'`): an `E` right
/// before it that is not the end of a longer word.
fn escape_string(bytes: &[u8], i: usize) -> bool {
    let Some(e) = i.checked_sub(1) else {
        return false;
    };
    matches!(bytes.get(e), Some(b'e' | b'E')) && !in_identifier(bytes, e)
}

/// Past the closing `quote` of a literal whose text starts at `from`; a
/// doubled quote stands for itself, and so does a backslash-escaped one when
/// `backslash` is set. `None` when it is not closed.
fn quoted(bytes: &[u8], from: usize, quote: u8, backslash: bool) -> Option<usize> {
    let mut i = from;
    loop {
        match *bytes.get(i)? {
            b'\\' if backslash => i += 2,
            b if b == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
}

/// Past the newline ending a `--` comment whose text starts at `from`.
fn line_comment(bytes: &[u8], from: usize) -> Option<usize> {
    let len = bytes.get(from..)?.iter().position(|&b| b == b'\n')?;
    Some(from + len + 1)
}

/// Past the `*/` closing a block comment whose text starts at `from`; block
/// comments nest in PostgreSQL.
fn block_comment(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = from;
    loop {
        match (*bytes.get(i)?, bytes.get(i + 1).copied()) {
            (b'/', Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            (b'*', Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
}

/// Past a dollar-quoted string starting with the `$` at `start`, or just past
/// that `$` when it opens no dollar quote (a tag is empty or a word not
/// starting with a digit). `None` when the string is not closed.
fn dollar_quoted(bytes: &[u8], start: usize) -> Option<usize> {
    let after = start + 1;
    let Some(len) = bytes
        .get(after..)
        .and_then(|rest| rest.iter().position(|&b| !identifier_byte(b) || b == b'$'))
    else {
        return Some(after);
    };
    let tag_ok = bytes.get(after + len) == Some(&b'$')
        && bytes.get(after).is_none_or(|b| !b.is_ascii_digit());
    if !tag_ok {
        return Some(after);
    }
    let delimiter = bytes.get(start..after + len + 1)?;
    let body = after + len + 1;
    let close = bytes
        .get(body..)?
        .windows(delimiter.len())
        .position(|w| w == delimiter)?;
    Some(body + close + delimiter.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends(sql: &str) -> Option<&str> {
        complete_prefix(sql).and_then(|n| sql.get(..n))
    }

    #[test]
    fn a_statement_is_complete_at_its_semicolon() {
        assert_eq!(ends("SELECT 1"), None);
        assert_eq!(ends("SELECT 1;"), Some("SELECT 1;"));
        assert_eq!(ends("SELECT 1; SELECT 2"), Some("SELECT 1;"));
        assert_eq!(ends("SELECT 1; SELECT 2;\n"), Some("SELECT 1; SELECT 2;"));
        assert_eq!(ends(""), None);
    }

    #[test]
    fn semicolons_in_strings_and_identifiers_do_not_count() {
        assert_eq!(ends("SELECT 'a;b'"), None);
        assert_eq!(ends("SELECT 'it''s;'"), None);
        assert_eq!(ends("SELECT 'it''s;';"), Some("SELECT 'it''s;';"));
        assert_eq!(ends("SELECT \"a;\"\"b\" FROM t"), None);
        assert_eq!(ends("SELECT 'open;\n"), None);
        assert_eq!(ends("SELECT 1; SELECT 'open;"), Some("SELECT 1;"));
    }

    #[test]
    fn escape_strings_take_backslash_escapes() {
        assert_eq!(ends(r"SELECT E'\';'"), None);
        assert_eq!(ends(r"SELECT E'\';';"), Some(r"SELECT E'\';';"));
        // Outside an E string a backslash is an ordinary character.
        assert_eq!(ends(r"SELECT '\';"), Some(r"SELECT '\';"));
        // `type'…'` is not an escape string.
        assert_eq!(ends(r"SELECT type'\';"), Some(r"SELECT type'\';"));
    }

    #[test]
    fn dollar_quotes_hide_everything_up_to_their_tag() {
        assert_eq!(ends("SELECT $$a;b$$"), None);
        assert_eq!(ends("SELECT $$a;b$$;"), Some("SELECT $$a;b$$;"));
        assert_eq!(ends("SELECT $fn$ $$; $fn$"), None);
        assert_eq!(ends("SELECT $fn$ $$; $fn$;"), Some("SELECT $fn$ $$; $fn$;"));
        assert_eq!(ends("SELECT $$ open;\n"), None);
        // Parameters and identifiers with `$` are not dollar quotes.
        assert_eq!(ends("SELECT $1;"), Some("SELECT $1;"));
        assert_eq!(ends("SELECT a$b$c;"), Some("SELECT a$b$c;"));
        assert_eq!(ends("SELECT $"), None);
    }

    #[test]
    fn comments_hide_semicolons() {
        assert_eq!(ends("SELECT 1 -- no;\n"), None);
        assert_eq!(ends("SELECT 1 -- no;\n;"), Some("SELECT 1 -- no;\n;"));
        assert_eq!(ends("SELECT 1 /* ; */"), None);
        assert_eq!(ends("SELECT 1 /* /* ; */ ; */"), None);
        assert_eq!(
            ends("SELECT 1 /* /* ; */ ; */;"),
            Some("SELECT 1 /* /* ; */ ; */;")
        );
        assert_eq!(ends("SELECT 1 /* open ;"), None);
        assert_eq!(ends("SELECT 1 - -2;"), Some("SELECT 1 - -2;"));
        assert_eq!(ends("SELECT 4 / 2;"), Some("SELECT 4 / 2;"));
    }

    #[test]
    fn non_ascii_text_is_scanned_whole() {
        assert_eq!(ends("SELECT 'é;ü'; SELECT ä"), Some("SELECT 'é;ü';"));
    }

    #[test]
    fn the_buffer_runs_complete_statements_and_keeps_the_rest() {
        let mut buf = Buffer::default();
        assert!(buf.is_empty());
        assert_eq!(buf.push_line("SELECT"), None);
        assert!(!buf.is_empty());
        assert_eq!(buf.push_line("  1; SELECT 'a"), Some("SELECT\n  1;".into()));
        assert_eq!(buf.push_line(";';"), Some("SELECT 'a\n;';".into()));
        assert!(buf.is_empty());
        assert_eq!(buf.push_line("SELECT 2"), None);
        buf.clear();
        assert!(buf.is_empty());
        assert_eq!(buf.push_line("SELECT 3;"), Some("SELECT 3;".into()));
    }

    #[test]
    fn comments_alone_leave_the_buffer_empty() {
        let mut buf = Buffer::default();
        assert_eq!(buf.push_line("SELECT 1; -- done"), Some("SELECT 1;".into()));
        assert!(buf.is_empty());
        assert_eq!(buf.push_line("/* a */ -- b"), None);
        assert!(buf.is_empty());
        assert_eq!(buf.push_line("/* open"), None);
        assert!(!buf.is_empty());
        assert_eq!(
            buf.push_line("*/ SELECT 2;"),
            Some("/* open\n*/ SELECT 2;".into())
        );
    }
}
