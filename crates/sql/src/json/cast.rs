//! Casts from `json` and `jsonb` other than to text: a `jsonb` number to
//! the number types and a `jsonb` boolean to `boolean` (22023 for any
//! other JSON kind), nothing else (42846), as PostgreSQL 15 allows.

use driftdb_engine::json::Json;
use driftdb_engine::text::type_name;
use driftdb_engine::value::{DataType, Value};

use crate::error::{Result, SqlError};

/// `CAST(v AS t)` when `v` is JSON and `t` is not a text or JSON type;
/// `None` when the cast goes through text.
pub fn cast(v: &Value, t: DataType) -> Option<Result<Value>> {
    if matches!(
        t,
        DataType::Text
            | DataType::Varchar(_)
            | DataType::Char(_)
            | DataType::Json
            | DataType::Jsonb
    ) {
        return None;
    }
    let (json, source) = match v {
        Value::Jsonb(j) => (j, "jsonb"),
        Value::Json(_) => (&Json::Null, "json"),
        _ => return None,
    };
    Some(match (json, t) {
        (_, _) if source == "json" || (t.numeric_rank().is_none() && t != DataType::Bool) => {
            Err(SqlError::new(
                "42846",
                format!("cannot cast type {source} to {}", type_name(t)),
            ))
        }
        (Json::Number(n), t) if t.numeric_rank().is_some() => {
            crate::expr::cast(Value::Numeric(n.clone()), t)
        }
        (Json::Bool(b), DataType::Bool) => Ok(Value::Bool(*b)),
        (j, t) => Err(SqlError::new(
            "22023",
            format!(
                "cannot cast jsonb {} to type {}",
                match j {
                    Json::Number(_) => "numeric",
                    other => other.type_name(),
                },
                type_name(t)
            ),
        )),
    })
}
