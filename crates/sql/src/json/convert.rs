//! SQL values as JSON: `to_jsonb` (a tree) and `to_json` (text), and the
//! builders made of them. Numbers stay numbers (a float's printed digits;
//! NaN and infinities become strings), booleans booleans, arrays arrays,
//! `json`/`jsonb` themselves; timestamps become ISO 8601 strings
//! (`2020-01-01T10:00:00`, `…+00:00`), everything else its text as a string.

use driftdb_engine::json::{Json, escape_string, parse_jsonb};
use driftdb_engine::numeric::Numeric;
use driftdb_engine::text::format_text;
use driftdb_engine::value::Value;

use crate::error::{Result, SqlError};

/// `to_jsonb(v)` of a non-NULL value (NULL is `null`).
pub fn to_jsonb(v: &Value) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Jsonb(j) => j.clone(),
        Value::Json(s) => parse_jsonb(s)?,
        Value::Array(a) => Json::Array(a.items().iter().map(to_jsonb).collect::<Result<_>>()?),
        Value::Text(s) => Json::String(s.clone()),
        other => match number_text(other) {
            Some(Ok(digits)) => Json::Number(Numeric::parse(&digits)?),
            Some(Err(word)) => Json::String(word),
            None => Json::String(scalar_text(other)),
        },
    })
}

/// `to_json(v)` of a value: its JSON text (`null` for NULL). Arrays print
/// without spaces (`[1,2]`), numbers as their SQL text.
pub fn to_json_text(v: &Value) -> Result<String> {
    Ok(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Json(s) => s.clone(),
        Value::Jsonb(j) => j.to_string(),
        Value::Array(a) => {
            let items = a
                .items()
                .iter()
                .map(to_json_text)
                .collect::<Result<Vec<_>>>()?;
            format!("[{}]", items.join(","))
        }
        Value::Text(s) => escape_string(s),
        other => match number_text(other) {
            Some(Ok(digits)) => digits,
            Some(Err(word)) => escape_string(&word),
            None => escape_string(&scalar_text(other)),
        },
    })
}

/// A number's text: `Ok` digits, or `Err` for NaN and infinities (which
/// JSON spells as strings); `None` for a value that is not a number.
fn number_text(v: &Value) -> Option<std::result::Result<String, String>> {
    match v {
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Numeric(_) => {}
        Value::Float4(_) | Value::Float8(_) => {}
        _ => return None,
    }
    let text = format_text(v)?;
    Some(
        if text.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e') {
            Err(text)
        } else {
            Ok(text)
        },
    )
}

/// The JSON string of a scalar that is not a number: timestamps in ISO 8601.
fn scalar_text(v: &Value) -> String {
    let text = format_text(v).unwrap_or_default();
    match v {
        Value::Timestamp(_) => text.replacen(' ', "T", 1),
        Value::Timestamptz(_) => format!("{}:00", text.replacen(' ', "T", 1)),
        _ => text,
    }
}

/// A `json` value printed without white space (what `->` takes out of `json`).
pub(super) fn compact(j: &Json) -> String {
    match j {
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(compact).collect::<Vec<_>>().join(",")
        ),
        Json::Object(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{}:{}", escape_string(k), compact(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        scalar => scalar.to_string(),
    }
}

/// The text of an object key: a scalar as JSON writes it, unquoted
/// (`true`, `1.5`, `2020-01-01T10:00:00`); 22023 for arrays and JSON.
fn key_text(v: &Value, position: usize) -> Result<String> {
    match v {
        Value::Null => Err(SqlError::new(
            "22023",
            format!("argument {position}: key must not be null"),
        )),
        Value::Array(_) | Value::Json(_) | Value::Jsonb(_) => Err(SqlError::new(
            "22023",
            "key value must be scalar, not array, composite, or json",
        )),
        other => Ok(match to_jsonb(other)? {
            Json::String(s) => s,
            scalar => scalar.to_string(),
        }),
    }
}

/// `jsonb_build_object(k1, v1, …)` / `json_build_object`.
pub(super) fn build_object(args: &[Value], binary: bool) -> Result<Value> {
    if !args.len().is_multiple_of(2) {
        return Err(SqlError::new(
            "22023",
            "argument list must have even number of elements",
        ));
    }
    let mut pairs = Vec::with_capacity(args.len() / 2);
    for (i, pair) in args.chunks(2).enumerate() {
        pairs.push((key_text(&pair[0], 2 * i + 1)?, &pair[1]));
    }
    object_of(pairs, binary, false)
}

/// A JSON object of `pairs` (key, value): `jsonb`, or `json` in the text
/// PostgreSQL writes (`{"k" : v}`, or `{ "k" : v }` when `spaced`, as its
/// object aggregates do).
pub(super) fn object_of(pairs: Vec<(String, &Value)>, binary: bool, spaced: bool) -> Result<Value> {
    Ok(if binary {
        let pairs = pairs
            .into_iter()
            .map(|(k, v)| Ok((k, to_jsonb(v)?)))
            .collect::<Result<Vec<_>>>()?;
        Value::Jsonb(Json::object(pairs))
    } else {
        let members = pairs
            .into_iter()
            .map(|(k, v)| Ok(format!("{} : {}", escape_string(&k), to_json_text(v)?)))
            .collect::<Result<Vec<_>>>()?;
        let pad = if spaced { " " } else { "" };
        Value::Json(format!("{{{pad}{}{pad}}}", members.join(", ")))
    })
}

/// `jsonb_build_array(…)` / `json_build_array`.
pub(super) fn build_array(args: &[Value], binary: bool) -> Result<Value> {
    Ok(if binary {
        Value::Jsonb(Json::Array(
            args.iter().map(to_jsonb).collect::<Result<_>>()?,
        ))
    } else {
        let items = args.iter().map(to_json_text).collect::<Result<Vec<_>>>()?;
        Value::Json(format!("[{}]", items.join(", ")))
    })
}
