//! The engine's error type, each with the PostgreSQL SQLSTATE it maps to.

use crate::interrupt::InterruptReason;
use driftdb_storage::StorageError;

use crate::numeric::NumericError;
use crate::row::RowError;

/// Everything the engine can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The storage layer failed (or refused a conflicting commit).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Stored bytes could not be decoded.
    #[error("data corrupted: {0}")]
    Corrupted(String),
    /// `CREATE TABLE` of a name that exists.
    #[error("relation \"{0}\" already exists")]
    DuplicateTable(String),
    /// A table that does not exist (at the point in time read).
    #[error("relation \"{0}\" does not exist")]
    UndefinedTable(String),
    /// A column named twice in one table.
    #[error("column \"{0}\" specified more than once")]
    DuplicateColumn(String),
    /// A column that does not exist.
    #[error("column \"{0}\" does not exist")]
    UndefinedColumn(String),
    /// NULL into a NOT NULL column.
    #[error(
        "null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
    )]
    NotNull {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A second row with the same unique key.
    #[error("duplicate key value violates unique constraint \"{constraint}\"")]
    UniqueViolation {
        /// The constraint's name.
        constraint: String,
    },
    /// A row with the wrong number of values for its table.
    #[error("table \"{table}\" has {expected} columns but {found} values were given")]
    ColumnCount {
        /// The table.
        table: String,
        /// Its number of columns.
        expected: usize,
        /// The number of values given.
        found: usize,
    },
    /// Text that is not a value of the type.
    #[error("invalid input syntax for type {type_name}: \"{text}\"")]
    InvalidText {
        /// The type's SQL name.
        type_name: String,
        /// The text given.
        text: String,
    },
    /// A value outside the type's range.
    #[error("value \"{text}\" is out of range for type {type_name}")]
    OutOfRange {
        /// The type's SQL name.
        type_name: String,
        /// The text given.
        text: String,
    },
    /// A date or time that does not exist.
    #[error("date/time field value out of range: \"{text}\"")]
    DatetimeOverflow {
        /// The text given.
        text: String,
    },
    /// Text that is not an array literal (`{1,2}`).
    #[error("malformed array literal: \"{0}\"")]
    MalformedArray(String),
    /// Something PostgreSQL does that DriftDB does not do yet.
    #[error("not supported yet: {0}")]
    Unsupported(String),
    /// A schema that does not exist.
    #[error("schema \"{0}\" does not exist")]
    UndefinedSchema(String),
    /// `CREATE SCHEMA` of a name that exists.
    #[error("schema \"{0}\" already exists")]
    DuplicateSchema(String),
    /// An object others depend on (a schema with tables, a referenced table).
    #[error("{0}")]
    DependentObjects(String),
    /// A row without the row its foreign key references, or a referenced
    /// row removed while rows still reference it.
    #[error("{0}")]
    ForeignKeyViolation(String),
    /// An index that does not exist.
    #[error("index \"{0}\" does not exist")]
    UndefinedIndex(String),
    /// A `NUMERIC` value or operation failed.
    #[error(transparent)]
    Numeric(#[from] NumericError),
    /// `ROLLBACK TO` or `RELEASE` of a savepoint that was not set.
    #[error("savepoint \"{0}\" does not exist")]
    UndefinedSavepoint(String),
    /// The statement was stopped by a cancel request or its timeout.
    #[error("canceling statement due to {}", match .0 {
        InterruptReason::Cancel => "user request",
        InterruptReason::Timeout => "statement timeout",
    })]
    Canceled(InterruptReason),
    /// An option or argument with a value that is not allowed (a sequence's
    /// `INCREMENT 0`, `MINVALUE` above `MAXVALUE` …).
    #[error("{0}")]
    InvalidParameter(String),
    /// Something read before it was set in this session (`currval`,
    /// `lastval` before `nextval`).
    #[error("{0}")]
    NotYetDefined(String),
    /// A sequence past its limit without `CYCLE`.
    #[error("{0}")]
    SequenceExhausted(String),
    /// A value outside the bounds of what it is given to (`setval`).
    #[error("{0}")]
    OutOfBounds(String),
    /// A write in a read-only transaction (`nextval` in `READ ONLY`).
    #[error("cannot execute {0} in a read-only transaction")]
    ReadOnly(String),
    /// Text that is not JSON (`json` and `jsonb` input).
    #[error("invalid input syntax for type json")]
    InvalidJson,
    /// JSON nested deeper than [`crate::json::MAX_DEPTH`] levels.
    #[error(
        "stack depth limit exceeded: JSON nested deeper than {} levels",
        crate::json::MAX_DEPTH
    )]
    JsonTooDeep,
    /// `\u0000` in `jsonb`, which cannot hold it.
    #[error("unsupported Unicode escape sequence")]
    UnsupportedUnicodeEscape,
}

impl From<RowError> for EngineError {
    fn from(e: RowError) -> Self {
        EngineError::Corrupted(e.to_string())
    }
}

impl EngineError {
    /// The PostgreSQL SQLSTATE of this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            EngineError::Storage(
                StorageError::WriteConflict { .. } | StorageError::ReadConflict { .. },
            ) => "40001",
            EngineError::Storage(StorageError::Locked { .. }) => "55006",
            EngineError::Storage(StorageError::Io { .. }) => "58030",
            EngineError::Storage(StorageError::TooLarge { .. }) => "54000",
            EngineError::Storage(
                StorageError::Damaged { .. }
                | StorageError::CheckpointMismatch(_)
                | StorageError::Format(_),
            )
            | EngineError::Corrupted(_) => "XX001",
            EngineError::Storage(StorageError::Poisoned(_) | StorageError::Store(_)) => "XX000",
            EngineError::DuplicateTable(_) => "42P07",
            EngineError::UndefinedTable(_) => "42P01",
            EngineError::UndefinedSavepoint(_) => "3B001",
            EngineError::DuplicateColumn(_) => "42701",
            EngineError::NotNull { .. } => "23502",
            EngineError::InvalidText { .. } | EngineError::MalformedArray(_) => "22P02",
            EngineError::OutOfRange { .. } => "22003",
            EngineError::DatetimeOverflow { .. } => "22008",
            EngineError::Unsupported(_) => "0A000",
            EngineError::UniqueViolation { .. } => "23505",
            EngineError::ColumnCount { .. } => "42601",
            EngineError::UndefinedColumn(_) => "42703",
            EngineError::UndefinedSchema(_) => "3F000",
            EngineError::DuplicateSchema(_) => "42P06",
            EngineError::DependentObjects(_) => "2BP01",
            EngineError::ForeignKeyViolation(_) => "23503",
            EngineError::UndefinedIndex(_) => "42704",
            EngineError::Numeric(e) => e.sqlstate(),
            EngineError::Canceled(_) => "57014",
            EngineError::InvalidParameter(_) => "22023",
            EngineError::NotYetDefined(_) => "55000",
            EngineError::SequenceExhausted(_) => "2200H",
            EngineError::OutOfBounds(_) => "22003",
            EngineError::ReadOnly(_) => "25006",
            EngineError::InvalidJson => "22P02",
            EngineError::JsonTooDeep => "54001",
            EngineError::UnsupportedUnicodeEscape => "22P05",
        }
    }
}

/// Result alias of the engine.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
