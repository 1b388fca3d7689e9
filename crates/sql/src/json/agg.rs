//! The JSON aggregates: `jsonb_agg`/`json_agg` (the values, NULLs as
//! `null`, as an array) and `jsonb_object_agg`/`json_object_agg` (key and
//! value pairs as an object; a NULL key is 22023).

use driftdb_engine::json::Json;
use driftdb_engine::text::format_text;
use driftdb_engine::value::{DataType, Value};

use crate::error::{Result, SqlError};

use super::{to_json_text, to_jsonb};

/// A JSON aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonAgg {
    /// `jsonb_agg(v)` (`json_agg` when not binary)
    Array {
        /// `jsonb` rather than `json`.
        binary: bool,
    },
    /// `jsonb_object_agg(k, v)` (`json_object_agg` when not binary)
    Object {
        /// `jsonb` rather than `json`.
        binary: bool,
    },
}

impl JsonAgg {
    /// The aggregate a (lower-cased) name calls, if it is a JSON one.
    pub fn by_name(name: &str) -> Option<JsonAgg> {
        Some(match name {
            "jsonb_agg" => JsonAgg::Array { binary: true },
            "json_agg" => JsonAgg::Array { binary: false },
            "jsonb_object_agg" => JsonAgg::Object { binary: true },
            "json_object_agg" => JsonAgg::Object { binary: false },
            _ => return None,
        })
    }

    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            JsonAgg::Array { binary: true } => "jsonb_agg",
            JsonAgg::Array { binary: false } => "json_agg",
            JsonAgg::Object { binary: true } => "jsonb_object_agg",
            JsonAgg::Object { binary: false } => "json_object_agg",
        }
    }

    /// The number of arguments.
    pub fn arity(self) -> usize {
        match self {
            JsonAgg::Array { .. } => 1,
            JsonAgg::Object { .. } => 2,
        }
    }

    /// The result type.
    pub fn result_type(self) -> DataType {
        match self {
            JsonAgg::Array { binary: true } | JsonAgg::Object { binary: true } => DataType::Jsonb,
            _ => DataType::Json,
        }
    }

    /// Adds one row's arguments to `items` (an object aggregate adds the
    /// key as text, then the value).
    pub fn accept(self, args: &[Value], items: &mut Vec<Value>) -> Result<()> {
        match (self, args) {
            (JsonAgg::Array { .. }, [v]) => items.push(v.clone()),
            (JsonAgg::Object { .. }, [Value::Null, _]) => {
                return Err(SqlError::new("22023", "field name must not be null"));
            }
            (JsonAgg::Object { .. }, [k, v]) => {
                items.push(Value::Text(format_text(k).unwrap_or_default()));
                items.push(v.clone());
            }
            _ => {
                return Err(SqlError::new(
                    "42883",
                    format!(
                        "function {}() has the wrong number of arguments",
                        self.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The aggregate of the `items` [`Self::accept`] gathered.
    pub fn finish(self, items: &[Value]) -> Result<Value> {
        Ok(match self {
            JsonAgg::Array { binary: true } => Value::Jsonb(Json::Array(
                items.iter().map(to_jsonb).collect::<Result<_>>()?,
            )),
            JsonAgg::Array { binary: false } => {
                let texts = items.iter().map(to_json_text).collect::<Result<Vec<_>>>()?;
                Value::Json(format!("[{}]", texts.join(", ")))
            }
            JsonAgg::Object { binary } => {
                let mut pairs = Vec::with_capacity(items.len() / 2);
                for pair in items.chunks(2) {
                    let key = format_text(&pair[0]).unwrap_or_default();
                    let value = pair.get(1).unwrap_or(&Value::Null);
                    pairs.push((key, value));
                }
                super::convert::object_of(pairs, binary, true)?
            }
        })
    }
}
