//! Scalar functions: their names, and their values with PostgreSQL's NULL
//! rules.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;

use driftdb_engine::text::format_text;

use driftdb_engine::value::Value;

use crate::array::ArrayFunc;
use crate::error::{Result, SqlError};
use crate::expr::{Env, Expr, Func, compare, negate_value, type_error};
use crate::rel::SeriesFunc;

impl Func {
    /// The function a (lower-cased) name calls, if it is one of ours.
    pub fn by_name(name: &str) -> Option<Func> {
        Some(match name {
            "coalesce" => Func::Coalesce,
            "nullif" => Func::Nullif,
            "greatest" => Func::Greatest,
            "least" => Func::Least,
            "lower" => Func::Lower,
            "upper" => Func::Upper,
            "length" | "char_length" | "character_length" => Func::Length,
            "abs" => Func::Abs,
            "rtrim" => Func::Rtrim,
            "unnest" => Func::Series(SeriesFunc::Unnest),
            "generate_subscripts" => Func::Series(SeriesFunc::GenerateSubscripts),
            "generate_series" => Func::Series(SeriesFunc::GenerateSeries),
            other => {
                return ArrayFunc::by_name(other)
                    .map(Func::Array)
                    .or_else(|| crate::json::JsonFunc::by_name(other).map(Func::Json))
                    .or_else(|| {
                        crate::json::series::JsonSeries::by_name(other)
                            .map(|j| Func::Series(SeriesFunc::Json(j)))
                    })
                    .or_else(|| crate::sequence::SeqFunc::by_name(other).map(Func::Sequence))
                    .or_else(|| crate::system::functions::by_name(other).map(Func::Catalog));
            }
        })
    }

    /// The SQL name, for error messages and column names.
    pub fn name(self) -> &'static str {
        match self {
            Func::Coalesce => "coalesce",
            Func::Nullif => "nullif",
            Func::Greatest => "greatest",
            Func::Least => "least",
            Func::Lower => "lower",
            Func::Upper => "upper",
            Func::Length => "length",
            Func::Abs => "abs",
            Func::Rtrim => "rtrim",
            Func::Regex(_) => "textregexeq",
            Func::Catalog(c) => c.name(),
            Func::Sequence(f) => f.name(),
            Func::Array(a) => a.name(),
            Func::Json(j) => j.name(),
            Func::Series(SeriesFunc::Json(j)) => j.name(),
            Func::Series(SeriesFunc::Unnest) => "unnest",
            Func::Series(SeriesFunc::GenerateSubscripts) => "generate_subscripts",
            Func::Series(SeriesFunc::GenerateSeries) => "generate_series",
            Func::Series(SeriesFunc::PartitionAncestors) => "pg_partition_ancestors",
        }
    }

    /// Whether `n` arguments are accepted.
    pub fn accepts(self, n: usize) -> bool {
        match self {
            Func::Coalesce | Func::Greatest | Func::Least => n >= 1,
            Func::Nullif => n == 2,
            Func::Lower | Func::Upper | Func::Length | Func::Abs | Func::Rtrim => n == 1,
            Func::Regex(_) => n == 2,
            Func::Catalog(c) => c.accepts(n),
            Func::Sequence(f) => f.accepts(n),
            Func::Array(a) => a.accepts(n),
            Func::Json(j) => j.accepts(n),
            Func::Series(SeriesFunc::Json(_)) => n == 1,
            Func::Series(SeriesFunc::Unnest | SeriesFunc::PartitionAncestors) => n == 1,
            Func::Series(SeriesFunc::GenerateSubscripts) => n == 2,
            Func::Series(SeriesFunc::GenerateSeries) => n == 2 || n == 3,
        }
    }
}

/// The value of `func(args)` for `row`.
pub fn call(func: Func, args: &[Expr], row: &[Value], env: &Env<'_, '_>) -> Result<Value> {
    match func {
        Func::Array(a) => crate::array::call(a, args, row, env),
        Func::Json(j) => crate::json::call(j, args, row, env),
        Func::Series(_) => Err(SqlError::new(
            "0A000",
            format!(
                "set-returning function {}() is only supported in FROM or as a select item",
                func.name()
            ),
        )),
        Func::Regex(case_insensitive) => {
            let [a, b] = args else {
                return Err(arity(func));
            };
            let (v, p) = (a.eval(row, env)?, b.eval(row, env)?);
            if v.is_null() || p.is_null() {
                return Ok(Value::Null);
            }
            let (v, p) = (
                format_text(&v).unwrap_or_default(),
                format_text(&p).unwrap_or_default(),
            );
            Ok(Value::Bool(regex_match(&v, &p, case_insensitive)?))
        }
        Func::Sequence(f) => crate::sequence::call(f, args, row, env),
        Func::Catalog(c) => {
            let values = args
                .iter()
                .map(|a| a.eval(row, env))
                .collect::<Result<Vec<_>>>()?;
            let catalog = if c.needs_catalog() {
                Some(env.catalog()?)
            } else {
                None
            };
            crate::system::functions::call(c, &values, catalog)
        }
        Func::Coalesce => {
            for a in args {
                let v = a.eval(row, env)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Ok(Value::Null)
        }
        Func::Nullif => {
            let [a, b] = args else {
                return Err(arity(func));
            };
            let x = a.eval(row, env)?;
            let y = b.eval(row, env)?;
            let equal = !x.is_null() && !y.is_null() && compare(&x, &y)? == Ordering::Equal;
            Ok(if equal { Value::Null } else { x })
        }
        Func::Greatest | Func::Least => {
            let want = if func == Func::Greatest {
                Ordering::Greater
            } else {
                Ordering::Less
            };
            let mut best = Value::Null;
            for a in args {
                let v = a.eval(row, env)?;
                if !v.is_null() && (best.is_null() || compare(&v, &best)? == want) {
                    best = v;
                }
            }
            Ok(best)
        }
        Func::Lower | Func::Upper | Func::Length | Func::Abs | Func::Rtrim => {
            let [a] = args else {
                return Err(arity(func));
            };
            let v = a.eval(row, env)?;
            match (func, v) {
                (_, Value::Null) => Ok(Value::Null),
                (Func::Lower, Value::Text(s)) => Ok(Value::Text(s.to_lowercase())),
                (Func::Upper, Value::Text(s)) => Ok(Value::Text(s.to_uppercase())),
                (Func::Rtrim, Value::Text(s)) => {
                    Ok(Value::Text(s.trim_end_matches(' ').to_string()))
                }
                (Func::Length, Value::Text(s)) => Ok(Value::Int4(
                    i32::try_from(s.chars().count()).unwrap_or(i32::MAX),
                )),
                (Func::Abs, v @ (Value::Int2(_) | Value::Int4(_) | Value::Int8(_))) => {
                    let negative = compare(&v, &Value::Int8(0))? == Ordering::Less;
                    if negative { negate_value(v) } else { Ok(v) }
                }
                (Func::Abs, Value::Float4(f)) => Ok(Value::Float4(f.abs())),
                (Func::Abs, Value::Float8(f)) => Ok(Value::Float8(f.abs())),
                (Func::Abs, Value::Numeric(n)) => Ok(Value::Numeric(n.abs())),
                (_, other) => Err(type_error(func.name(), &other)),
            }
        }
    }
}

/// Whether `text` matches the POSIX regular expression `pattern`
/// (compiled patterns are kept per thread, since catalog queries repeat them
/// row after row).
fn regex_match(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    thread_local! {
        static COMPILED: RefCell<HashMap<(String, bool), regex::Regex>> = RefCell::new(HashMap::new());
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let key = (pattern.to_string(), case_insensitive);
        if !cache.contains_key(&key) {
            let re = regex::RegexBuilder::new(pattern)
                .case_insensitive(case_insensitive)
                .build()
                .map_err(|e| SqlError::new("2201B", format!("invalid regular expression: {e}")))?;
            if cache.len() > 256 {
                cache.clear();
            }
            cache.insert(key.clone(), re);
        }
        Ok(cache.get(&key).is_some_and(|re| re.is_match(text)))
    })
}

fn arity(func: Func) -> SqlError {
    SqlError::new(
        "42883",
        format!(
            "function {}() has the wrong number of arguments",
            func.name()
        ),
    )
}
