//! `COPY`'s data formats: PostgreSQL's text format (tab-separated, `\N` for
//! NULL, backslash escapes) and CSV, written for `COPY … TO STDOUT` and read
//! back, a chunk at a time, for `COPY … FROM STDIN`.

use driftdb_engine::text::format_text;
use driftdb_engine::value::Value;
use sqlparser::ast::{CopyLegacyCsvOption, CopyLegacyOption, CopyOption};

use crate::error::{Result, SqlError};

/// The options of one `COPY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFormat {
    /// CSV rather than the text format.
    pub csv: bool,
    /// Between fields: a tab in text, a comma in CSV.
    pub delimiter: char,
    /// What NULL is written as: `\N` in text, nothing in CSV.
    pub null: String,
    /// CSV: a first line of column names.
    pub header: bool,
    /// CSV: the quote character.
    pub quote: char,
    /// CSV: what escapes a quote inside a quoted field.
    pub escape: char,
}

impl CopyFormat {
    /// The format the statement's options ask for.
    pub fn from_options(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> Result<Self> {
        let mut csv = false;
        let (mut delimiter, mut null, mut header, mut quote, mut escape) =
            (None, None, false, None, None);
        for o in options {
            match o {
                CopyOption::Format(f) => match f.value.to_ascii_lowercase().as_str() {
                    "text" => csv = false,
                    "csv" => csv = true,
                    "binary" => return Err(SqlError::unsupported("COPY in binary format")),
                    other => {
                        return Err(SqlError::new(
                            "22023",
                            format!("COPY format \"{other}\" not recognized"),
                        ));
                    }
                },
                CopyOption::Delimiter(c) => delimiter = Some(*c),
                CopyOption::Null(s) => null = Some(s.clone()),
                CopyOption::Header(h) => header = *h,
                CopyOption::Quote(c) => quote = Some(*c),
                CopyOption::Escape(c) => escape = Some(*c),
                CopyOption::Encoding(e) if is_utf8(e) => {}
                CopyOption::Freeze(_) => {}
                other => return Err(SqlError::unsupported(format!("COPY option {other}"))),
            }
        }
        for o in legacy {
            match o {
                CopyLegacyOption::Csv(opts) => {
                    csv = true;
                    for c in opts {
                        match c {
                            CopyLegacyCsvOption::Header => header = true,
                            CopyLegacyCsvOption::Quote(q) => quote = Some(*q),
                            CopyLegacyCsvOption::Escape(e) => escape = Some(*e),
                            other => {
                                return Err(SqlError::unsupported(format!("COPY option {other}")));
                            }
                        }
                    }
                }
                CopyLegacyOption::Delimiter(c) => delimiter = Some(*c),
                CopyLegacyOption::Null(s) => null = Some(s.clone()),
                CopyLegacyOption::Header => header = true,
                other => return Err(SqlError::unsupported(format!("COPY option {other}"))),
            }
        }
        if header && !csv {
            return Err(SqlError::unsupported("COPY HEADER in text format"));
        }
        let quote = quote.unwrap_or('"');
        let format = CopyFormat {
            csv,
            delimiter: delimiter.unwrap_or(if csv { ',' } else { '\t' }),
            null: null.unwrap_or_else(|| if csv { String::new() } else { "\\N".into() }),
            header,
            quote,
            escape: escape.unwrap_or(quote),
        };
        if format.delimiter == '\n'
            || format.delimiter == '\r'
            || (csv && format.delimiter == quote)
        {
            return Err(SqlError::new(
                "22023",
                "COPY delimiter cannot be newline or quote",
            ));
        }
        Ok(format)
    }

    /// One row as a line of this format, newline included.
    pub fn encode_row(&self, values: &[Value]) -> String {
        let mut line = String::new();
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                line.push(self.delimiter);
            }
            match format_text(v) {
                None => line.push_str(&self.null),
                Some(text) if self.csv => self.push_csv(&mut line, &text),
                Some(text) => push_text_escaped(&mut line, &text, self.delimiter),
            }
        }
        line.push('\n');
        line
    }

    /// The CSV header line of `names`.
    pub fn encode_header(&self, names: &[String]) -> String {
        let mut line = String::new();
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                line.push(self.delimiter);
            }
            self.push_csv(&mut line, name);
        }
        line.push('\n');
        line
    }

    /// A CSV field, quoted when it could be misread.
    fn push_csv(&self, line: &mut String, text: &str) {
        let needs_quotes = text.is_empty() && self.null.is_empty()
            || text == self.null
            || text.contains([self.delimiter, self.quote, '\n', '\r', self.escape]);
        if !needs_quotes {
            line.push_str(text);
            return;
        }
        line.push(self.quote);
        for c in text.chars() {
            if c == self.quote || c == self.escape {
                line.push(self.escape);
            }
            line.push(c);
        }
        line.push(self.quote);
    }
}

fn is_utf8(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().replace(['-', '_'], "").as_str(),
        "utf8" | "unicode"
    )
}

/// Text-format escaping: backslash, newline, carriage return, tab and the
/// delimiter.
fn push_text_escaped(line: &mut String, text: &str, delimiter: char) {
    for c in text.chars() {
        match c {
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            c if c == delimiter => {
                line.push('\\');
                line.push(c);
            }
            c => line.push(c),
        }
    }
}

/// One record read back: its fields, `None` for NULL.
pub type Record = Vec<Option<String>>;

/// Reads `COPY … FROM STDIN` data as it arrives in chunks of any size.
#[derive(Debug)]
pub struct CopyReader {
    format: CopyFormat,
    pending: Vec<u8>,
    /// The CSV header is still to be skipped.
    skip_header: bool,
    /// The text format's end marker `\.` was seen: the rest is ignored.
    ended: bool,
    /// Records read so far (for error messages).
    line: u64,
}

impl CopyReader {
    /// A reader of data in `format`.
    pub fn new(format: CopyFormat) -> Self {
        CopyReader {
            skip_header: format.header,
            format,
            pending: Vec::new(),
            ended: false,
            line: 0,
        }
    }

    /// The records completed by `data`.
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<Record>> {
        self.pending.extend_from_slice(data);
        self.drain(false)
    }

    /// The last record, when the data did not end with a newline.
    pub fn finish(&mut self) -> Result<Vec<Record>> {
        self.drain(true)
    }

    fn drain(&mut self, at_end: bool) -> Result<Vec<Record>> {
        let mut records = Vec::new();
        let mut start = 0;
        while !self.ended && start < self.pending.len() {
            let Some((end, next)) = self.next_line(start, at_end) else {
                break;
            };
            let raw = self.pending[start..end].to_vec();
            start = next;
            self.line += 1;
            let text = String::from_utf8(raw).map_err(|_| {
                SqlError::new(
                    "22021",
                    format!(
                        "invalid byte sequence for encoding \"UTF8\" in COPY line {}",
                        self.line
                    ),
                )
            })?;
            let text = text.strip_suffix('\r').unwrap_or(&text);
            if !self.format.csv && text == "\\." {
                self.ended = true;
                break;
            }
            if self.skip_header {
                self.skip_header = false;
                continue;
            }
            records.push(if self.format.csv {
                self.csv_fields(text)?
            } else {
                self.text_fields(text)?
            });
        }
        self.pending.drain(..start.min(self.pending.len()));
        if at_end && !self.ended {
            self.pending.clear();
        }
        Ok(records)
    }

    /// Where the line (record) starting at `start` ends, and where the next
    /// starts; a CSV newline inside quotes belongs to the field.
    fn next_line(&self, start: usize, at_end: bool) -> Option<(usize, usize)> {
        let bytes = &self.pending[start..];
        let mut quoted = false;
        let quote = u8::try_from(self.format.quote).ok();
        for (i, &b) in bytes.iter().enumerate() {
            if self.format.csv && Some(b) == quote {
                quoted = !quoted;
            } else if b == b'\n' && !quoted {
                return Some((start + i, start + i + 1));
            }
        }
        (at_end && !bytes.is_empty()).then_some((self.pending.len(), self.pending.len()))
    }

    fn text_fields(&self, line: &str) -> Result<Record> {
        line.split(self.format.delimiter)
            .map(|field| {
                if field == self.format.null {
                    Ok(None)
                } else {
                    unescape_text(field).map(Some)
                }
            })
            .collect()
    }

    fn csv_fields(&self, line: &str) -> Result<Record> {
        let f = &self.format;
        let mut fields = Vec::new();
        let mut chars = line.chars().peekable();
        loop {
            let mut value = String::new();
            let mut was_quoted = false;
            let mut in_quotes = false;
            let mut more = false;
            while let Some(c) = chars.next() {
                if in_quotes {
                    if c == f.escape && f.escape != f.quote && chars.peek() == Some(&f.quote) {
                        value.push(f.quote);
                        chars.next();
                    } else if c == f.quote {
                        if f.escape == f.quote && chars.peek() == Some(&f.quote) {
                            value.push(f.quote);
                            chars.next();
                        } else {
                            in_quotes = false;
                        }
                    } else {
                        value.push(c);
                    }
                } else if c == f.quote {
                    in_quotes = true;
                    was_quoted = true;
                } else if c == f.delimiter {
                    more = true;
                    break;
                } else {
                    value.push(c);
                }
            }
            if in_quotes {
                return Err(SqlError::new(
                    "22P04",
                    format!("unterminated CSV quoted field in COPY line {}", self.line),
                ));
            }
            fields.push(if !was_quoted && value == f.null {
                None
            } else {
                Some(value)
            });
            if !more {
                return Ok(fields);
            }
        }
    }
}

/// The text format's backslash escapes undone.
fn unescape_text(field: &str) -> Result<String> {
    if !field.contains('\\') {
        return Ok(field.to_string());
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('x') => {
                let mut code = 0u32;
                let mut digits = 0;
                while digits < 2 {
                    match chars.peek().and_then(|d| d.to_digit(16)) {
                        Some(d) => {
                            code = code * 16 + d;
                            chars.next();
                            digits += 1;
                        }
                        None => break,
                    }
                }
                if digits == 0 {
                    out.push('x');
                } else {
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
            }
            Some(d @ '0'..='7') => {
                let mut code = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(v) => {
                            code = code * 8 + v;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => {
                return Err(SqlError::new(
                    "22P04",
                    "COPY data ends with a lone backslash",
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> CopyFormat {
        CopyFormat {
            csv: false,
            delimiter: '\t',
            null: "\\N".into(),
            header: false,
            quote: '"',
            escape: '"',
        }
    }

    fn csv(header: bool) -> CopyFormat {
        CopyFormat {
            csv: true,
            delimiter: ',',
            null: String::new(),
            header,
            quote: '"',
            escape: '"',
        }
    }

    #[test]
    fn text_rows_round_trip_in_chunks() -> Result<()> {
        let f = text();
        let rows = [
            vec![
                Value::Int4(1),
                Value::Text("a\tb\\c\nd".into()),
                Value::Null,
            ],
            vec![
                Value::Int4(2),
                Value::Text(String::new()),
                Value::Text("\\N".into()),
            ],
        ];
        let data: String = rows.iter().map(|r| f.encode_row(r)).collect();
        let mut reader = CopyReader::new(f);
        let mut got = Vec::new();
        for chunk in data.as_bytes().chunks(3) {
            got.extend(reader.feed(chunk)?);
        }
        got.extend(reader.finish()?);
        assert_eq!(
            got,
            vec![
                vec![Some("1".into()), Some("a\tb\\c\nd".into()), None],
                vec![Some("2".into()), Some(String::new()), Some("\\N".into())],
            ]
        );
        Ok(())
    }

    #[test]
    fn csv_quotes_newlines_and_nulls() -> Result<()> {
        let f = csv(true);
        let mut reader = CopyReader::new(f.clone());
        let data = "id,v,w\n1,\"x,\"\"y\"\"\nz\",\n2,\"\",plain\n3,last,";
        let mut got = reader.feed(data.as_bytes())?;
        got.extend(reader.finish()?);
        assert_eq!(
            got,
            vec![
                vec![Some("1".into()), Some("x,\"y\"\nz".into()), None],
                vec![Some("2".into()), Some(String::new()), Some("plain".into())],
                vec![Some("3".into()), Some("last".into()), None],
            ]
        );
        let line = f.encode_row(&[
            Value::Text("a,b".into()),
            Value::Null,
            Value::Text(String::new()),
        ]);
        assert_eq!(line, "\"a,b\",,\"\"\n");
        Ok(())
    }

    #[test]
    fn text_end_marker_stops_reading() -> Result<()> {
        let mut reader = CopyReader::new(text());
        let got = reader.feed(b"1\tx\n\\.\n2\ty\n")?;
        assert_eq!(got, vec![vec![Some("1".into()), Some("x".into())]]);
        Ok(())
    }

    #[test]
    fn octal_and_hex_escapes() -> Result<()> {
        assert_eq!(unescape_text("\\101\\x42c")?, "ABc");
        assert!(unescape_text("bad\\").is_err());
        Ok(())
    }
}
