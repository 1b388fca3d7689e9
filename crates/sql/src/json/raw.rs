//! `->`, `#>` and the set-returning functions over `json` text: what they
//! take out of a `json` value is that part's text as written (white space
//! and duplicate keys kept), as PostgreSQL's `json` functions give it; a
//! duplicated key finds its last value.

use driftdb_engine::json::{Json, parse_json, raw_members, resolve_index};
use driftdb_engine::value::Value;

use super::Step;
use crate::error::Result;

fn is_object(raw: &str) -> bool {
    raw.trim_start().starts_with('{')
}

/// The text of the member of `raw` that `step` names.
pub(super) fn child<'t>(raw: &'t str, step: Step<'_>) -> Result<Option<&'t str>> {
    let Some(members) = raw_members(raw)? else {
        return Ok(None);
    };
    Ok(match step {
        Step::Key(k) if is_object(raw) => members
            .iter()
            .rev()
            .find(|(m, _)| m.as_deref() == Some(k))
            .map(|(_, t)| *t),
        Step::Index(i) if !is_object(raw) => resolve_index(i, members.len()).map(|i| members[i].1),
        _ => None,
    })
}

/// The text at `path` in `raw` (keys for objects, indexes for arrays).
pub(super) fn walk<'t>(raw: &'t str, path: &[Option<String>]) -> Result<Option<&'t str>> {
    let mut at = raw;
    for step in path {
        let Some(step) = step.as_deref() else {
            return Ok(None);
        };
        let step = if is_object(at) {
            Step::Key(step)
        } else {
            match step.trim().parse() {
                Ok(i) => Step::Index(i),
                Err(_) => return Ok(None),
            }
        };
        match child(at, step)? {
            Some(next) => at = next,
            None => return Ok(None),
        }
    }
    Ok(Some(at))
}

/// A part found: `json`, or as text (a string unescaped, `null` as NULL).
pub(super) fn taken(found: Option<&str>, as_text: bool) -> Result<Value> {
    Ok(match found {
        None => Value::Null,
        Some(t) if as_text => text(t)?,
        Some(t) => Value::Json(t.to_string()),
    })
}

/// The text `->>` gives of the part `t`.
pub(super) fn text(t: &str) -> Result<Value> {
    Ok(match parse_json(t)? {
        Json::Null => Value::Null,
        Json::String(s) => Value::Text(s),
        _ => Value::Text(t.trim().to_string()),
    })
}
