//! The `jsonb` operations behind the operators and functions: path walks,
//! containment (`@>`), key tests (`?`), concatenation, deletion,
//! `jsonb_set` and `jsonb_strip_nulls`, as PostgreSQL's `jsonfuncs.c` and
//! `jsonb_util.c` define them.

use std::cmp::Ordering;

use driftdb_engine::json::{Json, resolve_index};

use crate::error::{Result, SqlError};

/// What `#>` finds at `path`: object members by key, array elements by
/// (possibly negative) index; `None` when a step finds nothing.
pub(super) fn walk<'j>(j: &'j Json, path: &[Option<String>]) -> Option<&'j Json> {
    path.iter().try_fold(j, |at, step| {
        let step = step.as_deref()?;
        match at {
            Json::Object(_) => at.get(step),
            Json::Array(_) => at.at(step.trim().parse().ok()?),
            _ => None,
        }
    })
}

/// `a @> b`: every member of `b` is in `a` (arrays as sets; a top-level
/// array contains a scalar it holds).
pub(super) fn contains(a: &Json, b: &Json, top: bool) -> bool {
    match (a, b) {
        (Json::Object(_), Json::Object(want)) => want.iter().all(|(k, bv)| {
            a.get(k)
                .is_some_and(|av| same_kind(av, bv) && contains(av, bv, false))
        }),
        (Json::Array(have), Json::Array(want)) => want.iter().all(|bv| {
            have.iter()
                .any(|av| same_kind(av, bv) && contains(av, bv, false))
        }),
        (Json::Array(have), scalar) if top && !is_container(scalar) => {
            have.iter().any(|av| scalar_eq(av, scalar))
        }
        (a, b) => scalar_eq(a, b),
    }
}

fn is_container(j: &Json) -> bool {
    matches!(j, Json::Array(_) | Json::Object(_))
}

fn same_kind(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Array(_), Json::Array(_)) | (Json::Object(_), Json::Object(_)) => true,
        (a, b) => !is_container(a) && !is_container(b),
    }
}

fn scalar_eq(a: &Json, b: &Json) -> bool {
    !is_container(a) && !is_container(b) && a.sql_cmp(b) == Ordering::Equal
}

/// `j ? key`: an object's key, an array's string element, or the string itself.
pub(super) fn has_key(j: &Json, key: &str) -> bool {
    match j {
        Json::Object(pairs) => pairs.iter().any(|(k, _)| k == key),
        Json::Array(items) => items
            .iter()
            .any(|i| matches!(i, Json::String(s) if s == key)),
        Json::String(s) => s == key,
        _ => false,
    }
}

/// `a || b`: two objects merge (`b`'s members win); otherwise both become
/// arrays (a non-array as its one element) and are joined.
pub(super) fn concat(a: Json, b: Json) -> Json {
    match (a, b) {
        (Json::Object(mut x), Json::Object(y)) => {
            x.extend(y);
            Json::object(x)
        }
        (a, b) => {
            let mut items = into_items(a);
            items.extend(into_items(b));
            Json::Array(items)
        }
    }
}

fn into_items(j: Json) -> Vec<Json> {
    match j {
        Json::Array(items) => items,
        other => vec![other],
    }
}

fn invalid(message: impl Into<String>) -> SqlError {
    SqlError::new("22023", message)
}

/// `j - key` / `j - keys`: the members (or string elements) named removed.
pub(super) fn delete_keys(j: Json, keys: &[Option<String>]) -> Result<Json> {
    let named = |k: &str| keys.iter().flatten().any(|key| key == k);
    Ok(match j {
        Json::Object(pairs) => Json::Object(pairs.into_iter().filter(|(k, _)| !named(k)).collect()),
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .filter(|i| !matches!(i, Json::String(s) if named(s)))
                .collect(),
        ),
        _ => return Err(invalid("cannot delete from scalar")),
    })
}

/// `j - index`: the array element removed (a negative index from the end).
pub(super) fn delete_index(j: Json, index: i64) -> Result<Json> {
    match j {
        Json::Array(mut items) => {
            if let Some(i) = resolve_index(index, items.len()) {
                items.remove(i);
            }
            Ok(Json::Array(items))
        }
        Json::Object(_) => Err(invalid("cannot delete from object using integer index")),
        _ => Err(invalid("cannot delete from scalar")),
    }
}

/// A path step: the key, or for an array the index it must spell.
fn step(path: &[Option<String>], pos: usize) -> Result<&str> {
    path.get(pos).and_then(Option::as_deref).ok_or_else(|| {
        SqlError::new(
            "22004",
            format!("path element at position {} is null", pos + 1),
        )
    })
}

fn index_step(path: &[Option<String>], pos: usize) -> Result<i64> {
    let s = step(path, pos)?;
    s.trim().parse().map_err(|_| {
        SqlError::new(
            "22P02",
            format!(
                "path element at position {} is not an integer: \"{s}\"",
                pos + 1
            ),
        )
    })
}

/// `j #- path`: the member or element at `path` removed.
pub(super) fn delete_path(j: Json, path: &[Option<String>]) -> Result<Json> {
    if !is_container(&j) {
        return Err(invalid("cannot delete path in scalar"));
    }
    delete_at(j, path, 0)
}

fn delete_at(j: Json, path: &[Option<String>], pos: usize) -> Result<Json> {
    if pos >= path.len() {
        return Ok(j);
    }
    let last = pos + 1 == path.len();
    Ok(match j {
        Json::Object(pairs) => {
            let key = step(path, pos)?;
            let mut out = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                match (k == key, last) {
                    (true, true) => {}
                    (true, false) => out.push((k, delete_at(v, path, pos + 1)?)),
                    (false, _) => out.push((k, v)),
                }
            }
            Json::Object(out)
        }
        Json::Array(mut items) => {
            let Some(i) = resolve_index(index_step(path, pos)?, items.len()) else {
                return Ok(Json::Array(items));
            };
            if last {
                items.remove(i);
            } else {
                let item = std::mem::replace(&mut items[i], Json::Null);
                items[i] = delete_at(item, path, pos + 1)?;
            }
            Json::Array(items)
        }
        scalar => scalar,
    })
}

/// `jsonb_set(j, path, new, create_missing)`: the value at `path` replaced
/// by `new`; a missing last step added when `create` (an array index past
/// either end adds at that end).
pub(super) fn set(j: Json, path: &[Option<String>], new: Json, create: bool) -> Result<Json> {
    if !is_container(&j) {
        return Err(invalid("cannot set path in scalar"));
    }
    set_at(j, path, 0, new, create)
}

fn set_at(j: Json, path: &[Option<String>], pos: usize, new: Json, create: bool) -> Result<Json> {
    if pos >= path.len() {
        return Ok(j);
    }
    let last = pos + 1 == path.len();
    Ok(match j {
        Json::Object(mut pairs) => {
            let key = step(path, pos)?;
            match pairs.iter().position(|(k, _)| k == key) {
                Some(i) if last => pairs[i].1 = new,
                Some(i) => {
                    let v = std::mem::replace(&mut pairs[i].1, Json::Null);
                    pairs[i].1 = set_at(v, path, pos + 1, new, create)?;
                }
                None if last && create => {
                    pairs.push((key.to_string(), new));
                    return Ok(Json::object(pairs));
                }
                None => {}
            }
            Json::Object(pairs)
        }
        Json::Array(mut items) => {
            let index = index_step(path, pos)?;
            match resolve_index(index, items.len()) {
                Some(i) if last => items[i] = new,
                Some(i) => {
                    let v = std::mem::replace(&mut items[i], Json::Null);
                    items[i] = set_at(v, path, pos + 1, new, create)?;
                }
                None if last && create && index < 0 => items.insert(0, new),
                None if last && create => items.push(new),
                None => {}
            }
            Json::Array(items)
        }
        scalar => scalar,
    })
}

/// `jsonb_strip_nulls`: object members whose value is null removed, at
/// every depth (array elements stay).
pub(super) fn strip_nulls(j: Json) -> Json {
    match j {
        Json::Object(pairs) => Json::Object(
            pairs
                .into_iter()
                .filter(|(_, v)| *v != Json::Null)
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.into_iter().map(strip_nulls).collect()),
        scalar => scalar,
    }
}
