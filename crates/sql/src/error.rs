//! The SQL layer's error: a SQLSTATE and a message, as PostgreSQL reports it.

use driftdb_engine::error::EngineError;
use driftdb_engine::numeric::NumericError;
use driftdb_storage::StorageError;

use crate::parser::ParseError;

/// An error of a statement, with PostgreSQL's SQLSTATE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SqlError {
    /// The five-character SQLSTATE.
    pub sqlstate: &'static str,
    /// What went wrong, naming the table, column or function concerned.
    pub message: String,
}

impl SqlError {
    /// An error with `sqlstate` and `message`.
    pub fn new(sqlstate: &'static str, message: impl Into<String>) -> Self {
        SqlError {
            sqlstate,
            message: message.into(),
        }
    }

    /// 0A000: valid SQL that DriftDB does not run yet.
    pub fn unsupported(what: impl std::fmt::Display) -> Self {
        Self::new("0A000", format!("not supported yet: {what}"))
    }
}

impl From<ParseError> for SqlError {
    fn from(e: ParseError) -> Self {
        SqlError::new(e.sqlstate(), e.to_string())
    }
}

impl From<EngineError> for SqlError {
    fn from(e: EngineError) -> Self {
        SqlError::new(e.sqlstate(), e.to_string())
    }
}

impl From<NumericError> for SqlError {
    fn from(e: NumericError) -> Self {
        EngineError::from(e).into()
    }
}

impl From<StorageError> for SqlError {
    fn from(e: StorageError) -> Self {
        EngineError::from(e).into()
    }
}

/// Result alias of the SQL layer.
pub type Result<T, E = SqlError> = std::result::Result<T, E>;
