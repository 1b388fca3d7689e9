//! SQL's special syntax for some functions, bound to the library's plain
//! calls: `INTERVAL '…' [unit]`, `SUBSTRING(x FROM a FOR b)`,
//! `TRIM([BOTH|LEADING|TRAILING] [chars] FROM x)`, `POSITION(a IN b)`,
//! `OVERLAY(a PLACING b FROM n [FOR m])`, `x AT TIME ZONE z`,
//! `EXTRACT(field FROM x)`, `CEIL(x)` and `FLOOR(x)`; named arguments.

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
            E::AtTimeZone {
                timestamp,
                time_zone,
            } => call("timezone", vec![bind(time_zone)?, bind(timestamp)?])?,
            E::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                let mut args = vec![bind(expr)?, bind(overlay_what)?, bind(overlay_from)?];
                if let Some(count) = overlay_for {
                    args.push(bind(count)?);
                }
                call("overlay", args)?
            }
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

impl Binder<'_, '_> {
    /// A library function called with named arguments
    /// (`make_interval(days => 10)`): each goes to its parameter's place,
    /// and a parameter left out takes its default, 0; `None` when no
    /// argument is named.
    pub(crate) fn named_call(
        &self,
        name: &str,
        f: &ast::Function,
        level: &Level<'_>,
    ) -> Result<Option<Expr>> {
        let ast::FunctionArguments::List(list) = &f.args else {
            return Ok(None);
        };
        if !list.args.iter().any(|a| {
            matches!(
                a,
                ast::FunctionArg::Named { .. } | ast::FunctionArg::ExprNamed { .. }
            )
        }) {
            return Ok(None);
        }
        let builtin = registry::lookup(name)
            .filter(|b| !b.params.is_empty())
            .ok_or_else(|| {
                SqlError::new(
                    "42883",
                    format!("function {name}() does not take named arguments"),
                )
            })?;
        let mut slots: Vec<Option<Expr>> = Vec::new();
        for (position, arg) in list.args.iter().enumerate() {
            let (index, e) = match arg {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => (position, e),
                ast::FunctionArg::Named {
                    name: param,
                    arg: ast::FunctionArgExpr::Expr(e),
                    ..
                }
                | ast::FunctionArg::ExprNamed {
                    name: ast::Expr::Identifier(param),
                    arg: ast::FunctionArgExpr::Expr(e),
                    ..
                } => {
                    let param = super::ident(param);
                    let index =
                        builtin
                            .params
                            .iter()
                            .position(|p| *p == param)
                            .ok_or_else(|| {
                                SqlError::new(
                                    "42883",
                                    format!("function {name}() has no parameter named \"{param}\""),
                                )
                            })?;
                    (index, e)
                }
                other => return Err(SqlError::unsupported(format!("function argument {other}"))),
            };
            if slots.len() <= index {
                slots.resize(index + 1, None);
            }
            if slots[index].is_some() {
                return Err(SqlError::new(
                    "42601",
                    format!("argument of {name}() given more than once"),
                ));
            }
            slots[index] = Some(self.expr(e, level)?);
        }
        if !builtin.accepts(slots.len())
            || (builtin.min_args > 0 && slots.iter().any(Option::is_none))
        {
            return Err(no_args(name));
        }
        let args = slots
            .into_iter()
            .map(|s| s.unwrap_or(Expr::Const(Value::Int4(0))))
            .collect();
        Ok(Some(Expr::Call(Func::Lib(builtin), args)))
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
        E::AtTimeZone { .. } => "timezone",
        E::Overlay { .. } => "overlay",
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

/// `INTERVAL '1 day'`; with a field qualifier (`INTERVAL '2' HOUR`,
/// `INTERVAL '1-2' YEAR TO MONTH`) a bare number counts the last field,
/// and fields below the last are dropped, as in PostgreSQL.
fn interval_literal(iv: &ast::Interval) -> Result<Expr> {
    let text = match &*iv.value {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            other => return Err(SqlError::unsupported(format!("interval literal {other}"))),
        },
        other => return Err(SqlError::unsupported(format!("interval literal {other}"))),
    };
    let Some(last) = iv.last_field.as_ref().or(iv.leading_field.as_ref()) else {
        return Ok(Expr::Const(parse_text(&text, DataType::Interval)?));
    };
    let unit = field_name(last);
    let trimmed = text.trim();
    let text = if trimmed.parse::<f64>().is_ok() {
        format!("{trimmed} {unit}")
    } else if let (Some(DateTimeField::Year), Some((years, months))) = (
        &iv.leading_field,
        trimmed.split_once('-').filter(|(y, _)| !y.is_empty()),
    ) {
        // SQL's year-month form: `1-2` is 1 year 2 months.
        format!("{years} years {months} months")
    } else {
        text
    };
    let Value::Interval(mut value) = parse_text(&text, DataType::Interval)? else {
        return Err(SqlError::new(
            "22007",
            format!("invalid interval \"{text}\""),
        ));
    };
    let keep_micros = |v: i64, unit: i64| v - v % unit;
    match unit.as_str() {
        "year" => {
            value.months -= value.months % 12;
            value.days = 0;
            value.micros = 0;
        }
        "month" => {
            value.days = 0;
            value.micros = 0;
        }
        "day" => value.micros = 0,
        "hour" => value.micros = keep_micros(value.micros, 3_600_000_000),
        "minute" => value.micros = keep_micros(value.micros, 60_000_000),
        "second" => {}
        other => {
            return Err(SqlError::new(
                "42601",
                format!("invalid INTERVAL field {other}"),
            ));
        }
    }
    Ok(Expr::Const(Value::Interval(value)))
}
