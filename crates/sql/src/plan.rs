//! Logical plans: what a statement does, with names resolved and expressions
//! bound, before execution.

use driftdb_engine::catalog::{FkAction, NewColumn, TableDef, ViewDef};
use driftdb_engine::history::PointIn;
use driftdb_engine::sequence::{SequenceDef, SequenceOptions};
use driftdb_engine::table::UniqueKey;
use driftdb_engine::value::DataType;

use crate::bind::{Bound, Column};
use crate::copy::CopyFormat;
use crate::expr::Expr;
use crate::rel::Rel;

/// A bound statement.
#[derive(Debug, Clone)]
pub enum Plan {
    /// `CREATE TABLE`
    CreateTable(NewTable),
    /// `CREATE TABLE … AS query`: the table, then the query's rows.
    CreateTableAs {
        /// The table, its columns those of the query.
        table: NewTable,
        /// The rows (`None`: `WITH NO DATA`).
        query: Option<Rel>,
    },
    /// `CREATE SEQUENCE`
    CreateSequence {
        /// The sequence (its id is given when it is created).
        sequence: SequenceDef,
        /// `IF NOT EXISTS`
        if_not_exists: bool,
    },
    /// `COMMENT ON TABLE t` or `COMMENT ON COLUMN t.c` (`None`: `IS NULL`,
    /// which removes it).
    Comment {
        /// The table.
        table: TableDef,
        /// The column, for `COMMENT ON COLUMN`.
        column: Option<String>,
        /// The comment.
        comment: Option<String>,
    },
    /// `DROP SEQUENCE`
    DropSequence {
        /// Schema.
        schema: String,
        /// Name.
        name: String,
        /// `IF EXISTS`
        if_exists: bool,
    },
    /// `ALTER TABLE`
    AlterTable {
        /// The table as it is.
        table: TableDef,
        /// What changes.
        op: AlterOp,
    },
    /// `CREATE [UNIQUE] INDEX`
    CreateIndex {
        /// The table.
        table: TableDef,
        /// Index name.
        name: String,
        /// Indexed columns.
        columns: Vec<String>,
        /// `UNIQUE`
        unique: bool,
        /// `IF NOT EXISTS`
        if_not_exists: bool,
    },
    /// `DROP INDEX`
    DropIndex {
        /// Schema.
        schema: String,
        /// Name.
        name: String,
        /// `IF EXISTS`
        if_exists: bool,
    },
    /// `CREATE VIEW`
    CreateView {
        /// The view.
        view: ViewDef,
        /// `OR REPLACE`
        or_replace: bool,
    },
    /// `DROP VIEW`
    DropView {
        /// Schema.
        schema: String,
        /// Name.
        name: String,
        /// `IF EXISTS`
        if_exists: bool,
    },
    /// `CREATE SCHEMA`
    CreateSchema {
        /// Name.
        name: String,
        /// `IF NOT EXISTS`
        if_not_exists: bool,
    },
    /// `DROP SCHEMA`
    DropSchema {
        /// Name.
        name: String,
        /// `IF EXISTS`
        if_exists: bool,
        /// `CASCADE`: drop its tables and views too.
        cascade: bool,
    },
    /// `TRUNCATE`
    Truncate {
        /// The tables.
        tables: Vec<TableDef>,
        /// `RESTART IDENTITY`: their columns' sequences start over.
        restart_identity: bool,
    },
    /// A statement with nothing to do (e.g. `IF EXISTS` of a missing object):
    /// its command tag.
    Nothing(String),
    /// Several statements in one (`DROP TABLE a, b`), run in order.
    Many(Vec<Plan>),
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
        /// `CHECK` constraints: name and condition over the row.
        checks: Vec<(String, Expr)>,
        /// `ON CONFLICT`
        on_conflict: Option<OnConflict>,
        /// `RETURNING`
        returning: Option<Returning>,
    },
    /// `UPDATE`
    Update {
        /// The table.
        table: TableDef,
        /// `FROM`: the other tables' rows, joined; a row of the table is
        /// updated with the first of them the filter accepts with it.
        from: Option<Rel>,
        /// Which rows.
        filter: Option<Expr>,
        /// New values by column position.
        set: Vec<(usize, Expr)>,
        /// `CHECK` constraints: name and condition over the row.
        checks: Vec<(String, Expr)>,
        /// `RETURNING`
        returning: Option<Returning>,
    },
    /// `DELETE`
    Delete {
        /// The table.
        table: TableDef,
        /// `USING`: the other tables' rows, joined; a row of the table is
        /// deleted when the filter accepts it with one of them.
        using: Option<Rel>,
        /// Which rows.
        filter: Option<Expr>,
        /// `RETURNING`
        returning: Option<Returning>,
    },
    /// A query.
    Query(Bound),
    /// `COPY … FROM STDIN`: rows the client sends next.
    CopyIn(CopyIn),
    /// `COPY … TO STDOUT`: rows written in a COPY format.
    CopyOut(CopyOut),
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
    /// `EXPLAIN [ANALYZE]`
    Explain(Box<crate::explain::Explain>),
}

/// A table as `CREATE TABLE` declares it.
#[derive(Debug, Clone)]
pub struct NewTable {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// Columns.
    pub columns: Vec<NewColumn>,
    /// Primary-key column names.
    pub primary_key: Vec<String>,
    /// `IF NOT EXISTS`
    pub if_not_exists: bool,
    /// `CHECK` constraints.
    pub checks: Vec<NewCheck>,
    /// `UNIQUE` constraints: name (when given) and columns.
    pub uniques: Vec<(Option<String>, Vec<String>)>,
    /// `FOREIGN KEY` constraints.
    pub foreign_keys: Vec<NewForeignKey>,
    /// `SERIAL` and identity columns: each gets a sequence of its own,
    /// named when the table is created.
    pub generated: Vec<GeneratedColumn>,
}

/// A column whose values come from a sequence it owns.
#[derive(Debug, Clone)]
pub struct GeneratedColumn {
    /// The column's position.
    pub column: usize,
    /// The sequence's options.
    pub options: SequenceOptions,
}

/// Statements that act on the session rather than on data.
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    /// `BEGIN` / `START TRANSACTION`
    Begin {
        /// `READ ONLY`: writes are refused (25006).
        read_only: bool,
        /// `ISOLATION LEVEL`: `Some(true)` for SERIALIZABLE, `Some(false)`
        /// for the others (all snapshot isolation); `None` takes
        /// `default_transaction_isolation`.
        serializable: Option<bool>,
    },
    /// `SET TRANSACTION ISOLATION LEVEL …` inside a block, before its first
    /// query: whether it asks for SERIALIZABLE.
    SetTransaction {
        /// SERIALIZABLE (else snapshot isolation).
        serializable: bool,
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
    /// `DEALLOCATE [PREPARE] name | ALL`: drivers send it for statements
    /// they prepared through the wire protocol, whose store is the
    /// server's; the session only acknowledges it.
    Deallocate {
        /// `ALL`
        all: bool,
    },
}

/// `COPY … FROM STDIN`: how each record the client sends becomes a row.
#[derive(Debug, Clone)]
pub struct CopyIn {
    /// The table.
    pub table: TableDef,
    /// The table columns the record's fields go to, in order.
    pub targets: Vec<usize>,
    /// Every column's default (for the columns the records leave out).
    pub defaults: Vec<Expr>,
    /// `CHECK` constraints: name and condition over the row.
    pub checks: Vec<(String, Expr)>,
    /// Text or CSV, and their options.
    pub format: CopyFormat,
}

/// `COPY … TO STDOUT`: a query's rows in a COPY format.
#[derive(Debug, Clone)]
pub struct CopyOut {
    /// The rows.
    pub query: Bound,
    /// Text or CSV, and their options.
    pub format: CopyFormat,
}

/// A `CHECK` constraint as declared.
#[derive(Debug, Clone)]
pub struct NewCheck {
    /// Its name, when given.
    pub name: Option<String>,
    /// The column it was declared on (names it `{table}_{column}_check`).
    pub column: Option<String>,
    /// The condition as SQL text.
    pub expr: String,
}

/// A `FOREIGN KEY` as declared.
#[derive(Debug, Clone)]
pub struct NewForeignKey {
    /// Its name, when given.
    pub name: Option<String>,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced schema.
    pub ref_schema: String,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns (empty: its primary key).
    pub ref_columns: Vec<String>,
    /// `ON DELETE`
    pub on_delete: FkAction,
    /// `ON UPDATE`
    pub on_update: FkAction,
}

/// One `ALTER TABLE` action.
#[derive(Debug, Clone)]
pub enum AlterOp {
    /// `ADD COLUMN`
    AddColumn {
        /// The column.
        column: NewColumn,
        /// `IF NOT EXISTS`
        if_not_exists: bool,
        /// Its default, bound: the value existing rows get.
        fill: Expr,
    },
    /// `DROP COLUMN`
    DropColumn {
        /// Its name.
        name: String,
        /// `IF EXISTS`
        if_exists: bool,
    },
    /// `RENAME COLUMN a TO b`
    RenameColumn {
        /// Old name.
        from: String,
        /// New name.
        to: String,
    },
    /// `RENAME TO`
    RenameTable(String),
    /// `ADD [CONSTRAINT n] UNIQUE (…)`
    AddUnique {
        /// Name, when given.
        name: Option<String>,
        /// Columns.
        columns: Vec<String>,
    },
    /// `ADD [CONSTRAINT n] CHECK (…)`, with the condition bound over the
    /// table's rows (existing rows must pass).
    AddCheck(NewCheck, Expr),
    /// `ADD [CONSTRAINT n] FOREIGN KEY …`
    AddForeignKey(NewForeignKey),
    /// `ADD [CONSTRAINT n] PRIMARY KEY (…)`: existing rows must be unique
    /// and not NULL there.
    AddPrimaryKey(Vec<String>),
    /// `DROP CONSTRAINT [IF EXISTS] name`
    DropConstraint {
        /// Its name.
        name: String,
        /// `IF EXISTS`
        if_exists: bool,
    },
    /// `ALTER [COLUMN] name …`
    AlterColumn {
        /// The column.
        column: String,
        /// What changes.
        change: ColumnChange,
    },
}

/// What `ALTER TABLE … ALTER COLUMN` changes.
#[derive(Debug, Clone)]
pub enum ColumnChange {
    /// `SET DEFAULT e`, the expression as SQL text.
    SetDefault(String),
    /// `DROP DEFAULT`
    DropDefault,
    /// `SET NOT NULL`: existing rows must have a value.
    SetNotNull,
    /// `DROP NOT NULL`
    DropNotNull,
    /// `[SET DATA] TYPE t [USING e]`: every row's value converted.
    SetType {
        /// The new type.
        data_type: DataType,
        /// The new value over the row (table columns, then hidden ones):
        /// `USING e`, else the column cast to the new type.
        using: Expr,
    },
}

/// `INSERT … ON CONFLICT`: which unique keys decide that a row conflicts
/// and what happens then.
#[derive(Debug, Clone)]
pub struct OnConflict {
    /// The arbiters: the unique keys checked (every one of them for
    /// `DO NOTHING` without a target).
    pub arbiters: Vec<UniqueKey>,
    /// `DO UPDATE SET …` (`None`: `DO NOTHING`).
    pub update: Option<ConflictUpdate>,
}

/// `DO UPDATE SET … [WHERE …]`, over the existing row (table columns and
/// hidden columns) followed by the proposed row as `EXCLUDED` (the same).
#[derive(Debug, Clone)]
pub struct ConflictUpdate {
    /// New values by column position.
    pub set: Vec<(usize, Expr)>,
    /// Which conflicting rows are updated.
    pub filter: Option<Expr>,
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
        /// Table column positions, one per query column (`None`: the
        /// value is dropped for the column's default, as `OVERRIDING USER
        /// VALUE` does to identity columns).
        targets: Vec<Option<usize>>,
        /// Every column's default, for the columns not targeted.
        defaults: Vec<Expr>,
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
    /// The columns of the rows the statement returns; `None` when it returns
    /// none (only a command tag).
    pub fn result_columns(&self) -> Option<Vec<Column>> {
        match self {
            Plan::Query(q) => Some(q.columns.clone()),
            Plan::Insert { returning, .. }
            | Plan::Update { returning, .. }
            | Plan::Delete { returning, .. } => returning.as_ref().map(|r| r.columns.clone()),
            Plan::Control(Control::Show(name)) => Some(vec![(name.clone(), Some(DataType::Text))]),
            Plan::Explain(_) => Some(vec![("QUERY PLAN".into(), Some(DataType::Text))]),
            _ => None,
        }
    }

    /// Whether the statement writes (and so is refused under `drift.as_of`).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Plan::Insert { .. }
                | Plan::Update { .. }
                | Plan::Delete { .. }
                | Plan::Restore { .. }
                | Plan::Undrop { .. }
                | Plan::CreateTable(_)
                | Plan::CreateTableAs { .. }
                | Plan::CreateSequence { .. }
                | Plan::DropSequence { .. }
                | Plan::Comment { .. }
                | Plan::DropTable { .. }
                | Plan::AlterTable { .. }
                | Plan::CreateIndex { .. }
                | Plan::DropIndex { .. }
                | Plan::CreateView { .. }
                | Plan::DropView { .. }
                | Plan::CreateSchema { .. }
                | Plan::DropSchema { .. }
                | Plan::Truncate { .. }
                | Plan::CopyIn(_)
        ) || matches!(self, Plan::Many(plans) if plans.iter().any(Plan::writes))
            || matches!(self, Plan::Explain(e) if e.analyze && e.plan.writes())
    }
}
