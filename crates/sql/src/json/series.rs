//! The set-returning JSON functions: `jsonb_array_elements(_text)`,
//! `jsonb_each(_text)` and `jsonb_object_keys` (and their `json_`
//! twins). In `FROM`, `jsonb_each` gives two columns, `key` and `value`,
//! each bound as its own call ([`JsonSeries::columns`]), zipped by the
//! projection; in a select list it gives the record's text, `(a,1)`.

use driftdb_engine::json::{Json, parse_json};
use driftdb_engine::value::{DataType, Value};

use crate::error::{Result, SqlError};

/// A set-returning JSON function, or one column of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonSeries {
    /// Which function.
    pub kind: JsonSeriesKind,
    /// Values as text (`…_text`) rather than JSON.
    pub text: bool,
    /// For `jsonb_each`: the column (0 key, 1 value), or `None` for the record.
    pub column: Option<u8>,
}

/// The functions [`JsonSeries`] covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonSeriesKind {
    /// `jsonb_array_elements`
    ArrayElements,
    /// `jsonb_each`
    Each,
    /// `jsonb_object_keys`
    ObjectKeys,
}

impl JsonSeries {
    /// The function a (lower-cased) name calls, if it is one of these.
    pub fn by_name(name: &str) -> Option<JsonSeries> {
        let base = name
            .strip_prefix("jsonb_")
            .or_else(|| name.strip_prefix("json_"))?;
        let (base, text) = match base.strip_suffix("_text") {
            Some(b) => (b, true),
            None => (base, false),
        };
        let kind = match (base, text) {
            ("array_elements", _) => JsonSeriesKind::ArrayElements,
            ("each", _) => JsonSeriesKind::Each,
            ("object_keys", false) => JsonSeriesKind::ObjectKeys,
            _ => return None,
        };
        Some(JsonSeries {
            kind,
            text,
            column: None,
        })
    }

    /// The SQL name.
    pub fn name(self) -> &'static str {
        match (self.kind, self.text) {
            (JsonSeriesKind::ArrayElements, false) => "jsonb_array_elements",
            (JsonSeriesKind::ArrayElements, true) => "jsonb_array_elements_text",
            (JsonSeriesKind::Each, false) => "jsonb_each",
            (JsonSeriesKind::Each, true) => "jsonb_each_text",
            (JsonSeriesKind::ObjectKeys, _) => "jsonb_object_keys",
        }
    }

    fn value_type(self) -> DataType {
        if self.text {
            DataType::Text
        } else {
            DataType::Jsonb
        }
    }

    /// The type of the values (of this column).
    pub fn result_type(self) -> DataType {
        match (self.kind, self.column) {
            (JsonSeriesKind::ObjectKeys, _) | (JsonSeriesKind::Each, Some(0) | None) => {
                DataType::Text
            }
            _ => self.value_type(),
        }
    }

    /// In `FROM`: the named columns and the call that gives each
    /// (`None` for `jsonb_object_keys`, whose one column takes the
    /// function's or the alias's name).
    pub fn columns(self) -> Option<Vec<(&'static str, JsonSeries)>> {
        match self.kind {
            JsonSeriesKind::ArrayElements => Some(vec![("value", self)]),
            JsonSeriesKind::Each => Some(
                [("key", 0), ("value", 1)]
                    .into_iter()
                    .map(|(name, c)| {
                        (
                            name,
                            JsonSeries {
                                column: Some(c),
                                ..self
                            },
                        )
                    })
                    .collect(),
            ),
            JsonSeriesKind::ObjectKeys => None,
        }
    }

    /// The values the function gives for `arg` (a `json` or `jsonb`
    /// value, or an untyped literal's text read as `jsonb`).
    pub fn values(self, arg: &Value) -> Result<Vec<Value>> {
        let (json, binary) = match arg {
            Value::Null => return Ok(Vec::new()),
            Value::Jsonb(j) => (j.clone(), true),
            Value::Json(s) => (parse_json(s)?, false),
            Value::Text(s) => (driftdb_engine::json::parse_jsonb(s)?, true),
            other => {
                return Err(SqlError::new(
                    "42883",
                    format!(
                        "function {}({}) does not exist",
                        self.name(),
                        crate::expr::type_name(other)
                    ),
                ));
            }
        };
        let value = |j: Json| -> Value {
            match (self.text, binary) {
                (true, _) => j.to_text().map_or(Value::Null, Value::Text),
                (false, true) => Value::Jsonb(j),
                (false, false) => Value::Json(super::convert::compact(&j)),
            }
        };
        let kind = match json {
            Json::Object(_) => "an object",
            Json::Array(_) => "an array",
            _ => "a scalar",
        };
        Ok(match (self.kind, json) {
            (JsonSeriesKind::ArrayElements, Json::Array(items)) => {
                items.into_iter().map(value).collect()
            }
            (JsonSeriesKind::ArrayElements, _) => {
                return Err(invalid(format!("cannot extract elements from {kind}")));
            }
            (JsonSeriesKind::ObjectKeys, Json::Object(pairs)) => {
                pairs.into_iter().map(|(k, _)| Value::Text(k)).collect()
            }
            (JsonSeriesKind::ObjectKeys, _) => {
                return Err(invalid(format!("cannot call {} on {kind}", self.name())));
            }
            (JsonSeriesKind::Each, Json::Object(pairs)) => pairs
                .into_iter()
                .map(|(k, v)| match self.column {
                    Some(0) => Value::Text(k),
                    Some(_) => value(v),
                    None => Value::Text(record(&k, &value(v))),
                })
                .collect(),
            (JsonSeriesKind::Each, _) => {
                return Err(invalid(format!(
                    "cannot call {} on a non-object",
                    self.name()
                )));
            }
        })
    }
}

fn invalid(message: String) -> SqlError {
    SqlError::new("22023", message)
}

/// The text of the record `(key,value)` as PostgreSQL's `record_out`
/// prints it: a field quoted when empty or holding `"`, `\`, `(`, `)`,
/// `,` or white space, with `"` and `\` doubled.
fn record(key: &str, value: &Value) -> String {
    let field = |v: Option<String>| match v {
        None => String::new(),
        Some(s)
            if s.is_empty()
                || s.chars()
                    .any(|c| matches!(c, '"' | '\\' | '(' | ')' | ',') || c.is_whitespace()) =>
        {
            format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\"\""))
        }
        Some(s) => s,
    };
    format!(
        "({},{})",
        field(Some(key.to_string())),
        field(driftdb_engine::text::format_text(value))
    )
}
