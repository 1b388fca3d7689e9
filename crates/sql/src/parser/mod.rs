//! Parsing: SQL text to `sqlparser` statements, in PostgreSQL's dialect with
//! DriftDB's time-travel clauses (see `temporal.rs`).

mod dialect;
mod temporal;

use sqlparser::ast::Statement;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Tokenizer;

pub use dialect::DriftDialect;
pub use temporal::{Point, SystemTime, system_time};

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

/// Parses one or more `;`-separated statements.
pub fn parse(sql: &str) -> Result<Vec<Statement>, ParseError> {
    let dialect = DriftDialect::default();
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| ParseError::Syntax(e.to_string()))?;
    let tokens = temporal::rewrite(tokens)?;
    Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(ParseError::from)
}
