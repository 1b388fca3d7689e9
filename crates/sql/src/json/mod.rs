//! `json` and `jsonb` operators and functions with PostgreSQL's NULL rules
//! and errors: `->`, `->>`, `#>`, `#>>`, `@>`, `<@`, `?`, `?|`, `?&`,
//! `||`, `-`, `#-`, the builders (`jsonb_build_object`, `to_jsonb` …),
//! `jsonb_set`, `jsonb_typeof` and the rest; the set-returning functions
//! are in `series.rs`, the aggregates in `agg.rs`.
//!
//! An untyped literal in a JSON place reads as `jsonb`; a `json` input is
//! parsed per call, and what `->` or `#>` take out of it is its text as
//! written (`raw.rs`).

pub mod agg;
mod cast;
mod convert;
mod ops;
mod raw;
pub mod series;

use sqlparser::ast::BinaryOperator;

use driftdb_engine::json::{Json, parse_json, parse_jsonb, resolve_index, write_pretty};
use driftdb_engine::text::parse_text;
use driftdb_engine::value::{DataType, Value};

use crate::error::{Result, SqlError};
use crate::expr::{Env, Expr, as_i64, type_name};

pub use cast::cast;
pub use convert::{to_json_text, to_jsonb};

/// A JSON operator or function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFunc {
    /// `j -> key` or `j -> index`
    Get,
    /// `j ->> key` or `j ->> index`
    GetText,
    /// `j #> path`, `jsonb_extract_path(j, …)`
    Path,
    /// `j #>> path`, `jsonb_extract_path_text(j, …)`
    PathText,
    /// `jsonb_extract_path(j, key, …)` (the keys as arguments;
    /// `json_extract_path` when not binary)
    ExtractPath {
        /// `jsonb` rather than `json`.
        binary: bool,
    },
    /// `jsonb_extract_path_text(j, key, …)` / `json_extract_path_text`
    ExtractPathText {
        /// `jsonb` rather than `json`.
        binary: bool,
    },
    /// `a @> b`
    Contains,
    /// `a <@ b`
    ContainedBy,
    /// `j ? key`
    Exists,
    /// `j ?| keys`
    ExistsAny,
    /// `j ?& keys`
    ExistsAll,
    /// `a || b` (jsonb)
    Concat,
    /// `j - key`, `j - index`, `j - keys`
    Delete,
    /// `j #- path`
    DeletePath,
    /// `jsonb_build_object` (`json_build_object` when not binary)
    BuildObject {
        /// `jsonb` rather than `json`.
        binary: bool,
    },
    /// `jsonb_build_array` / `json_build_array`
    BuildArray {
        /// `jsonb` rather than `json`.
        binary: bool,
    },
    /// `to_jsonb` / `to_json`
    To {
        /// `jsonb` rather than `json`.
        binary: bool,
    },
    /// `jsonb_set(target, path, value [, create_missing])`
    Set,
    /// `jsonb_typeof` / `json_typeof`
    Typeof,
    /// `jsonb_array_length` / `json_array_length`
    ArrayLength,
    /// `jsonb_strip_nulls`
    StripNulls,
    /// `jsonb_pretty`
    Pretty,
}

impl JsonFunc {
    /// The function a (lower-cased) name calls, if it is a JSON function.
    pub fn by_name(name: &str) -> Option<JsonFunc> {
        Some(match name {
            "jsonb_build_object" => JsonFunc::BuildObject { binary: true },
            "json_build_object" => JsonFunc::BuildObject { binary: false },
            "jsonb_build_array" => JsonFunc::BuildArray { binary: true },
            "json_build_array" => JsonFunc::BuildArray { binary: false },
            "to_jsonb" => JsonFunc::To { binary: true },
            "to_json" => JsonFunc::To { binary: false },
            "jsonb_set" => JsonFunc::Set,
            "jsonb_typeof" | "json_typeof" => JsonFunc::Typeof,
            "jsonb_array_length" | "json_array_length" => JsonFunc::ArrayLength,
            "jsonb_extract_path" => JsonFunc::ExtractPath { binary: true },
            "json_extract_path" => JsonFunc::ExtractPath { binary: false },
            "jsonb_extract_path_text" => JsonFunc::ExtractPathText { binary: true },
            "json_extract_path_text" => JsonFunc::ExtractPathText { binary: false },
            "jsonb_strip_nulls" => JsonFunc::StripNulls,
            "jsonb_pretty" => JsonFunc::Pretty,
            _ => return None,
        })
    }

    /// The JSON operator `op` is, when one of its operands is JSON (`has_json`);
    /// `->`, `->>`, `#>`, `#>>`, `?`, `?|`, `?&` and `#-` are JSON's alone.
    pub fn operator(op: &BinaryOperator, has_json: bool) -> Option<JsonFunc> {
        use BinaryOperator as B;
        Some(match op {
            B::Arrow => JsonFunc::Get,
            B::LongArrow => JsonFunc::GetText,
            B::HashArrow => JsonFunc::Path,
            B::HashLongArrow => JsonFunc::PathText,
            B::Question => JsonFunc::Exists,
            B::QuestionPipe => JsonFunc::ExistsAny,
            B::QuestionAnd => JsonFunc::ExistsAll,
            B::HashMinus => JsonFunc::DeletePath,
            B::AtArrow if has_json => JsonFunc::Contains,
            B::ArrowAt if has_json => JsonFunc::ContainedBy,
            B::StringConcat if has_json => JsonFunc::Concat,
            B::Minus if has_json => JsonFunc::Delete,
            _ => return None,
        })
    }

    /// The type an operator's untyped right operand (a parameter `$n`)
    /// takes, as PostgreSQL resolves it.
    pub fn right_type(self) -> Option<DataType> {
        match self {
            JsonFunc::Get | JsonFunc::GetText | JsonFunc::Exists | JsonFunc::Delete => {
                Some(DataType::Text)
            }
            JsonFunc::Path
            | JsonFunc::PathText
            | JsonFunc::ExistsAny
            | JsonFunc::ExistsAll
            | JsonFunc::DeletePath => DataType::array_of(DataType::Text).ok(),
            JsonFunc::Contains | JsonFunc::ContainedBy | JsonFunc::Concat => Some(DataType::Jsonb),
            _ => None,
        }
    }

    /// Whether this is a `json_` function, whose untyped argument is `json`.
    fn takes_json(self) -> bool {
        matches!(
            self,
            JsonFunc::ExtractPath { binary: false } | JsonFunc::ExtractPathText { binary: false }
        )
    }

    /// The SQL name, for error messages and column names.
    pub fn name(self) -> &'static str {
        match self {
            JsonFunc::Get => "jsonb_object_field",
            JsonFunc::GetText => "jsonb_object_field_text",
            JsonFunc::Path | JsonFunc::ExtractPath { binary: true } => "jsonb_extract_path",
            JsonFunc::ExtractPath { binary: false } => "json_extract_path",
            JsonFunc::PathText | JsonFunc::ExtractPathText { binary: true } => {
                "jsonb_extract_path_text"
            }
            JsonFunc::ExtractPathText { binary: false } => "json_extract_path_text",
            JsonFunc::Contains => "jsonb_contains",
            JsonFunc::ContainedBy => "jsonb_contained",
            JsonFunc::Exists => "jsonb_exists",
            JsonFunc::ExistsAny => "jsonb_exists_any",
            JsonFunc::ExistsAll => "jsonb_exists_all",
            JsonFunc::Concat => "jsonb_concat",
            JsonFunc::Delete => "jsonb_delete",
            JsonFunc::DeletePath => "jsonb_delete_path",
            JsonFunc::BuildObject { binary: true } => "jsonb_build_object",
            JsonFunc::BuildObject { binary: false } => "json_build_object",
            JsonFunc::BuildArray { binary: true } => "jsonb_build_array",
            JsonFunc::BuildArray { binary: false } => "json_build_array",
            JsonFunc::To { binary: true } => "to_jsonb",
            JsonFunc::To { binary: false } => "to_json",
            JsonFunc::Set => "jsonb_set",
            JsonFunc::Typeof => "jsonb_typeof",
            JsonFunc::ArrayLength => "jsonb_array_length",
            JsonFunc::StripNulls => "jsonb_strip_nulls",
            JsonFunc::Pretty => "jsonb_pretty",
        }
    }

    /// Whether `n` arguments are accepted.
    pub fn accepts(self, n: usize) -> bool {
        match self {
            JsonFunc::BuildObject { .. } | JsonFunc::BuildArray { .. } => true,
            JsonFunc::ExtractPath { .. } | JsonFunc::ExtractPathText { .. } => n >= 2,
            JsonFunc::Set => n == 3 || n == 4,
            JsonFunc::To { .. }
            | JsonFunc::Typeof
            | JsonFunc::ArrayLength
            | JsonFunc::StripNulls
            | JsonFunc::Pretty => n == 1,
            _ => n == 2,
        }
    }

    /// The result type, given the arguments' types (`->` of `json` is
    /// `json`, of `jsonb` `jsonb`).
    pub fn result_type(self, args: &[Option<DataType>]) -> Option<DataType> {
        let input = match args.first() {
            Some(Some(t @ (DataType::Json | DataType::Jsonb))) => *t,
            _ if self.takes_json() => DataType::Json,
            _ => DataType::Jsonb,
        };
        Some(match self {
            JsonFunc::Get | JsonFunc::Path | JsonFunc::ExtractPath { .. } => input,
            JsonFunc::GetText
            | JsonFunc::PathText
            | JsonFunc::ExtractPathText { .. }
            | JsonFunc::Typeof
            | JsonFunc::Pretty => DataType::Text,
            JsonFunc::Contains
            | JsonFunc::ContainedBy
            | JsonFunc::Exists
            | JsonFunc::ExistsAny
            | JsonFunc::ExistsAll => DataType::Bool,
            JsonFunc::ArrayLength => DataType::Int4,
            JsonFunc::BuildObject { binary }
            | JsonFunc::BuildArray { binary }
            | JsonFunc::To { binary } => {
                if binary {
                    DataType::Jsonb
                } else {
                    DataType::Json
                }
            }
            JsonFunc::Concat
            | JsonFunc::Delete
            | JsonFunc::DeletePath
            | JsonFunc::Set
            | JsonFunc::StripNulls => DataType::Jsonb,
        })
    }
}

/// Whether `t` is `json` or `jsonb`.
pub fn is_json_type(t: Option<DataType>) -> bool {
    matches!(t, Some(DataType::Json | DataType::Jsonb))
}

/// A JSON document argument: the tree, and for a `json` value its text.
struct Doc {
    json: Json,
    /// The text of a `json` value (`None` for `jsonb`).
    raw: Option<String>,
}

impl Doc {
    /// A result made from this document: `jsonb`, or `json` printed
    /// without white space.
    fn wrap(&self, j: Json) -> Value {
        match self.raw {
            None => Value::Jsonb(j),
            Some(_) => Value::Json(convert::compact(&j)),
        }
    }
}

/// `e` as a JSON document (`None` for NULL); an untyped literal is `jsonb`
/// (`json` for a `json_` function).
fn doc(e: &Expr, row: &[Value], env: &Env<'_, '_>, func: JsonFunc) -> Result<Option<Doc>> {
    Ok(Some(match (e, e.eval(row, env)?) {
        (_, Value::Null) => return Ok(None),
        (_, Value::Jsonb(json)) => Doc { json, raw: None },
        (_, Value::Json(s)) => Doc {
            json: parse_json(&s)?,
            raw: Some(s),
        },
        (Expr::Unknown(_), Value::Text(s)) if func.takes_json() => Doc {
            json: parse_json(&s)?,
            raw: Some(s),
        },
        (Expr::Unknown(_), Value::Text(s)) => Doc {
            json: parse_jsonb(&s)?,
            raw: None,
        },
        (_, other) => return Err(wrong_type(func, &other)),
    }))
}

fn wrong_type(func: JsonFunc, v: &Value) -> SqlError {
    SqlError::new(
        "42883",
        format!("function {}({}) does not exist", func.name(), type_name(v)),
    )
}

/// A `text[]` argument (a path or a list of keys): its elements, NULL
/// elements as `None`; an untyped literal is read as `text[]`.
fn text_list(v: Value, func: JsonFunc) -> Result<Option<Vec<Option<String>>>> {
    let v = match v {
        Value::Text(s) => parse_text(&s, DataType::array_of(DataType::Text)?)?,
        other => other,
    };
    match v {
        Value::Null => Ok(None),
        Value::Array(a) => Ok(Some(
            a.items()
                .iter()
                .map(driftdb_engine::text::format_text)
                .collect(),
        )),
        other => Err(wrong_type(func, &other)),
    }
}

/// The value of `func(args)` for `row`.
pub fn call(func: JsonFunc, args: &[Expr], row: &[Value], env: &Env<'_, '_>) -> Result<Value> {
    match func {
        JsonFunc::BuildObject { binary } => {
            let values = eval_all(args, row, env)?;
            return convert::build_object(&values, binary);
        }
        JsonFunc::BuildArray { binary } => {
            let values = eval_all(args, row, env)?;
            return convert::build_array(&values, binary);
        }
        JsonFunc::To { binary } => {
            let [a] = args else {
                return Err(arity(func));
            };
            return Ok(match a.eval(row, env)? {
                Value::Null => Value::Null,
                v if binary => Value::Jsonb(to_jsonb(&v)?),
                v => Value::Json(to_json_text(&v)?),
            });
        }
        _ => {}
    }
    let Some((first, rest)) = args.split_first() else {
        return Err(arity(func));
    };
    let Some(d) = doc(first, row, env, func)? else {
        return Ok(Value::Null);
    };
    let rest = eval_all(rest, row, env)?;
    if rest.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let second = rest.first().cloned().unwrap_or(Value::Null);
    Ok(match func {
        JsonFunc::Get | JsonFunc::GetText => {
            let step = match &second {
                Value::Text(key) => Step::Key(key),
                v => Step::Index(as_i64(v).ok_or_else(|| wrong_type(func, v))?),
            };
            let as_text = func == JsonFunc::GetText;
            match &d.raw {
                Some(raw) => raw::taken(raw::child(raw, step)?, as_text)?,
                None => taken(get(&d.json, step).cloned(), as_text),
            }
        }
        JsonFunc::Path | JsonFunc::PathText => {
            let Some(path) = text_list(second, func)? else {
                return Ok(Value::Null);
            };
            walk(&d, &path, func == JsonFunc::PathText)?
        }
        JsonFunc::ExtractPath { .. } | JsonFunc::ExtractPathText { .. } => {
            let path: Vec<Option<String>> =
                rest.iter().map(driftdb_engine::text::format_text).collect();
            walk(&d, &path, matches!(func, JsonFunc::ExtractPathText { .. }))?
        }
        JsonFunc::Contains | JsonFunc::ContainedBy => {
            let other = jsonb_operand(args.get(1), second, func)?;
            Value::Bool(if func == JsonFunc::Contains {
                ops::contains(&d.json, &other, true)
            } else {
                ops::contains(&other, &d.json, true)
            })
        }
        JsonFunc::Exists => match &second {
            Value::Text(key) => Value::Bool(ops::has_key(&d.json, key)),
            other => return Err(wrong_type(func, other)),
        },
        JsonFunc::ExistsAny | JsonFunc::ExistsAll => {
            let Some(keys) = text_list(second, func)? else {
                return Ok(Value::Null);
            };
            let mut hits = keys.iter().flatten().map(|k| ops::has_key(&d.json, k));
            Value::Bool(if func == JsonFunc::ExistsAny {
                hits.any(|h| h)
            } else {
                hits.all(|h| h)
            })
        }
        JsonFunc::Concat => {
            let other = jsonb_operand(args.get(1), second, func)?;
            Value::Jsonb(ops::concat(d.json, other))
        }
        JsonFunc::Delete => Value::Jsonb(match second {
            Value::Text(key) => ops::delete_keys(d.json, &[Some(key)])?,
            Value::Array(_) => {
                let keys = text_list(second, func)?.unwrap_or_default();
                ops::delete_keys(d.json, &keys)?
            }
            v => match as_i64(&v) {
                Some(i) => ops::delete_index(d.json, i)?,
                None => return Err(wrong_type(func, &v)),
            },
        }),
        JsonFunc::DeletePath => {
            let path = text_list(second, func)?.unwrap_or_default();
            Value::Jsonb(ops::delete_path(d.json, &path)?)
        }
        JsonFunc::Set => {
            let [path, new, create @ ..] = rest.as_slice() else {
                return Err(arity(func));
            };
            let create = match create.first() {
                None => true,
                Some(Value::Bool(b)) => *b,
                Some(other) => return Err(wrong_type(func, other)),
            };
            let path = text_list(path.clone(), func)?.unwrap_or_default();
            let new = jsonb_operand(args.get(2), new.clone(), func)?;
            Value::Jsonb(ops::set(d.json, &path, new, create)?)
        }
        JsonFunc::Typeof => Value::Text(d.json.type_name().into()),
        JsonFunc::ArrayLength => match &d.json {
            Json::Array(items) => Value::Int4(i32::try_from(items.len()).unwrap_or(i32::MAX)),
            Json::Object(_) => return Err(non_array("cannot get array length of a non-array")),
            _ => return Err(non_array("cannot get array length of a scalar")),
        },
        JsonFunc::StripNulls => d.wrap(ops::strip_nulls(d.json.clone())),
        JsonFunc::Pretty => {
            let mut out = String::new();
            write_pretty(&d.json, 0, &mut out);
            Value::Text(out)
        }
        JsonFunc::BuildObject { .. } | JsonFunc::BuildArray { .. } | JsonFunc::To { .. } => {
            return Err(arity(func));
        }
    })
}

/// A step of `->`: an object's key or an array's index.
#[derive(Clone, Copy)]
enum Step<'s> {
    Key(&'s str),
    Index(i64),
}

/// What `jsonb`'s `->` finds; a top-level scalar is its own element 0 (or -1).
fn get<'j>(j: &'j Json, step: Step<'_>) -> Option<&'j Json> {
    match (j, step) {
        (_, Step::Key(k)) => j.get(k),
        (Json::Array(_), Step::Index(i)) => j.at(i),
        (Json::Object(_), Step::Index(_)) => None,
        (scalar, Step::Index(i)) => resolve_index(i, 1).map(|_| scalar),
    }
}

/// `#>` (or `#>>` when `as_text`) of document `d` at `path`.
fn walk(d: &Doc, path: &[Option<String>], as_text: bool) -> Result<Value> {
    match &d.raw {
        Some(raw) => raw::taken(raw::walk(raw, path)?, as_text),
        None => Ok(taken(ops::walk(&d.json, path).cloned(), as_text)),
    }
}

/// What `jsonb`'s `->`/`#>` found, or as text for `->>`/`#>>`.
fn taken(found: Option<Json>, as_text: bool) -> Value {
    match found {
        None => Value::Null,
        Some(j) if as_text => j.to_text().map_or(Value::Null, Value::Text),
        Some(j) => Value::Jsonb(j),
    }
}

/// The right operand of a `jsonb` operator: `jsonb`, or an untyped literal read as one.
fn jsonb_operand(e: Option<&Expr>, v: Value, func: JsonFunc) -> Result<Json> {
    match (e, v) {
        (_, Value::Jsonb(j)) => Ok(j),
        (_, Value::Null) => Ok(Json::Null),
        (Some(Expr::Unknown(_)), Value::Text(s)) => Ok(parse_jsonb(&s)?),
        (_, other) => Err(wrong_type(func, &other)),
    }
}

fn non_array(message: &str) -> SqlError {
    SqlError::new("22023", message)
}

fn eval_all(args: &[Expr], row: &[Value], env: &Env<'_, '_>) -> Result<Vec<Value>> {
    args.iter().map(|a| a.eval(row, env)).collect()
}

fn arity(func: JsonFunc) -> SqlError {
    SqlError::new(
        "42883",
        format!(
            "function {}() has the wrong number of arguments",
            func.name()
        ),
    )
}
