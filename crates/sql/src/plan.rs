//! Logical plans: what a statement does, with names resolved and expressions
//! bound, before execution.

use driftdb_engine::catalog::{NewColumn, TableDef};
use driftdb_engine::history::{PointIn, VersionFilter};
use driftdb_engine::value::DataType;

use crate::expr::Expr;

/// A bound statement.
#[derive(Debug, Clone)]
pub enum Plan {
    /// `CREATE TABLE`
    CreateTable {
        /// Schema.
        schema: String,
        /// Name.
        name: String,
        /// Columns.
        columns: Vec<NewColumn>,
        /// Primary-key column names.
        primary_key: Vec<String>,
        /// `IF NOT EXISTS`
        if_not_exists: bool,
    },
    /// `DROP TABLE`
    DropTable {
        /// Schema.
        schema: String,
        /// Name.
        name: String,
        /// `IF EXISTS`
        if_exists: bool,
    },
    /// `INSERT INTO … VALUES`
    Insert {
        /// The table.
        table: TableDef,
        /// Rows, one expression per table column (defaults already filled in).
        rows: Vec<Vec<Expr>>,
    },
    /// `UPDATE`
    Update {
        /// The table.
        table: TableDef,
        /// Which rows.
        filter: Option<Expr>,
        /// New values by column position.
        set: Vec<(usize, Expr)>,
    },
    /// `DELETE`
    Delete {
        /// The table.
        table: TableDef,
        /// Which rows.
        filter: Option<Expr>,
    },
    /// A query.
    Query(Query),
    /// `RESTORE TABLE t TO <point>`: the rows of the point written anew.
    Restore {
        /// The table, as defined now.
        table: TableDef,
        /// The seq whose rows come back.
        seq: u64,
    },
    /// `UNDROP TABLE`
    Undrop {
        /// Schema.
        schema: String,
        /// Name.
        name: String,
    },
    /// `SET drift.as_of = …` (`Some`) or `RESET drift.as_of` (`None`).
    SetAsOf(Option<PointIn>),
    /// `SET application_name = …`
    SetApplicationName(String),
    /// `BEGIN`
    Begin,
    /// `COMMIT`
    Commit,
    /// `ROLLBACK`
    Rollback,
}

/// Where a query's rows come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// No FROM: one row with no columns.
    Nothing,
    /// A table, read in the present or through history.
    Table {
        /// The definition rows are read under.
        def: TableDef,
        /// `None`: the present, with the transaction's own changes.
        versions: Option<VersionFilter>,
    },
}

/// A single-table query.
#[derive(Debug, Clone)]
pub struct Query {
    /// The input rows: the table's columns, then the hidden columns
    /// `_seq_from`, `_seq_to`, `_system_from`, `_system_to`.
    pub source: Source,
    /// `WHERE`
    pub filter: Option<Expr>,
    /// Output columns: name, type (when known) and expression.
    pub projection: Vec<(String, Option<DataType>, Expr)>,
    /// `ORDER BY`: expression, ascending, NULLs first.
    pub order_by: Vec<(Expr, bool, bool)>,
    /// `LIMIT`
    pub limit: Option<u64>,
    /// `OFFSET`
    pub offset: u64,
}

/// Names of the hidden system columns, in input-row order after the table's.
pub const HIDDEN_COLUMNS: [&str; 4] = ["_seq_from", "_seq_to", "_system_from", "_system_to"];
