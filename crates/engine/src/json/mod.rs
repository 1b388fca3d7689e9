//! JSON values (`json`, `jsonb`) as PostgreSQL 15 holds them.
//!
//! - `json` is text: the input as given, checked to be JSON
//!   ([`validate`]); `Value::Json` keeps the string.
//! - `jsonb` is a tree ([`Json`]): numbers are exact (`numeric`), object
//!   keys sorted as PostgreSQL stores them (shorter keys first, then
//!   bytewise) without duplicates (the last one wins), and printed in one
//!   normalized layout (`{"a": 1, "b": [1, 2]}`).
//! - Order (`jsonb_cmp`): Object > Array > Boolean > Number > String >
//!   Null; a container with more members is greater; equal-sized ones
//!   compare member by member (keys in storage order). A top-level scalar
//!   counts as a one-element array, so (as in PostgreSQL) `'[]'` sorts below
//!   every scalar. [`Json::key_bytes`] encodes exactly this order.

mod format;
mod parse;

use std::cmp::Ordering;

use crate::numeric::Numeric;

pub use format::{escape_string, write_pretty};
pub use parse::{RawMember, parse_json, parse_jsonb, raw_members, validate};

/// A `jsonb` value (or a parsed `json` one).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true`, `false`
    Bool(bool),
    /// A number, exact.
    Number(Numeric),
    /// A string, unescaped.
    String(String),
    /// `[…]`
    Array(Vec<Json>),
    /// `{…}`: for `jsonb` in storage order without duplicate keys; for a
    /// parsed `json` in input order with every key.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The object made of `pairs` as `jsonb` keeps it: keys in storage
    /// order, a duplicate key's last value kept.
    pub fn object(pairs: Vec<(String, Json)>) -> Json {
        let mut pairs: Vec<(usize, (String, Json))> = pairs.into_iter().enumerate().collect();
        pairs.sort_by(|(i, (a, _)), (j, (b, _))| key_order(a, b).then(i.cmp(j)));
        let mut out: Vec<(String, Json)> = Vec::with_capacity(pairs.len());
        for (_, (k, v)) in pairs {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        Json::Object(out)
    }

    /// This value as `jsonb` keeps it: every object normalized with
    /// [`Json::object`].
    pub fn normalized(self) -> Json {
        match self {
            Json::Array(items) => Json::Array(items.into_iter().map(Json::normalized).collect()),
            Json::Object(pairs) => Json::object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, v.normalized()))
                    .collect(),
            ),
            scalar => scalar,
        }
    }

    /// `jsonb_typeof`: `object`, `array`, `string`, `number`, `boolean` or
    /// `null`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// The member of an object named `key`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(pairs) => pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The element of an array at `index` (a negative one counts from the
    /// end).
    pub fn at(&self, index: i64) -> Option<&Json> {
        match self {
            Json::Array(items) => items.get(resolve_index(index, items.len())?),
            _ => None,
        }
    }

    /// The text `->>` gives: a string unescaped, `null` as SQL NULL
    /// (`None`), anything else printed.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Json::Null => None,
            Json::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// The order-preserving key encoding of this value (see the module
    /// comment): comparing two encodings bytewise is `jsonb_cmp`.
    pub fn key_bytes(&self, out: &mut Vec<u8>) {
        match self {
            // A top-level scalar is a raw-scalar array of one element.
            Json::Array(_) | Json::Object(_) => self.put_key(out),
            scalar => {
                out.push(ARRAY_CLASS);
                out.extend_from_slice(&1u32.to_be_bytes());
                out.push(0);
                scalar.put_key(out);
            }
        }
    }

    fn put_key(&self, out: &mut Vec<u8>) {
        match self {
            Json::Null => out.push(1),
            Json::String(s) => {
                out.push(2);
                crate::keycode::encode_key(&[crate::value::Value::Text(s.clone())], out);
            }
            Json::Number(n) => {
                out.push(3);
                crate::keycode::encode_key(&[crate::value::Value::Numeric(n.clone())], out);
            }
            Json::Bool(b) => out.extend_from_slice(&[4, u8::from(*b)]),
            Json::Array(items) => {
                out.push(ARRAY_CLASS);
                out.extend_from_slice(&count(items.len()).to_be_bytes());
                out.push(1);
                for item in items {
                    item.put_key(out);
                }
            }
            Json::Object(pairs) => {
                out.push(6);
                out.extend_from_slice(&count(pairs.len()).to_be_bytes());
                for (k, v) in pairs {
                    crate::keycode::encode_key(&[crate::value::Value::Text(k.clone())], out);
                    v.put_key(out);
                }
            }
        }
    }

    /// Whether arrays and objects nest more than `levels` deep here (the
    /// walk stops one level past `levels`).
    fn deeper_than(&self, levels: usize) -> bool {
        let children: Box<dyn Iterator<Item = &Json>> = match self {
            Json::Array(items) => Box::new(items.iter()),
            Json::Object(pairs) => Box::new(pairs.iter().map(|(_, v)| v)),
            _ => return false,
        };
        levels == 0 || children.into_iter().any(|c| c.deeper_than(levels - 1))
    }

    /// `jsonb_cmp`: PostgreSQL's B-tree order of `jsonb`.
    pub fn sql_cmp(&self, other: &Json) -> Ordering {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        self.key_bytes(&mut a);
        other.key_bytes(&mut b);
        a.cmp(&b)
    }
}

/// The deepest nesting of arrays and objects read or stored (54001 past
/// it): the recursive walks over a value stay well inside a connection's
/// stack. PostgreSQL's limit is its stack depth, some thousands of levels.
pub const MAX_DEPTH: usize = 1000;

/// 54001 when `v` (a `jsonb` value or an array of them) nests deeper than
/// [`MAX_DEPTH`]: what a table stores can always be read back.
pub fn check_depth(v: &crate::value::Value) -> crate::error::Result<()> {
    let too_deep = match v {
        crate::value::Value::Jsonb(j) => j.deeper_than(MAX_DEPTH),
        crate::value::Value::Array(a) => a.items().iter().any(|item| match item {
            crate::value::Value::Jsonb(j) => j.deeper_than(MAX_DEPTH),
            _ => false,
        }),
        _ => false,
    };
    if too_deep {
        return Err(crate::error::EngineError::JsonTooDeep);
    }
    Ok(())
}

/// The class byte of an array in [`Json::key_bytes`].
const ARRAY_CLASS: u8 = 5;

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// PostgreSQL's order of object keys in `jsonb`: shorter first, then bytewise.
fn key_order(a: &str, b: &str) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// The position `index` names in a list of `len` (negative: from the end).
pub fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let i = if index < 0 { len + index } else { index };
    usize::try_from(i).ok().filter(|_| i < len)
}
