//! Reading a library function's arguments: an integer, a float or a
//! `numeric` (an untyped literal read as one, 22P02 when it is not), or the
//! 42883 error for an argument of a type the function does not take.

use driftdb_engine::numeric::Numeric;
use driftdb_engine::value::Value;

use crate::error::{Result, SqlError};
use crate::expr::{as_f64, as_i64, as_numeric, type_name};

/// 42883: `name` has no version for an argument like `v`.
pub(crate) fn wrong_type(name: &str, v: &Value) -> SqlError {
    SqlError::new(
        "42883",
        format!("function {name}({}) does not exist", type_name(v)),
    )
}

fn missing(name: &str) -> SqlError {
    SqlError::new("42883", format!("function {name}() needs more arguments"))
}

fn invalid(type_name: &str, text: &str) -> SqlError {
    SqlError::new(
        "22P02",
        format!("invalid input syntax for type {type_name}: \"{text}\""),
    )
}

/// An integer argument.
pub(crate) fn int(name: &str, v: Option<&Value>) -> Result<i64> {
    match v {
        Some(Value::Text(s)) => s.trim().parse().map_err(|_| invalid("integer", s)),
        Some(v) => as_i64(v).ok_or_else(|| wrong_type(name, v)),
        None => Err(missing(name)),
    }
}

/// A `double precision` argument.
pub(crate) fn float(name: &str, v: Option<&Value>) -> Result<f64> {
    match v {
        Some(Value::Text(s)) => s.trim().parse().map_err(|_| invalid("double precision", s)),
        Some(v) => as_f64(v).ok_or_else(|| wrong_type(name, v)),
        None => Err(missing(name)),
    }
}

/// A `numeric` argument (a float through its shortest digits).
pub(crate) fn numeric(name: &str, v: Option<&Value>) -> Result<Numeric> {
    match v {
        Some(Value::Text(s)) => Ok(Numeric::parse(s)?),
        Some(Value::Float4(f)) => Ok(Numeric::from_f32(*f)?),
        Some(Value::Float8(f)) => Ok(Numeric::from_f64(*f)?),
        Some(v) => as_numeric(v).ok_or_else(|| wrong_type(name, v)),
        None => Err(missing(name)),
    }
}
