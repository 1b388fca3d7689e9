//! The type of a bound expression, as PostgreSQL would report it in a row
//! description (`None` when it cannot be known before running).

use driftdb_engine::value::DataType;

use crate::expr::{BinOp, Expr, Func, SubqueryKind};
use crate::rel::AggFunc;

fn numeric_rank(t: DataType) -> Option<u8> {
    match t {
        DataType::Int2 => Some(1),
        DataType::Int4 => Some(2),
        DataType::Int8 => Some(3),
        DataType::Float4 => Some(4),
        DataType::Float8 => Some(5),
        _ => None,
    }
}

/// The type of `e` over an input row whose positions have `input` types.
pub fn type_of(e: &Expr, input: &[Option<DataType>]) -> Option<DataType> {
    let t = |e: &Expr| type_of(e, input);
    match e {
        Expr::Const(v) => v.data_type(),
        Expr::Unknown(_) => Some(DataType::Text),
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
            match (a.and_then(numeric_rank), b.and_then(numeric_rank)) {
                (Some(x), Some(y)) => {
                    if x >= y {
                        a
                    } else {
                        b
                    }
                }
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
            Func::Coalesce | Func::Greatest | Func::Least => args.iter().find_map(|a| match a {
                Expr::Unknown(_) | Expr::Const(driftdb_engine::value::Value::Null) => None,
                a => t(a),
            }),
        },
        Expr::Subquery(s) => match s.kind {
            SubqueryKind::Scalar => None,
            _ => Some(DataType::Bool),
        },
        Expr::Agg(a) => match a.func {
            AggFunc::Count => Some(DataType::Int8),
            AggFunc::Avg => Some(DataType::Float8),
            AggFunc::BoolAnd | AggFunc::BoolOr => Some(DataType::Bool),
            AggFunc::StringAgg => Some(DataType::Text),
            AggFunc::Sum => match a.args.first().and_then(t) {
                Some(DataType::Int2 | DataType::Int4 | DataType::Int8) => Some(DataType::Int8),
                other => other,
            },
            AggFunc::Min | AggFunc::Max => a.args.first().and_then(t),
        },
    }
}
