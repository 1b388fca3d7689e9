//! Relational plans: the tree of operators a query runs as. Every operator
//! produces rows (`Vec<Value>`) whose positions the expressions above it name.

use std::ops::Bound;

use driftdb_engine::catalog::{IndexDef, TableDef};
use driftdb_engine::history::VersionFilter;

use crate::expr::Expr;

pub mod window;

/// A relational operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Rel {
    /// Literal rows (`VALUES`, or one empty row for a query without `FROM`).
    Values(Vec<Vec<Expr>>),
    /// A table's rows: its columns, then the hidden columns `_seq_from`,
    /// `_seq_to`, `_system_from`, `_system_to`.
    Scan(Box<Scan>),
    /// The input rows for which the predicate is true.
    Filter(Box<Rel>, Expr),
    /// One output row per input row, of these expressions.
    Project(Box<Rel>, Vec<Expr>),
    /// A projection with set-returning functions (`SELECT unnest(a)`): per
    /// input row, as many rows as the longest set, the shorter ones padded
    /// with NULL and the other expressions repeated (PostgreSQL 10's rule).
    ProjectSet(Box<Rel>, Vec<Expr>),
    /// A join: rows are the left row followed by the right row.
    Join(Box<Join>),
    /// A join with a `LATERAL` right side (inner or left): the right side
    /// runs once per left row, which its expressions read as the innermost
    /// enclosing row ([`crate::expr::Expr::Outer`] at depth 1).
    Lateral(Box<Join>),
    /// Grouping: rows are the group's key values (NULL where its grouping
    /// set leaves the key out), the number of its grouping set, then the
    /// aggregates.
    Aggregate(Box<Aggregate>),
    /// The input without duplicate rows.
    Distinct(Box<Rel>),
    /// `DISTINCT ON (keys)`: the first input row of each distinct value of
    /// the keys (the input comes sorted on them).
    DistinctOn(Box<Rel>, Vec<Expr>),
    /// Window functions: the input rows, each followed by the values of the
    /// window calls ([`window::Window`]).
    Window(Box<window::Window>),
    /// The input in this order.
    Sort(Box<Rel>, Vec<SortKey>),
    /// `OFFSET` then `LIMIT`.
    Limit {
        /// The input.
        input: Box<Rel>,
        /// At most this many rows.
        limit: Option<u64>,
        /// After skipping this many.
        offset: u64,
    },
    /// `UNION`, `INTERSECT`, `EXCEPT`.
    SetOp(Box<SetOp>),
    /// The `drift_commits` system table: one row per commit up to the
    /// transaction's snapshot (`seq`, `committed_at`, `user_name`,
    /// `application_name`, `tables`).
    Commits,
    /// `drift_diff(table, a, b)`: what changed in a table between two seqs.
    Diff(Box<Diff>),
    /// A `pg_catalog` or `information_schema` relation, generated from the
    /// catalog.
    System(crate::system::SystemScan),
    /// A set-returning function in `FROM` (`unnest`, `generate_series`,
    /// `pg_partition_ancestors`); its arguments may read enclosing rows.
    Series(Box<Series>),
    /// `WITH RECURSIVE`: a recursive query's rows.
    Recursive(Box<Recursive>),
    /// The working table of the recursive query with this id: the rows its
    /// last iteration added (read by its recursive term only).
    WorkTable(usize),
}

/// A recursive query, `base UNION [ALL] step`: the rows of `base`, then
/// those of `step` run over the rows the previous round added, until a
/// round adds none.
#[derive(Debug, Clone, PartialEq)]
pub struct Recursive {
    /// Names the working table `step` reads ([`Rel::WorkTable`]).
    pub id: usize,
    /// The non-recursive term.
    pub base: Rel,
    /// The recursive term, its columns of the base's types.
    pub step: Rel,
    /// `UNION` (not `ALL`): a row already returned is not returned again,
    /// nor given to the next round.
    pub distinct: bool,
    /// The query's name and column names (what `EXPLAIN` shows).
    pub names: (String, Vec<String>),
}

/// A set-returning function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesFunc {
    /// `unnest(array)`: one row per element.
    Unnest,
    /// `generate_subscripts(array, dim)`: the positions of the elements.
    GenerateSubscripts,
    /// `generate_series(start, stop [, step])`
    GenerateSeries,
    /// `pg_partition_ancestors(oid)`: the relation itself (no partitions).
    PartitionAncestors,
    /// `regexp_matches(text, pattern [, flags])`: a `text[]` of the groups
    /// of each match (every match with the `g` flag).
    RegexpMatches,
    /// `jsonb_array_elements`, `jsonb_each`, `jsonb_object_keys` …
    Json(crate::json::series::JsonSeries),
}

/// A set-returning function call in `FROM`.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Which function.
    pub func: SeriesFunc,
    /// Its arguments (evaluated once, against the enclosing rows).
    pub args: Vec<Expr>,
    /// `WITH ORDINALITY`: a second column numbering the rows from 1.
    pub ordinality: bool,
}

/// A `drift_diff` call, its points resolved to seqs.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// The table, under the definition rows are read with.
    pub def: TableDef,
    /// From this seq…
    pub from: u64,
    /// …to this one.
    pub to: u64,
}

/// A range of keys in the store, bounds owned.
pub type KeyBounds = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// A table read.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// The definition rows are read under (shared: a kept generic plan is
    /// copied for each execution).
    pub def: std::sync::Arc<TableDef>,
    /// `None`: the present, with the transaction's own changes.
    pub versions: Option<VersionFilter>,
    /// Only keys in this range (primary-key selection).
    pub range: KeyBounds,
    /// Read through this index, entries in this range (index selection).
    pub index: Option<(IndexDef, KeyBounds)>,
    /// Whether the hidden columns are read: then rows come from the committed
    /// versions as of the transaction's snapshot, which carry them.
    pub hidden: bool,
    /// Numbers the scans of a statement, so the binder can mark the ones whose
    /// hidden columns are read.
    pub id: usize,
    /// The name the query gives the table (its alias, else its name), which
    /// a locking clause's `OF` names.
    pub label: String,
    /// The locking clause (`FOR UPDATE`, `FOR SHARE`) whose rows it locks.
    pub lock: Option<&'static str>,
}

/// The kind of a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// `INNER JOIN` and `CROSS JOIN`
    Inner,
    /// `LEFT JOIN`
    Left,
    /// `RIGHT JOIN`
    Right,
    /// `FULL JOIN`
    Full,
}

/// A join of two inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// Inner or outer.
    pub kind: JoinKind,
    /// Left input.
    pub left: Rel,
    /// Right input.
    pub right: Rel,
    /// The condition over the joined row (`TRUE` for a cross join).
    pub on: Expr,
    /// Columns of the left input (for NULL padding).
    pub left_width: usize,
    /// Columns of the right input.
    pub right_width: usize,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    /// `count(*)` (no argument) or `count(e)`
    Count,
    /// `sum`
    Sum,
    /// `avg`
    Avg,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `bool_and`
    BoolAnd,
    /// `bool_or`
    BoolOr,
    /// `string_agg(text, delimiter)`
    StringAgg,
    /// `array_agg(e)`: the values, NULLs included, as an array.
    ArrayAgg,
    /// `GROUPING(keys…)`: which keys a row's grouping set leaves out; the
    /// binder turns it into a test of the set number.
    Grouping,
    /// `percentile_cont(f) WITHIN GROUP (ORDER BY v)`: the value at
    /// fraction `f` of the sorted values, interpolated (double precision).
    PercentileCont,
    /// `percentile_disc(f) WITHIN GROUP (ORDER BY v)`: the first value whose
    /// position in the sorted values reaches fraction `f`.
    PercentileDisc,
    /// `mode() WITHIN GROUP (ORDER BY v)`: the most frequent value.
    Mode,
    /// `jsonb_agg`, `jsonb_object_agg` and their `json` twins.
    Json(crate::json::agg::JsonAgg),
}

impl AggFunc {
    /// Whether it is an ordered-set aggregate (`WITHIN GROUP`), whose
    /// `order` sorts the values it reads and whose `args` are its direct
    /// arguments.
    pub fn is_ordered_set(self) -> bool {
        matches!(
            self,
            AggFunc::PercentileCont | AggFunc::PercentileDisc | AggFunc::Mode
        )
    }
}

/// One aggregate of a grouped query.
#[derive(Debug, Clone, PartialEq)]
pub struct AggCall {
    /// The function.
    pub func: AggFunc,
    /// Its arguments over the input row (none for `count(*)`).
    pub args: Vec<Expr>,
    /// `DISTINCT`: each distinct argument value once.
    pub distinct: bool,
    /// `FILTER (WHERE …)`
    pub filter: Option<Expr>,
    /// `ORDER BY` inside the call: the order values are aggregated in.
    pub order: Vec<SortKey>,
}

/// Grouping and aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The input.
    pub input: Rel,
    /// Group keys.
    pub group: Vec<Expr>,
    /// The grouping sets, as positions in `group`: each input row joins a
    /// group in every set. A set of no keys is one group over all rows,
    /// even when there are none.
    pub sets: Vec<Vec<usize>>,
    /// The aggregates.
    pub aggs: Vec<AggCall>,
}

/// One key of an `ORDER BY`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// What is sorted on.
    pub expr: Expr,
    /// Ascending.
    pub asc: bool,
    /// NULLs before the other values.
    pub nulls_first: bool,
}

/// Which set operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    /// `UNION`
    Union,
    /// `INTERSECT`
    Intersect,
    /// `EXCEPT`
    Except,
}

/// A set operation over two inputs of the same width.
#[derive(Debug, Clone, PartialEq)]
pub struct SetOp {
    /// Which one.
    pub kind: SetOpKind,
    /// `ALL`: keep duplicates.
    pub all: bool,
    /// Left input.
    pub left: Rel,
    /// Right input.
    pub right: Rel,
}

impl Rel {
    /// Calls `f` on every scan in the tree (not inside subqueries).
    pub fn scans_mut(&mut self, f: &mut dyn FnMut(&mut Scan)) {
        match self {
            Rel::Values(_)
            | Rel::Commits
            | Rel::Diff(_)
            | Rel::System(_)
            | Rel::Series(_)
            | Rel::WorkTable(_) => {}
            Rel::Scan(s) => f(s),
            Rel::Filter(i, _)
            | Rel::Project(i, _)
            | Rel::ProjectSet(i, _)
            | Rel::Distinct(i)
            | Rel::DistinctOn(i, _)
            | Rel::Sort(i, _)
            | Rel::Limit { input: i, .. } => i.scans_mut(f),
            Rel::Join(j) | Rel::Lateral(j) => {
                j.left.scans_mut(f);
                j.right.scans_mut(f);
            }
            Rel::Aggregate(a) => a.input.scans_mut(f),
            Rel::Window(w) => w.input.scans_mut(f),
            Rel::SetOp(s) => {
                s.left.scans_mut(f);
                s.right.scans_mut(f);
            }
            Rel::Recursive(r) => {
                r.base.scans_mut(f);
                r.step.scans_mut(f);
            }
        }
    }
}
