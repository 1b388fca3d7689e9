//! A column default as PostgreSQL shows it (`pg_get_expr(adbin, adrelid)`,
//! `information_schema.columns.column_default`). PostgreSQL keeps a default
//! as a typed expression and prints it back, so a literal comes out as its
//! type's constant: `'0'` on a boolean is `false`, `'x'` on a `varchar` is
//! `'x'::character varying`, `-1` is `'-1'::integer`, and `DEFAULT NULL` is
//! no default at all. ORMs compare these texts (Knex's `columnInfo`,
//! Alembic's server-default comparison). A default that is not a single
//! literal keeps the SQL it was written with.

use sqlparser::ast::{self, UnaryOperator};

use driftdb_engine::text::{format_text, parse_text};
use driftdb_engine::value::{DataType, Value};

use super::types::{format_type, type_modifier, type_oid};
use crate::parser::parse_expr;

/// How PostgreSQL shows the default `sql` of a column of type `column`
/// (`None`: it has none).
pub fn shown_default(sql: &str, column: DataType) -> Option<String> {
    let Ok(expr) = parse_expr(sql) else {
        return Some(sql.to_string());
    };
    match constant(&expr, column) {
        Some((Value::Null, _)) => None,
        Some((value, t)) => Some(constant_text(&value, t).unwrap_or_else(|| sql.to_string())),
        None => Some(sql.to_string()),
    }
}

/// The constant PostgreSQL's parser makes of a literal default for a column
/// of type `column`: its value and type. A quoted literal takes the column's
/// type (or its cast's), a number the type of its digits; casts to the
/// column's type after that are implicit and not shown.
fn constant(e: &ast::Expr, column: DataType) -> Option<(Value, DataType)> {
    match e {
        ast::Expr::Nested(inner) => constant(inner, column),
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => quoted(s, column),
            ast::Value::Number(n, _) => number(n),
            ast::Value::Boolean(b) => Some((Value::Bool(*b), DataType::Bool)),
            ast::Value::Null => Some((Value::Null, column)),
            _ => None,
        },
        ast::Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match &**expr {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::Number(n, _) => number(&format!("-{n}")),
                _ => None,
            },
            _ => None,
        },
        ast::Expr::Cast {
            expr, data_type, ..
        } => {
            let t = crate::bind::data_type(data_type).ok()?;
            match &**expr {
                ast::Expr::Value(v) if type_modifier(t) == -1 => match &v.value {
                    ast::Value::SingleQuotedString(s) => quoted(s, t),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// A quoted literal read as type `t` (without its length or precision,
/// which a separate, invisible coercion applies).
fn quoted(s: &str, t: DataType) -> Option<(Value, DataType)> {
    let read_as = match t {
        DataType::Varchar(_) | DataType::Char(_) => DataType::Text,
        DataType::Numeric(_) => DataType::Numeric(None),
        other => other,
    };
    Some((parse_text(s, read_as).ok()?, t))
}

/// A number as PostgreSQL's parser types it: `integer`, else `bigint`,
/// else `numeric`.
fn number(n: &str) -> Option<(Value, DataType)> {
    if let Ok(i) = n.parse::<i32>() {
        return Some((Value::Int4(i), DataType::Int4));
    }
    if let Ok(i) = n.parse::<i64>() {
        return Some((Value::Int8(i), DataType::Int8));
    }
    let t = DataType::Numeric(None);
    Some((parse_text(n, t).ok()?, t))
}

/// PostgreSQL's `get_const_expr`: booleans bare, non-negative integers and
/// numerics with a point or exponent bare, anything else quoted with a cast
/// to its type.
fn constant_text(v: &Value, t: DataType) -> Option<String> {
    let text = format_text(v)?;
    Some(match v {
        Value::Bool(b) => b.to_string(),
        Value::Int4(i) if *i >= 0 => text,
        Value::Numeric(_)
            if text.starts_with(|c: char| c.is_ascii_digit()) && text.contains(['.', 'e', 'E']) =>
        {
            text
        }
        _ => format!(
            "'{}'::{}",
            text.replace('\'', "''"),
            format_type(type_oid(t), -1)
        ),
    })
}
