//! Bound expressions and their evaluation, with SQL's three-valued logic.

use std::cmp::Ordering;

use driftdb_engine::text::{format_text, parse_text, type_name as text_type_name};
use driftdb_engine::value::{DataType, Value};

use crate::error::{Result, SqlError};

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `%`
    Modulo,
    /// `||`
    Concat,
}

/// An expression with its column references resolved to row positions.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A typed constant.
    Const(Value),
    /// A string literal whose type comes from where it is used.
    Unknown(String),
    /// The value at this position of the input row.
    Column(usize),
    /// `NOT e`
    Not(Box<Expr>),
    /// `-e`
    Neg(Box<Expr>),
    /// `e IS NULL` (or `IS NOT NULL` when the flag is set).
    IsNull(Box<Expr>, bool),
    /// `l op r`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `CAST(e AS t)`
    Cast(Box<Expr>, DataType),
}

impl Expr {
    /// Whether the expression reads no column (and so folds to a constant).
    pub fn is_constant(&self) -> bool {
        match self {
            Expr::Const(_) | Expr::Unknown(_) => true,
            Expr::Column(_) => false,
            Expr::Not(e) | Expr::Neg(e) | Expr::IsNull(e, _) | Expr::Cast(e, _) => e.is_constant(),
            Expr::Binary(_, l, r) => l.is_constant() && r.is_constant(),
        }
    }

    /// The value of the expression for `row`.
    pub fn eval(&self, row: &[Value]) -> Result<Value> {
        Ok(match self {
            Expr::Const(v) => v.clone(),
            Expr::Unknown(s) => Value::Text(s.clone()),
            Expr::Column(i) => row.get(*i).cloned().ok_or_else(|| {
                SqlError::new("XX000", format!("column position {i} out of range"))
            })?,
            Expr::Not(e) => match e.eval(row)? {
                Value::Null => Value::Null,
                Value::Bool(b) => Value::Bool(!b),
                other => return Err(type_error("NOT", &other)),
            },
            Expr::Neg(e) => negate(e.eval(row)?)?,
            Expr::IsNull(e, negated) => Value::Bool(e.eval(row)?.is_null() != *negated),
            Expr::Cast(e, t) => cast(e.eval(row)?, *t)?,
            Expr::Binary(op, l, r) => binary(*op, l, r, row)?,
        })
    }

    /// Whether the expression is true for `row` (NULL and false are not).
    pub fn is_true(&self, row: &[Value]) -> Result<bool> {
        match self.eval(row)? {
            Value::Bool(b) => Ok(b),
            Value::Null => Ok(false),
            other => Err(SqlError::new(
                "42804",
                format!(
                    "argument of WHERE must be type boolean, not {}",
                    type_name(&other)
                ),
            )),
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    v.data_type().map_or("unknown", text_type_name)
}

fn type_error(op: &str, v: &Value) -> SqlError {
    SqlError::new(
        "42883",
        format!("operator does not exist: {op} {}", type_name(v)),
    )
}

fn out_of_range(what: &str) -> SqlError {
    SqlError::new("22003", format!("{what} out of range"))
}

fn negate(v: Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int2(i) => Value::Int2(i.checked_neg().ok_or_else(|| out_of_range("smallint"))?),
        Value::Int4(i) => Value::Int4(i.checked_neg().ok_or_else(|| out_of_range("integer"))?),
        Value::Int8(i) => Value::Int8(i.checked_neg().ok_or_else(|| out_of_range("bigint"))?),
        Value::Float4(f) => Value::Float4(-f),
        Value::Float8(f) => Value::Float8(-f),
        other => return Err(type_error("-", &other)),
    })
}

/// The rank of a numeric type in PostgreSQL's implicit promotions.
fn numeric_rank(v: &Value) -> Option<u8> {
    Some(match v {
        Value::Int2(_) => 1,
        Value::Int4(_) => 2,
        Value::Int8(_) => 3,
        Value::Float4(_) => 4,
        Value::Float8(_) => 5,
        _ => return None,
    })
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(i) => Some(i64::from(*i)),
        Value::Int4(i) => Some(i64::from(*i)),
        Value::Int8(i) => Some(*i),
        _ => None,
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Float4(f) => Some(f64::from(*f)),
        Value::Float8(f) => Some(*f),
        other => as_i64(other).map(|i| i as f64),
    }
}

fn binary(op: BinOp, l: &Expr, r: &Expr, row: &[Value]) -> Result<Value> {
    if let BinOp::And | BinOp::Or = op {
        let (a, b) = (truth(l.eval(row)?)?, truth(r.eval(row)?)?);
        return Ok(match (op, a, b) {
            (BinOp::And, Some(false), _) | (BinOp::And, _, Some(false)) => Value::Bool(false),
            (BinOp::And, Some(true), Some(true)) => Value::Bool(true),
            (BinOp::Or, Some(true), _) | (BinOp::Or, _, Some(true)) => Value::Bool(true),
            (BinOp::Or, Some(false), Some(false)) => Value::Bool(false),
            _ => Value::Null,
        });
    }
    let (mut a, mut b) = (l.eval(row)?, r.eval(row)?);
    // An untyped literal takes the type of the other side.
    if let (Expr::Unknown(s), Some(t)) = (l, b.data_type()) {
        a = parse_text(s, t)?;
    }
    if let (Expr::Unknown(s), Some(t)) = (r, a.data_type()) {
        b = parse_text(s, t)?;
    }
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    match op {
        BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq => {
            let ord = compare(&a, &b)?;
            Ok(Value::Bool(match op {
                BinOp::Eq => ord == Ordering::Equal,
                BinOp::NotEq => ord != Ordering::Equal,
                BinOp::Lt => ord == Ordering::Less,
                BinOp::LtEq => ord != Ordering::Greater,
                BinOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }))
        }
        BinOp::Concat => Ok(Value::Text(format!(
            "{}{}",
            format_text(&a).unwrap_or_default(),
            format_text(&b).unwrap_or_default()
        ))),
        _ => arithmetic(op, &a, &b),
    }
}

fn truth(v: Value) -> Result<Option<bool>> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        other => Err(SqlError::new(
            "42804",
            format!(
                "argument of AND/OR must be type boolean, not {}",
                type_name(&other)
            ),
        )),
    }
}

/// Orders two non-NULL values, promoting numbers as PostgreSQL does.
pub fn compare(a: &Value, b: &Value) -> Result<Ordering> {
    if let (Some(x), Some(y)) = (numeric_rank(a), numeric_rank(b))
        && x != y
    {
        return Ok(match (as_i64(a), as_i64(b)) {
            (Some(i), Some(j)) => i.cmp(&j),
            _ => {
                let (f, g) = (as_f64(a).unwrap_or(f64::NAN), as_f64(b).unwrap_or(f64::NAN));
                Value::Float8(f)
                    .sql_cmp(&Value::Float8(g))
                    .unwrap_or(Ordering::Equal)
            }
        });
    }
    a.sql_cmp(b).ok_or_else(|| {
        SqlError::new(
            "42883",
            format!(
                "operator does not exist: {} = {}",
                type_name(a),
                type_name(b)
            ),
        )
    })
}

fn arithmetic(op: BinOp, a: &Value, b: &Value) -> Result<Value> {
    let (Some(ra), Some(rb)) = (numeric_rank(a), numeric_rank(b)) else {
        return Err(SqlError::new(
            "42883",
            format!(
                "operator does not exist: {} {op:?} {}",
                type_name(a),
                type_name(b)
            ),
        ));
    };
    let rank = ra.max(rb);
    if rank >= 4 {
        let (x, y) = (as_f64(a).unwrap_or(0.0), as_f64(b).unwrap_or(0.0));
        let v = match op {
            BinOp::Plus => x + y,
            BinOp::Minus => x - y,
            BinOp::Multiply => x * y,
            BinOp::Divide if y == 0.0 => return Err(division_by_zero()),
            BinOp::Divide => x / y,
            BinOp::Modulo => {
                return Err(SqlError::new(
                    "42883",
                    "operator does not exist: double precision % double precision",
                ));
            }
            _ => return Err(SqlError::new("XX000", "not an arithmetic operator")),
        };
        return Ok(if rank == 4 {
            Value::Float4(v as f32)
        } else {
            Value::Float8(v)
        });
    }
    let (x, y) = (as_i64(a).unwrap_or(0), as_i64(b).unwrap_or(0));
    let v = match op {
        BinOp::Plus => x.checked_add(y),
        BinOp::Minus => x.checked_sub(y),
        BinOp::Multiply => x.checked_mul(y),
        BinOp::Divide | BinOp::Modulo if y == 0 => return Err(division_by_zero()),
        BinOp::Divide => x.checked_div(y),
        BinOp::Modulo => x.checked_rem(y),
        _ => return Err(SqlError::new("XX000", "not an arithmetic operator")),
    };
    let v = v.ok_or_else(|| out_of_range(int_name(rank)))?;
    match rank {
        1 => i16::try_from(v)
            .map(Value::Int2)
            .map_err(|_| out_of_range("smallint")),
        2 => i32::try_from(v)
            .map(Value::Int4)
            .map_err(|_| out_of_range("integer")),
        _ => Ok(Value::Int8(v)),
    }
}

fn int_name(rank: u8) -> &'static str {
    match rank {
        1 => "smallint",
        2 => "integer",
        _ => "bigint",
    }
}

fn division_by_zero() -> SqlError {
    SqlError::new("22012", "division by zero")
}

/// `CAST(v AS t)`: numbers convert directly (floats round to the nearest
/// integer, ties to even, as PostgreSQL's `rint`); everything else goes
/// through the text form, as PostgreSQL's I/O conversion casts do.
pub fn cast(v: Value, t: DataType) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let int_target = matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8);
    if let (true, Value::Float4(_) | Value::Float8(_)) = (int_target, &v) {
        let f = as_f64(&v).unwrap_or(f64::NAN).round_ties_even();
        if !f.is_finite() || f < i64::MIN as f64 || f > i64::MAX as f64 {
            return Err(out_of_range(int_name(3)));
        }
        return cast(Value::Int8(f as i64), t);
    }
    if let (true, Some(i)) = (int_target, as_i64(&v)) {
        return Ok(match t {
            DataType::Int2 => Value::Int2(i16::try_from(i).map_err(|_| out_of_range("smallint"))?),
            DataType::Int4 => Value::Int4(i32::try_from(i).map_err(|_| out_of_range("integer"))?),
            _ => Value::Int8(i),
        });
    }
    match (&v, t) {
        (_, DataType::Float8) if numeric_rank(&v).is_some() => {
            Ok(Value::Float8(as_f64(&v).unwrap_or(0.0)))
        }
        (_, DataType::Float4) if numeric_rank(&v).is_some() => {
            Ok(Value::Float4(as_f64(&v).unwrap_or(0.0) as f32))
        }
        (Value::Text(s), DataType::Varchar(Some(n))) if s.chars().count() > n as usize => {
            Err(SqlError::new(
                "22001",
                format!("value too long for type character varying({n})"),
            ))
        }
        (Value::Text(s), DataType::Char(n)) => {
            let len = s.chars().count();
            if len > n as usize && s.chars().skip(n as usize).any(|c| c != ' ') {
                return Err(SqlError::new(
                    "22001",
                    format!("value too long for type character({n})"),
                ));
            }
            let mut padded: String = s.chars().take(n as usize).collect();
            padded.extend(std::iter::repeat_n(' ', (n as usize).saturating_sub(len)));
            Ok(Value::Text(padded))
        }
        _ => Ok(parse_text(&format_text(&v).unwrap_or_default(), t)?),
    }
}
