//! SQL's special syntax for some functions, bound to the library's plain
//! calls: `INTERVAL '…' [unit]`, `SUBSTRING(x FROM a FOR b)`,
//! `TRIM([BOTH|LEADING|TRAILING] [chars] FROM x)`, `POSITION(a IN b)`,
//! `EXTRACT(field FROM x)`, `CEIL(x)` and `FLOOR(x)`.

use sqlparser::ast::{self, CeilFloorKind, DateTimeField, TrimWhereField};

use driftdb_engine::text::parse_text;
use driftdb_engine::value::{DataType, Value};

use super::Binder;
use super::scope::Level;
use crate::error::{Result, SqlError};
use crate::expr::{Expr, Func};
use crate::func::registry;

impl Binder<'_, '_> {
    /// The call `e` is, when it is one of the special forms; `None` otherwise.
    pub(crate) fn function_syntax(&self, e: &ast::Expr, level: &Level<'_>) -> Result<Option<Expr>> {
        use ast::Expr as E;
        let bind = |e: &ast::Expr| self.expr(e, level);
        Ok(Some(match e {
            E::Interval(iv) => interval_literal(iv)?,
            E::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![bind(expr)?];
                match (substring_from, substring_for) {
                    (Some(from), Some(count)) => {
                        args.push(bind(from)?);
                        args.push(bind(count)?);
                    }
                    (Some(from), None) => args.push(bind(from)?),
                    (None, Some(count)) => {
                        args.push(Expr::Const(Value::Int4(1)));
                        args.push(bind(count)?);
                    }
                    (None, None) => return Err(no_args("substring")),
                }
                call("substring", args)?
            }
            E::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                let name = match trim_where {
                    Some(TrimWhereField::Leading) => "ltrim",
                    Some(TrimWhereField::Trailing) => "rtrim",
                    Some(TrimWhereField::Both) | None => "btrim",
                };
                let mut args = vec![bind(expr)?];
                if let Some(chars) = trim_what {
                    args.push(bind(chars)?);
                }
                for chars in trim_characters.iter().flatten() {
                    args.push(bind(chars)?);
                }
                call(name, args)?
            }
            E::Position { expr, r#in } => call("strpos", vec![bind(r#in)?, bind(expr)?])?,
            E::Extract { field, expr, .. } => {
                let name = field_name(field);
                call("extract", vec![Expr::Const(Value::Text(name)), bind(expr)?])?
            }
            E::Ceil { expr, field } | E::Floor { expr, field } => {
                let name = if matches!(e, E::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                if !matches!(
                    field,
                    CeilFloorKind::DateTimeField(DateTimeField::NoDateTime)
                ) {
                    return Err(SqlError::new(
                        "42883",
                        format!("function {name}() with 2 arguments does not exist"),
                    ));
                }
                call(name, vec![bind(expr)?])?
            }
            _ => return Ok(None),
        }))
    }
}

/// The output column name PostgreSQL gives a special form (the function
/// it calls; `interval` for an `INTERVAL` literal).
pub(super) fn column_name(e: &ast::Expr) -> Option<&'static str> {
    use ast::Expr as E;
    Some(match e {
        E::Interval(_) => "interval",
        E::Substring { .. } => "substring",
        E::Trim {
            trim_where: Some(TrimWhereField::Leading),
            ..
        } => "ltrim",
        E::Trim {
            trim_where: Some(TrimWhereField::Trailing),
            ..
        } => "rtrim",
        E::Trim { .. } => "btrim",
        E::Position { .. } => "position",
        E::Extract { .. } => "extract",
        E::Ceil { .. } => "ceil",
        E::Floor { .. } => "floor",
        _ => return None,
    })
}

/// A call of the library function `name`.
fn call(name: &str, args: Vec<Expr>) -> Result<Expr> {
    let builtin = registry::lookup(name).ok_or_else(|| no_args(name))?;
    Ok(Expr::Call(Func::Lib(builtin), args))
}

fn no_args(name: &str) -> SqlError {
    SqlError::new("42883", format!("function {name}() does not exist"))
}

/// An `EXTRACT` field's name, lower case (`year`, `epoch`, …).
fn field_name(field: &DateTimeField) -> String {
    match field {
        DateTimeField::Custom(ident) => ident.value.to_lowercase(),
        other => other.to_string().to_lowercase(),
    }
}

/// `INTERVAL '1 day'`, or `INTERVAL '2' HOUR` (a bare number in the unit
/// named after it).
fn interval_literal(iv: &ast::Interval) -> Result<Expr> {
    let text = match &*iv.value {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            other => return Err(SqlError::unsupported(format!("interval literal {other}"))),
        },
        other => return Err(SqlError::unsupported(format!("interval literal {other}"))),
    };
    let text = match (&iv.leading_field, &iv.last_field) {
        (None, None) => text,
        (Some(unit), None) if text.trim().parse::<f64>().is_ok() => {
            format!("{text} {}", field_name(unit))
        }
        _ => {
            return Err(SqlError::unsupported(
                "an INTERVAL field qualifier on this literal",
            ));
        }
    };
    Ok(Expr::Const(parse_text(&text, DataType::Interval)?))
}
