//! The window operator's plan ([`super::Rel::Window`]): functions computed
//! for each input row over the rows of its partition, in the partition's
//! order, within the row's frame.

use driftdb_engine::value::Value;

use super::{AggCall, Rel, SortKey};
use crate::error::Result;
use crate::expr::Expr;

/// Window computation: rows are the input row followed by one value per call.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The input.
    pub input: Rel,
    /// The window function calls.
    pub calls: Vec<WindowCall>,
}

/// A function that is only a window function (not an aggregate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFunc {
    /// `row_number()`: the row's position in its partition, from 1.
    RowNumber,
    /// `rank()`: the position of the row's first peer (gaps after ties).
    Rank,
    /// `dense_rank()`: the number of the row's peer group (no gaps).
    DenseRank,
    /// `percent_rank()`: `(rank - 1) / (rows - 1)`, 0 for a single row.
    PercentRank,
    /// `cume_dist()`: rows up to the row's last peer over all rows.
    CumeDist,
    /// `ntile(n)`: the row's bucket when the partition is cut in `n`.
    Ntile,
    /// `lag(v [, offset [, default]])`: `v` of the row `offset` before.
    Lag,
    /// `lead(v [, offset [, default]])`: `v` of the row `offset` after.
    Lead,
    /// `first_value(v)`: `v` of the frame's first row.
    FirstValue,
    /// `last_value(v)`: `v` of the frame's last row.
    LastValue,
    /// `nth_value(v, n)`: `v` of the frame's `n`th row.
    NthValue,
}

impl WindowFunc {
    /// The function called `name`, with how many arguments it takes.
    pub fn by_name(name: &str) -> Option<(WindowFunc, std::ops::RangeInclusive<usize>)> {
        Some(match name {
            "row_number" => (WindowFunc::RowNumber, 0..=0),
            "rank" => (WindowFunc::Rank, 0..=0),
            "dense_rank" => (WindowFunc::DenseRank, 0..=0),
            "percent_rank" => (WindowFunc::PercentRank, 0..=0),
            "cume_dist" => (WindowFunc::CumeDist, 0..=0),
            "ntile" => (WindowFunc::Ntile, 1..=1),
            "lag" => (WindowFunc::Lag, 1..=3),
            "lead" => (WindowFunc::Lead, 1..=3),
            "first_value" => (WindowFunc::FirstValue, 1..=1),
            "last_value" => (WindowFunc::LastValue, 1..=1),
            "nth_value" => (WindowFunc::NthValue, 2..=2),
            _ => return None,
        })
    }
}

/// What a window call computes.
#[derive(Debug, Clone, PartialEq)]
pub enum WindowKind {
    /// A window function and its arguments over the input row.
    Func(WindowFunc, Vec<Expr>),
    /// An aggregate over the row's frame.
    Agg(AggCall),
}

/// How a frame's offsets count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameUnits {
    /// `ROWS`: rows.
    Rows,
    /// `RANGE`: values of the one `ORDER BY` key (peers go together).
    Range,
    /// `GROUPS`: peer groups.
    Groups,
}

/// One end of a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    /// `UNBOUNDED PRECEDING`: the partition's start.
    UnboundedPreceding,
    /// `offset PRECEDING` (a bigint for `ROWS` and `GROUPS`, a value of the
    /// key's difference type for `RANGE`).
    Preceding(Value),
    /// `CURRENT ROW` (with its peers, in `RANGE` and `GROUPS`).
    CurrentRow,
    /// `offset FOLLOWING`
    Following(Value),
    /// `UNBOUNDED FOLLOWING`: the partition's end.
    UnboundedFollowing,
}

/// A window frame: the rows of the partition a row's aggregate and
/// `first_value`/`last_value`/`nth_value` see.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// `ROWS`, `RANGE` or `GROUPS`.
    pub units: FrameUnits,
    /// Where it starts.
    pub start: FrameBound,
    /// Where it ends (inclusive).
    pub end: FrameBound,
}

impl Default for Frame {
    /// PostgreSQL's default: `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT
    /// ROW`, so the row's peers are in.
    fn default() -> Self {
        Frame {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: FrameBound::CurrentRow,
        }
    }
}

/// One window function call with its window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCall {
    /// The function.
    pub kind: WindowKind,
    /// `PARTITION BY`
    pub partition: Vec<Expr>,
    /// `ORDER BY` within the partition (peers are rows equal on all keys).
    pub order: Vec<SortKey>,
    /// The frame.
    pub frame: Frame,
}

impl WindowCall {
    /// The expressions inside the call (arguments, filter, partition and
    /// order keys).
    pub fn exprs(&self) -> Vec<&Expr> {
        let own: Vec<&Expr> = match &self.kind {
            WindowKind::Func(_, args) => args.iter().collect(),
            WindowKind::Agg(a) => a.args.iter().chain(&a.filter).collect(),
        };
        own.into_iter()
            .chain(&self.partition)
            .chain(self.order.iter().map(|k| &k.expr))
            .collect()
    }

    /// The call with each expression inside replaced by `f(expr)`.
    pub fn map_exprs(self, f: &mut dyn FnMut(Expr) -> Result<Expr>) -> Result<WindowCall> {
        let kind = match self.kind {
            WindowKind::Func(func, args) => {
                WindowKind::Func(func, args.into_iter().map(&mut *f).collect::<Result<_>>()?)
            }
            WindowKind::Agg(a) => WindowKind::Agg(AggCall {
                args: a.args.into_iter().map(&mut *f).collect::<Result<_>>()?,
                filter: a.filter.map(&mut *f).transpose()?,
                ..a
            }),
        };
        Ok(WindowCall {
            kind,
            partition: self
                .partition
                .into_iter()
                .map(&mut *f)
                .collect::<Result<_>>()?,
            order: self
                .order
                .into_iter()
                .map(|k| {
                    Ok(SortKey {
                        expr: f(k.expr)?,
                        ..k
                    })
                })
                .collect::<Result<_>>()?,
            frame: self.frame,
        })
    }

    /// Whether `other` has the same window (so one sort serves both).
    pub fn same_window(&self, other: &WindowCall) -> bool {
        self.partition == other.partition && self.order == other.order
    }
}
