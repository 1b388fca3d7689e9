//! Logical plans: what a statement does, with names resolved and expressions
//! bound, before execution.

use driftdb_engine::catalog::{NewColumn, TableDef};
use driftdb_engine::history::PointIn;

use crate::bind::{Bound, Column};
use crate::expr::Expr;
use crate::rel::Rel;

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
    /// `INSERT`
    Insert {
        /// The table.
        table: TableDef,
        /// The rows.
        source: InsertSource,
        /// `RETURNING`
        returning: Option<Returning>,
    },
    /// `UPDATE`
    Update {
        /// The table.
        table: TableDef,
        /// Which rows.
        filter: Option<Expr>,
        /// New values by column position.
        set: Vec<(usize, Expr)>,
        /// `RETURNING`
        returning: Option<Returning>,
    },
    /// `DELETE`
    Delete {
        /// The table.
        table: TableDef,
        /// Which rows.
        filter: Option<Expr>,
        /// `RETURNING`
        returning: Option<Returning>,
    },
    /// A query.
    Query(Bound),
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
    /// Transaction and session control, which the session runs itself.
    Control(Control),
}

/// Statements that act on the session rather than on data.
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    /// `BEGIN` / `START TRANSACTION`
    Begin {
        /// `READ ONLY`: writes are refused (25006).
        read_only: bool,
    },
    /// `COMMIT`
    Commit,
    /// `ROLLBACK`
    Rollback,
    /// `SAVEPOINT name`
    Savepoint(String),
    /// `RELEASE [SAVEPOINT] name`
    Release(String),
    /// `ROLLBACK TO [SAVEPOINT] name`
    RollbackTo(String),
    /// `SET drift.as_of = …` (`Some`) or `RESET drift.as_of` (`None`).
    SetAsOf(Option<PointIn>),
    /// `SET name = value` (`Some`) or `RESET name` (`None`).
    Set {
        /// Lower-case parameter name.
        name: String,
        /// The value as text.
        value: Option<String>,
    },
    /// `RESET ALL`
    ResetAll,
    /// `SHOW name`
    Show(String),
}

/// The rows an `INSERT` writes.
#[derive(Debug, Clone)]
pub enum InsertSource {
    /// `VALUES` rows, one expression per table column (NULL where not given).
    Values(Vec<Vec<Expr>>),
    /// A query's rows, its columns going to the table columns at `targets`.
    Query {
        /// The query.
        rel: Rel,
        /// Table column positions, one per query column.
        targets: Vec<usize>,
    },
}

/// A `RETURNING` list over the written row (table columns, then the hidden
/// columns, which read as NULL).
#[derive(Debug, Clone)]
pub struct Returning {
    /// Output columns.
    pub columns: Vec<Column>,
    /// Their values.
    pub exprs: Vec<Expr>,
}

impl Plan {
    /// Whether the statement writes (and so is refused under `drift.as_of`).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Plan::Insert { .. }
                | Plan::Update { .. }
                | Plan::Delete { .. }
                | Plan::Restore { .. }
                | Plan::Undrop { .. }
                | Plan::CreateTable { .. }
                | Plan::DropTable { .. }
        )
    }
}
