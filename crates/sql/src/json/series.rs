//! The set-returning JSON functions: `jsonb_array_elements(_text)`,
//! `jsonb_each(_text)` and `jsonb_object_keys` (and their `json_`
//! twins). In `FROM`, `jsonb_each` gives two columns, `key` and `value`,
//! each bound as its own call ([`JsonSeries::columns`]), zipped by the
//! projection; in a select list it gives the record's text, `(a,1)`.

use driftdb_engine::json::{Json, raw_members};
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
    /// A `jsonb_` function (a `json_` one reads an untyped argument as
    /// `json` and gives `json` values).
    pub binary: bool,
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
        let (base, binary) = match name.strip_prefix("jsonb_") {
            Some(base) => (base, true),
            None => (name.strip_prefix("json_")?, false),
        };
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
            binary,
        })
    }

    /// The SQL name.
    pub fn name(self) -> &'static str {
        match (self.kind, self.text, self.binary) {
            (JsonSeriesKind::ArrayElements, false, true) => "jsonb_array_elements",
            (JsonSeriesKind::ArrayElements, true, true) => "jsonb_array_elements_text",
            (JsonSeriesKind::Each, false, true) => "jsonb_each",
            (JsonSeriesKind::Each, true, true) => "jsonb_each_text",
            (JsonSeriesKind::ObjectKeys, _, true) => "jsonb_object_keys",
            (JsonSeriesKind::ArrayElements, false, false) => "json_array_elements",
            (JsonSeriesKind::ArrayElements, true, false) => "json_array_elements_text",
            (JsonSeriesKind::Each, false, false) => "json_each",
            (JsonSeriesKind::Each, true, false) => "json_each_text",
            (JsonSeriesKind::ObjectKeys, _, false) => "json_object_keys",
        }
    }

    fn value_type(self) -> DataType {
        match (self.text, self.binary) {
            (true, _) => DataType::Text,
            (false, true) => DataType::Jsonb,
            (false, false) => DataType::Json,
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
    /// value, or an untyped literal's text read as the function's type).
    pub fn values(self, arg: &Value) -> Result<Vec<Value>> {
        let (kind, members) = match arg {
            Value::Null => return Ok(Vec::new()),
            Value::Jsonb(j) if self.binary => self.members(j.clone()),
            Value::Jsonb(j) => self.raw_members(&j.to_string())?,
            Value::Json(s) | Value::Text(s) if !self.binary => self.raw_members(s)?,
            Value::Json(s) | Value::Text(s) => self.members(driftdb_engine::json::parse_jsonb(s)?),
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
        Ok(match (self.kind, kind) {
            (JsonSeriesKind::ArrayElements, Kind::Array) => {
                members.into_iter().map(|(_, v)| v).collect()
            }
            (JsonSeriesKind::ArrayElements, _) => {
                return Err(invalid(format!(
                    "cannot extract elements from {}",
                    kind.name()
                )));
            }
            (JsonSeriesKind::ObjectKeys, Kind::Object) => members
                .into_iter()
                .map(|(k, _)| k.map_or(Value::Null, Value::Text))
                .collect(),
            (JsonSeriesKind::ObjectKeys, _) => {
                return Err(invalid(format!(
                    "cannot call {} on {}",
                    self.name(),
                    kind.name()
                )));
            }
            (JsonSeriesKind::Each, Kind::Object) => members
                .into_iter()
                .map(|(k, v)| {
                    let k = k.unwrap_or_default();
                    match self.column {
                        Some(0) => Value::Text(k),
                        Some(_) => v,
                        None => Value::Text(record(&k, &v)),
                    }
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

    /// A `jsonb` value's members, each value as this function gives it.
    fn members(self, j: Json) -> (Kind, Members) {
        let value = |j: Json| -> Value {
            if self.text {
                j.to_text().map_or(Value::Null, Value::Text)
            } else {
                Value::Jsonb(j)
            }
        };
        match j {
            Json::Object(pairs) => (
                Kind::Object,
                pairs
                    .into_iter()
                    .map(|(k, v)| (Some(k), value(v)))
                    .collect(),
            ),
            Json::Array(items) => (
                Kind::Array,
                items.into_iter().map(|v| (None, value(v))).collect(),
            ),
            _ => (Kind::Scalar, Vec::new()),
        }
    }

    /// A `json` text's members, each value its text as written.
    fn raw_members(self, text: &str) -> Result<(Kind, Members)> {
        let Some(members) = raw_members(text)? else {
            return Ok((Kind::Scalar, Vec::new()));
        };
        let kind = if text.trim_start().starts_with('{') {
            Kind::Object
        } else {
            Kind::Array
        };
        let members = members
            .into_iter()
            .map(|(k, t)| {
                let v = if self.text {
                    super::raw::text(t)?
                } else {
                    Value::Json(t.to_string())
                };
                Ok((k, v))
            })
            .collect::<Result<_>>()?;
        Ok((kind, members))
    }
}

/// An argument's members: each key (none for an array element) and value.
type Members = Vec<(Option<String>, Value)>;

/// What a set-returning function's argument is.
#[derive(Clone, Copy)]
enum Kind {
    Object,
    Array,
    Scalar,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::Array => "an array",
            Kind::Scalar => "a scalar",
        }
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
