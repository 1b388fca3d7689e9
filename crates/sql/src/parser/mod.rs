//! Parsing: SQL text to `sqlparser` statements, in PostgreSQL's dialect with
//! DriftDB's time-travel clauses (see `temporal.rs`) and the untyped column
//! list of `CREATE TABLE … AS` (`ctas.rs`) and PostgreSQL's locking clauses
//! (`locking.rs`); the literal rows of a bulk `INSERT` take a fast path
//! (`values.rs`).

mod ctas;
mod dialect;
mod locking;
mod temporal;
mod values;

use sqlparser::ast::{ObjectName, Statement};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

pub use ctas::UNTYPED;
pub use dialect::DriftDialect;
pub use temporal::{Point, SystemTime, point_of, symmetric_low, system_time};
pub use values::{Literal, LiteralRows};

/// How deep expressions and subqueries may nest before parsing stops.
const RECURSION_LIMIT: usize = 50;

/// Why SQL text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not valid SQL (SQLSTATE 42601).
    #[error("syntax error: {0}")]
    Syntax(String),
    /// Nested too deeply to parse (SQLSTATE 54001).
    #[error("statement is too complex: nesting exceeds {RECURSION_LIMIT} levels")]
    TooDeep,
    /// Valid elsewhere but not supported by DriftDB (SQLSTATE 0A000).
    #[error("not supported: {0}")]
    Unsupported(String),
}

impl ParseError {
    /// The PostgreSQL SQLSTATE of this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            ParseError::Syntax(_) => "42601",
            ParseError::TooDeep => "54001",
            ParseError::Unsupported(_) => "0A000",
        }
    }
}

impl From<ParserError> for ParseError {
    fn from(e: ParserError) -> Self {
        match e {
            ParserError::RecursionLimitExceeded => ParseError::TooDeep,
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => ParseError::Syntax(m),
        }
    }
}

/// A statement: PostgreSQL's, or one of DriftDB's own.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// A statement `sqlparser` parses.
    Sql(Box<Statement>),
    /// `RESTORE TABLE t TO <point>`: writes the table's rows as they were at
    /// the point as a new commit.
    Restore {
        /// The table.
        table: ObjectName,
        /// The point.
        point: Box<Point>,
    },
    /// `UNDROP TABLE t`: brings back the last dropped table of that name.
    Undrop {
        /// The table.
        table: ObjectName,
    },
    /// `INSERT … VALUES` whose rows are all literals, read by the fast path
    /// (`values.rs`): the insert as parsed with one placeholder row, and the
    /// rows to insert in its place.
    InsertLiterals {
        /// The `INSERT` (target, columns; its `VALUES` are not the rows).
        insert: Box<sqlparser::ast::Insert>,
        /// The rows.
        rows: LiteralRows,
    },
}

/// Parses one or more `;`-separated statements.
pub fn parse(sql: &str) -> Result<Vec<Stmt>, ParseError> {
    match values::literal_insert(sql, |head| parse_full(head).ok()) {
        Some(stmt) => Ok(vec![stmt]),
        None => parse_full(sql),
    }
}

/// Parses `sql` token by token, every form included.
fn parse_full(sql: &str) -> Result<Vec<Stmt>, ParseError> {
    let dialect = DriftDialect::default();
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| ParseError::Syntax(e.to_string()))?;
    let tokens = locking::rewrite(temporal::rewrite(tokens)?);
    let mut out = Vec::new();
    for group in split_statements(tokens) {
        let group = ctas::rewrite(group);
        match leading_word(&group).as_deref() {
            Some("RESTORE") => out.push(parse_restore(&dialect, group)?),
            Some("UNDROP") => out.push(parse_undrop(&dialect, group)?),
            Some(_) => out.extend(
                Parser::new(&dialect)
                    .with_recursion_limit(RECURSION_LIMIT)
                    .with_tokens_with_locations(group)
                    .parse_statements()
                    .map_err(ParseError::from)?
                    .into_iter()
                    .map(|s| Stmt::Sql(Box::new(s))),
            ),
            None => {}
        }
    }
    Ok(out)
}

/// Parses one expression (a stored `DEFAULT` or `CHECK`).
pub fn parse_expr(sql: &str) -> Result<sqlparser::ast::Expr, ParseError> {
    let dialect = DriftDialect::default();
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| ParseError::Syntax(e.to_string()))?;
    let tokens = temporal::rewrite(tokens)?;
    let mut p = drift_parser(&dialect, tokens);
    let e = p.parse_expr()?;
    expect_end(&mut p)?;
    Ok(e)
}

/// Parses one query (a stored view).
pub fn parse_query(sql: &str) -> Result<sqlparser::ast::Query, ParseError> {
    match parse(sql)?.into_iter().next() {
        Some(Stmt::Sql(s)) => match *s {
            Statement::Query(q) => Ok(*q),
            other => Err(ParseError::Syntax(format!("not a query: {other}"))),
        },
        _ => Err(ParseError::Syntax("not a query".into())),
    }
}

/// Splits tokens at every `;` outside parentheses (each group keeps its `;`).
fn split_statements(mut tokens: Vec<TokenWithSpan>) -> Vec<Vec<TokenWithSpan>> {
    // Where each statement after the first starts: after a `;` outside
    // parentheses.
    let mut starts = Vec::new();
    let mut depth = 0i32;
    for (i, t) in tokens.iter().enumerate() {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::SemiColon if depth <= 0 => starts.push(i + 1),
            _ => {}
        }
    }
    // Split from the end, so no token is moved more than once.
    let mut groups: Vec<Vec<TokenWithSpan>> = starts
        .iter()
        .rev()
        .map(|&at| tokens.split_off(at))
        .collect();
    groups.push(tokens);
    groups.reverse();
    groups
}

/// The first word of a statement, upper-cased; `None` when it holds no token.
fn leading_word(group: &[TokenWithSpan]) -> Option<String> {
    let t = group.iter().find(|t| {
        !matches!(
            t.token,
            Token::Whitespace(_) | Token::SemiColon | Token::EOF
        )
    })?;
    Some(match &t.token {
        Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
        _ => String::new(),
    })
}

fn drift_parser(dialect: &DriftDialect, group: Vec<TokenWithSpan>) -> Parser<'_> {
    Parser::new(dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(group)
}

/// The statement's end: an optional `;`, then nothing.
fn expect_end(p: &mut Parser<'_>) -> Result<(), ParseError> {
    let _ = p.consume_token(&Token::SemiColon);
    match p.peek_token().token {
        Token::EOF => Ok(()),
        other => Err(ParseError::Syntax(format!(
            "expected end of statement, found {other}"
        ))),
    }
}

/// Consumes the word `word`, which `sqlparser` does not know as a keyword.
fn expect_word(p: &mut Parser<'_>, word: &str) -> Result<(), ParseError> {
    match p.next_token().token {
        Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word) => Ok(()),
        other => Err(ParseError::Syntax(format!(
            "expected {word}, found {other}"
        ))),
    }
}

/// `RESTORE TABLE name TO point`
fn parse_restore(dialect: &DriftDialect, group: Vec<TokenWithSpan>) -> Result<Stmt, ParseError> {
    let mut p = drift_parser(dialect, group);
    expect_word(&mut p, "RESTORE")?;
    p.expect_keyword_is(Keyword::TABLE)?;
    let table = p.parse_object_name(false)?;
    p.expect_keyword_is(Keyword::TO)?;
    let expr = p.parse_expr()?;
    expect_end(&mut p)?;
    Ok(Stmt::Restore {
        table,
        point: Box::new(temporal::point_of(&expr)),
    })
}

/// `UNDROP TABLE name`
fn parse_undrop(dialect: &DriftDialect, group: Vec<TokenWithSpan>) -> Result<Stmt, ParseError> {
    let mut p = drift_parser(dialect, group);
    expect_word(&mut p, "UNDROP")?;
    p.expect_keyword_is(Keyword::TABLE)?;
    let table = p.parse_object_name(false)?;
    expect_end(&mut p)?;
    Ok(Stmt::Undrop { table })
}
