//! The type of a bound expression, as PostgreSQL would report it in a row
//! description (`None` when it cannot be known before running).

use driftdb_engine::value::DataType;

use crate::expr::{BinOp, Expr, Func, SubqueryKind};
use crate::rel::window::{WindowFunc, WindowKind};
use crate::rel::{AggFunc, SeriesFunc};

/// The type of arithmetic over numbers of types `a` and `b`: the higher in
/// PostgreSQL's promotions, except that `real` with `numeric` is `double
/// precision`; a `NUMERIC(p, s)` result has no precision of its own.
fn arithmetic_type(a: DataType, b: DataType) -> Option<DataType> {
    let (x, y) = (a.numeric_rank()?, b.numeric_rank()?);
    let numeric = DataType::Numeric(None).numeric_rank();
    Some(match if x >= y { a } else { b } {
        DataType::Float4 if Some(x.min(y)) == numeric => DataType::Float8,
        DataType::Numeric(_) => DataType::Numeric(None),
        t => t,
    })
}

/// The type of `e` over an input row whose positions have `input` types.
pub fn type_of(e: &Expr, input: &[Option<DataType>]) -> Option<DataType> {
    let t = |e: &Expr| type_of(e, input);
    match e {
        Expr::Const(v) => v.data_type(),
        Expr::Unknown(_) => Some(DataType::Text),
        Expr::Param(_, t) => Some(*t),
        Expr::Column(i) => input.get(*i).copied().flatten(),
        Expr::Outer { .. } => None,
        Expr::Cast(_, to) => Some(*to),
        Expr::IsNull(..)
        | Expr::Not(_)
        | Expr::IsDistinct(..)
        | Expr::Like(_)
        | Expr::InList { .. } => Some(DataType::Bool),
        Expr::Binary(
            BinOp::Eq
            | BinOp::NotEq
            | BinOp::Lt
            | BinOp::LtEq
            | BinOp::Gt
            | BinOp::GtEq
            | BinOp::And
            | BinOp::Or,
            ..,
        ) => Some(DataType::Bool),
        Expr::Binary(BinOp::Concat, ..) => Some(DataType::Text),
        Expr::Binary(_, l, r) => {
            let (a, b) = (t(l), t(r));
            match (a, b) {
                (Some(x), Some(y)) => arithmetic_type(x, y).or(a),
                _ => a.or(b),
            }
        }
        Expr::Neg(e) => t(e),
        Expr::Case {
            whens, otherwise, ..
        } => whens
            .iter()
            .map(|(_, then)| then)
            .chain(otherwise.iter().map(|e| &**e))
            .find_map(|e| match e {
                Expr::Unknown(_) | Expr::Const(driftdb_engine::value::Value::Null) => None,
                e => t(e),
            })
            .or(Some(DataType::Text)),
        Expr::Call(func, args) => match func {
            Func::Lower | Func::Upper | Func::Rtrim => Some(DataType::Text),
            Func::Length => Some(DataType::Int4),
            Func::Abs | Func::Nullif => args.first().and_then(t),
            Func::Regex(_) => Some(DataType::Bool),
            Func::Catalog(c) => c.result_type(),
            Func::Sequence(_) => Some(DataType::Int8),
            Func::Array(a) => a.result_type(&args.iter().map(t).collect::<Vec<_>>()),
            Func::Json(j) => j.result_type(&args.iter().map(t).collect::<Vec<_>>()),
            Func::Series(SeriesFunc::Json(j)) => Some(j.result_type()),
            Func::Series(SeriesFunc::Unnest) => {
                args.first().and_then(t).and_then(DataType::element)
            }
            Func::Series(SeriesFunc::GenerateSeries) => args.first().and_then(t),
            Func::Series(SeriesFunc::GenerateSubscripts) => Some(DataType::Int4),
            Func::Series(SeriesFunc::PartitionAncestors) => Some(DataType::Int8),
            Func::Coalesce | Func::Greatest | Func::Least => args.iter().find_map(|a| match a {
                Expr::Unknown(_) | Expr::Const(driftdb_engine::value::Value::Null) => None,
                a => t(a),
            }),
        },
        Expr::Subquery(s) => match s.kind {
            SubqueryKind::Scalar => None,
            SubqueryKind::Array(element) => DataType::array_of(element).ok(),
            _ => Some(DataType::Bool),
        },
        Expr::Agg(a) => match a.func {
            AggFunc::Count => Some(DataType::Int8),
            AggFunc::Grouping => Some(DataType::Int4),
            AggFunc::PercentileCont => match a.args.first().and_then(t) {
                Some(DataType::Array(_)) => DataType::array_of(DataType::Float8).ok(),
                _ => Some(DataType::Float8),
            },
            AggFunc::PercentileDisc => {
                let v = a.order.first().and_then(|k| t(&k.expr));
                match a.args.first().and_then(t) {
                    Some(DataType::Array(_)) => v.and_then(|v| DataType::array_of(v).ok()),
                    _ => v,
                }
            }
            AggFunc::Mode => a.order.first().and_then(|k| t(&k.expr)),
            AggFunc::Avg => match a.args.first().and_then(t) {
                Some(DataType::Float4 | DataType::Float8) => Some(DataType::Float8),
                Some(DataType::Interval) => Some(DataType::Interval),
                _ => Some(DataType::Numeric(None)),
            },
            AggFunc::BoolAnd | AggFunc::BoolOr => Some(DataType::Bool),
            AggFunc::StringAgg => Some(DataType::Text),
            AggFunc::ArrayAgg => a
                .args
                .first()
                .and_then(t)
                .and_then(|e| DataType::array_of(e).ok()),
            AggFunc::Sum => match a.args.first().and_then(t) {
                Some(DataType::Int2 | DataType::Int4) => Some(DataType::Int8),
                Some(DataType::Int8 | DataType::Numeric(_)) => Some(DataType::Numeric(None)),
                other => other,
            },
            AggFunc::Min | AggFunc::Max => a.args.first().and_then(t),
            AggFunc::Json(j) => Some(j.result_type()),
        },
        Expr::Window(w) => match &w.kind {
            WindowKind::Agg(a) => t(&Expr::Agg(Box::new(a.clone()))),
            WindowKind::Func(f, args) => match f {
                WindowFunc::RowNumber | WindowFunc::Rank | WindowFunc::DenseRank => {
                    Some(DataType::Int8)
                }
                WindowFunc::Ntile => Some(DataType::Int4),
                WindowFunc::PercentRank | WindowFunc::CumeDist => Some(DataType::Float8),
                WindowFunc::Lag
                | WindowFunc::Lead
                | WindowFunc::FirstValue
                | WindowFunc::LastValue
                | WindowFunc::NthValue => args.first().and_then(t),
            },
        },
    }
}
