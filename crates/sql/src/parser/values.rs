//! A fast path for `INSERT INTO … VALUES` whose rows hold only literals: the
//! bulk load's statement. The head (`INSERT INTO t (cols) VALUES`) goes
//! through the full parser; the rows are read here into [`LiteralRows`], one
//! buffer of text and one of cells, instead of a token stream and a syntax
//! tree: building and freeing those was most of the time of a 1,000-row
//! INSERT. The binder reads a cell as it reads the literal `sqlparser` would
//! have given (`bind::expr::literal`), so both paths bind the same values.
//!
//! Anything this reader does not know (an expression, a comment, a prefixed
//! string, `RETURNING`, `ON CONFLICT`, a second statement) makes it step
//! aside, and the statement is parsed the usual way.

use sqlparser::ast::{SetExpr, Statement};

use super::Stmt;

/// The rows of an `INSERT … VALUES` of literals, all of one width.
#[derive(Debug, Clone, PartialEq)]
pub struct LiteralRows {
    width: usize,
    /// Each number's text (sign included) and each string's value, end to end.
    text: String,
    cells: Vec<Cell>,
}

/// One literal of a row: its kind and, for numbers and strings, where its
/// text lies in [`LiteralRows::text`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cell {
    kind: Kind,
    start: u32,
    end: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Text,
    True,
    False,
    Null,
}

/// One literal, as the binder reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Literal<'a> {
    /// A number as written, with its sign: `-12`, `1.5e3`.
    Number(&'a str),
    /// A string's value, quotes undone.
    Text(&'a str),
    /// `TRUE` or `FALSE`.
    Bool(bool),
    /// `NULL`.
    Null,
}

impl LiteralRows {
    /// The number of values in each row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The rows, in order.
    pub fn rows(
        &self,
    ) -> impl ExactSizeIterator<Item = impl ExactSizeIterator<Item = Literal<'_>>> {
        self.cells
            .chunks(self.width.max(1))
            .map(|row| row.iter().map(|c| self.literal(c)))
    }

    fn literal(&self, cell: &Cell) -> Literal<'_> {
        let text = || {
            self.text
                .get(cell.start as usize..cell.end as usize)
                .unwrap_or_default()
        };
        match cell.kind {
            Kind::Number => Literal::Number(text()),
            Kind::Text => Literal::Text(text()),
            Kind::True => Literal::Bool(true),
            Kind::False => Literal::Bool(false),
            Kind::Null => Literal::Null,
        }
    }
}

/// The statement, when `sql` is one `INSERT … VALUES` of literal rows that
/// `full` (the parser of everything else) accepts; `None` to parse it fully.
pub(super) fn literal_insert(
    sql: &str,
    full: impl FnOnce(&str) -> Option<Vec<Stmt>>,
) -> Option<Stmt> {
    let head_len = head_len(sql)?;
    let rows = Reader::at(sql, head_len).rows()?;
    let mut stmts = full(&format!("{} (NULL)", &sql[..head_len]))?;
    if stmts.len() != 1 {
        return None;
    }
    let Some(Stmt::Sql(statement)) = stmts.pop() else {
        return None;
    };
    let Statement::Insert(insert) = *statement else {
        return None;
    };
    if insert.on.is_some() || insert.returning.is_some() {
        return None;
    }
    let query = insert.source.as_ref()?;
    if query.to_string() != "VALUES (NULL)" || !matches!(*query.body, SetExpr::Values(_)) {
        return None;
    }
    Some(Stmt::InsertLiterals {
        insert: Box::new(insert),
        rows,
    })
}

/// The length of `INSERT … VALUES` at the start of `sql`: words, quoted
/// names, dots, commas and parentheses up to the word `VALUES`; `None` when
/// anything else comes first.
fn head_len(sql: &str) -> Option<usize> {
    let bytes = sql.as_bytes();
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if !bytes[start..].get(..6)?.eq_ignore_ascii_case(b"INSERT") {
        return None;
    }
    let mut at = start;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                at += 1;
                loop {
                    match bytes.get(at)? {
                        b'"' if bytes.get(at + 1) == Some(&b'"') => at += 2,
                        b'"' => break,
                        _ => at += 1,
                    }
                }
                at += 1;
            }
            b if is_word_byte(b) => {
                let end = at + word_len(bytes, at);
                if bytes[at..end].eq_ignore_ascii_case(b"VALUES") {
                    return Some(end);
                }
                at = end;
            }
            b'.' | b',' | b'(' | b')' => at += 1,
            b if is_space(b) => at += 1,
            _ => return None,
        }
    }
    None
}

/// A byte that continues an unquoted word.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// The length of the unquoted word starting at `bytes[at]`.
fn word_len(bytes: &[u8], at: usize) -> usize {
    bytes[at..].iter().take_while(|&&b| is_word_byte(b)).count()
}

/// Whitespace between tokens.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Reads literal rows from a position in the text.
struct Reader<'a> {
    sql: &'a str,
    at: usize,
    out: LiteralRows,
}

impl<'a> Reader<'a> {
    /// A reader at byte `at` of `sql`.
    fn at(sql: &'a str, at: usize) -> Self {
        Reader {
            sql,
            at,
            out: LiteralRows {
                width: 0,
                text: String::with_capacity(sql.len() - at),
                cells: Vec::new(),
            },
        }
    }

    fn peek(&self) -> Option<u8> {
        self.sql.as_bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        self.at += self.sql.as_bytes()[self.at..]
            .iter()
            .take_while(|&&b| is_space(b))
            .count();
    }

    /// Whether `byte` comes next (and is then passed).
    fn punct(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    /// `(lit, …), (lit, …) [;]` to the end of the text, every row as wide
    /// as the first.
    fn rows(mut self) -> Option<LiteralRows> {
        loop {
            self.skip_space();
            if !self.punct(b'(') {
                return None;
            }
            let row_start = self.out.cells.len();
            loop {
                self.skip_space();
                self.literal()?;
                self.skip_space();
                if !self.punct(b',') {
                    break;
                }
            }
            if !self.punct(b')') {
                return None;
            }
            let width = self.out.cells.len() - row_start;
            if row_start == 0 {
                self.out.width = width;
            } else if width != self.out.width {
                return None;
            }
            self.skip_space();
            if !self.punct(b',') {
                break;
            }
        }
        if self.punct(b';') {
            self.skip_space();
        }
        (self.at == self.sql.len()).then_some(self.out)
    }

    /// One literal: a number (perhaps negated), a string, NULL, TRUE or FALSE.
    fn literal(&mut self) -> Option<()> {
        let start = self.out.text.len();
        let kind = match self.peek()? {
            b'-' | b'0'..=b'9' => {
                let text = self.number()?;
                self.out.text.push_str(text);
                Kind::Number
            }
            b'\'' => {
                self.string()?;
                Kind::Text
            }
            b if is_word_byte(b) => {
                let len = word_len(self.sql.as_bytes(), self.at);
                let word = &self.sql.as_bytes()[self.at..self.at + len];
                let kind = if word.eq_ignore_ascii_case(b"NULL") {
                    Kind::Null
                } else if word.eq_ignore_ascii_case(b"TRUE") {
                    Kind::True
                } else if word.eq_ignore_ascii_case(b"FALSE") {
                    Kind::False
                } else {
                    return None;
                };
                self.at += len;
                kind
            }
            _ => return None,
        };
        if !self
            .peek()
            .is_some_and(|b| is_space(b) || b == b',' || b == b')')
        {
            return None;
        }
        self.out.cells.push(Cell {
            kind,
            start: u32::try_from(start).ok()?,
            end: u32::try_from(self.out.text.len()).ok()?,
        });
        Some(())
    }

    /// An optional minus, digits, optionally a point and more digits,
    /// optionally an exponent.
    fn number(&mut self) -> Option<&'a str> {
        let bytes = self.sql.as_bytes();
        let digits = |from: usize| {
            bytes[from..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let sign = usize::from(bytes.get(self.at) == Some(&b'-'));
        let whole = digits(self.at + sign);
        if whole == 0 {
            return None;
        }
        let mut end = self.at + sign + whole;
        if bytes.get(end) == Some(&b'.') {
            let fraction = digits(end + 1);
            if fraction == 0 {
                return None;
            }
            end += 1 + fraction;
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
            let exponent = digits(end + 1 + sign);
            if exponent == 0 {
                return None;
            }
            end += 1 + sign + exponent;
        }
        let text = &self.sql[self.at..end];
        self.at = end;
        Some(text)
    }

    /// A standard string: `'…'` with `''` for a quote and no backslash
    /// escapes; its value goes to the text buffer.
    fn string(&mut self) -> Option<()> {
        let bytes = self.sql.as_bytes();
        let mut from = self.at + 1;
        let mut at = from;
        loop {
            match bytes.get(at)? {
                b'\'' if bytes.get(at + 1) == Some(&b'\'') => {
                    self.out.text.push_str(&self.sql[from..=at]);
                    at += 2;
                    from = at;
                }
                b'\'' => break,
                b'\\' => return None,
                _ => at += 1,
            }
        }
        self.out.text.push_str(&self.sql[from..at]);
        self.at = at + 1;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Stmt, parse, parse_full};
    use super::{Literal, LiteralRows};
    use proptest::prelude::*;
    use sqlparser::ast::{Expr, Insert, SetExpr, Statement, UnaryOperator, Value};

    /// A literal the full parser gave, as the fast path reads it.
    fn described(e: &Expr) -> Option<String> {
        Some(match e {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => format!("number {n}"),
                Value::SingleQuotedString(s) => format!("text {s}"),
                Value::Boolean(b) => format!("bool {b}"),
                Value::Null => "null".into(),
                _ => return None,
            },
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => match expr.as_ref() {
                Expr::Value(v) => match &v.value {
                    Value::Number(n, _) => format!("number -{n}"),
                    _ => return None,
                },
                _ => return None,
            },
            _ => return None,
        })
    }

    fn read(rows: &LiteralRows) -> Vec<Vec<String>> {
        rows.rows()
            .map(|row| {
                row.map(|l| match l {
                    Literal::Number(n) => format!("number {n}"),
                    Literal::Text(s) => format!("text {s}"),
                    Literal::Bool(b) => format!("bool {b}"),
                    Literal::Null => "null".into(),
                })
                .collect()
            })
            .collect()
    }

    /// The full parser's insert, when `sql` parses to one.
    fn full_insert(sql: &str) -> Option<Insert> {
        let mut stmts = parse_full(sql).ok()?;
        match stmts.pop()? {
            Stmt::Sql(s) if stmts.is_empty() => match *s {
                Statement::Insert(i) => Some(i),
                _ => None,
            },
            _ => None,
        }
    }

    /// When the fast path reads `sql`, it reads what the full parser does:
    /// the same target and columns, the same literals row by row.
    fn same_as_full(sql: &str) -> Result<bool, TestCaseError> {
        let Some(Stmt::InsertLiterals { insert, rows }) = parse(sql).ok().and_then(|mut s| s.pop())
        else {
            return Ok(false);
        };
        let full = full_insert(sql);
        prop_assert!(full.is_some(), "{}", sql);
        let Some(full) = full else {
            return Ok(false);
        };
        prop_assert_eq!(format!("{:?}", insert.table), format!("{:?}", full.table));
        prop_assert_eq!(
            format!("{:?}", insert.columns),
            format!("{:?}", full.columns)
        );
        prop_assert!(full.on.is_none() && full.returning.is_none());
        let Some(SetExpr::Values(values)) = full.source.as_ref().map(|q| q.body.as_ref()) else {
            return Err(TestCaseError::fail(format!("not VALUES: {sql}")));
        };
        let expected: Vec<Vec<Option<String>>> = values
            .rows
            .iter()
            .map(|r| r.content.iter().map(described).collect())
            .collect();
        let got: Vec<Vec<Option<String>>> = read(&rows)
            .into_iter()
            .map(|r| r.into_iter().map(Some).collect())
            .collect();
        prop_assert_eq!(got, expected, "{}", sql);
        Ok(true)
    }

    fn literal() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => any::<i64>().prop_map(|i| i.to_string()),
            2 => any::<f64>().prop_map(|f| format!("{f:?}")),
            3 => "-?[0-9]{1,4}(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
            3 => "'([a-z é\\n]|'')*'",
            2 => "(?i)null|true|false",
            1 => "(?i)default|'\\\\'|[a-z]{1,3}|\\(1\\)|1 \\+ 2|E'x'|'a' 'b'|-- c\\n1|\\$1|1\\.|\\.5|1_0",
        ]
    }

    fn space() -> impl Strategy<Value = String> {
        "[ \\n\\t]{0,2}"
    }

    proptest! {
        #[test]
        fn fast_rows_parse_as_the_full_parser_does(
            rows in proptest::collection::vec(
                proptest::collection::vec((space(), literal(), space()), 1..4),
                1..4,
            ),
            head in "INSERT INTO t VALUES|insert into \"T\"\"x\" (a, b)\\nvalues|INSERT INTO s.t (a) VALUES",
            tail in ";?[ \\n]?|; SELECT 1| RETURNING a| ON CONFLICT DO NOTHING",
        ) {
            let rows: Vec<String> = rows
                .iter()
                .map(|r| {
                    let cells: Vec<String> = r.iter().map(|(a, l, b)| format!("{a}{l}{b}")).collect();
                    format!("({})", cells.join(","))
                })
                .collect();
            let sql = format!("{head} {}{tail}", rows.join(",\n"));
            let fast = same_as_full(&sql)?;
            if !fast {
                prop_assert_eq!(format!("{:?}", parse(&sql)), format!("{:?}", parse_full(&sql)));
            }
        }
    }

    #[test]
    fn literal_rows_take_the_fast_path() -> Result<(), TestCaseError> {
        for sql in [
            "INSERT INTO t VALUES (1, 'a', NULL), (-2, 'b''c', TRUE);",
            "insert into \"T\" (a, b)\nvalues\n(1.5e-3, 'é\nx'),\n(false, -0.25) ;\n",
        ] {
            prop_assert!(same_as_full(sql)?, "{}", sql);
        }
        Ok(())
    }

    #[test]
    fn other_inserts_take_the_full_parser() {
        for sql in [
            "INSERT INTO t SELECT 1",
            "INSERT INTO t (a) SELECT a FROM (VALUES (1)) v",
            "INSERT INTO t DEFAULT VALUES",
            "INSERT INTO t VALUES (1) ORDER BY 1",
            "INSERT INTO t VALUES (1), (2) LIMIT 1",
            "INSERT INTO t VALUES (1), (2, 3)",
            "INSERT INTO t VALUES",
            "INSERT INTO t VALUES ()",
            "INSERT INTO t VALUES ('unterminated)",
            "INSERT INTO t VALUES (1,)",
        ] {
            assert!(
                super::literal_insert(sql, |s| parse_full(s).ok()).is_none(),
                "{sql}"
            );
        }
    }
}
