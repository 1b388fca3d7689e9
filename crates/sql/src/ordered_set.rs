//! Ordered-set aggregates (`… WITHIN GROUP (ORDER BY v)`): `percentile_cont`,
//! `percentile_disc` and `mode`, computed from a group's rows sorted on `v`
//! when the group ends, NULL values of `v` left out, as PostgreSQL does.

use std::cmp::Ordering;

use driftdb_engine::value::{Array, DataType, Value};

use crate::error::{Result, SqlError};
use crate::expr::{Env, as_f64, compare};
use crate::rel::{AggCall, AggFunc};

/// The value of the ordered-set aggregate `call` over a group's `rows`.
pub fn finish(call: &AggCall, rows: Vec<Vec<Value>>, env: &Env<'_, '_>) -> Result<Value> {
    let Some(key) = call.order.first() else {
        return Err(SqlError::new(
            "42809",
            "an ordered-set aggregate needs WITHIN GROUP (ORDER BY …)",
        ));
    };
    // The direct argument (the fraction) is the same for the whole group.
    let fraction = match (call.args.first(), rows.first()) {
        (Some(e), Some(row)) => e.eval(row, env)?,
        _ => Value::Null,
    };
    let sorted = crate::run::sort(Box::new(rows.into_iter().map(Ok)), &call.order, env)?;
    let mut values = Vec::with_capacity(sorted.len());
    for row in &sorted {
        let v = key.expr.eval(row, env)?;
        if !v.is_null() {
            values.push(v);
        }
    }
    if values.is_empty() {
        return Ok(Value::Null);
    }
    match call.func {
        AggFunc::Mode => mode(values),
        func => match fraction {
            Value::Array(fractions) => {
                let results = fractions
                    .items()
                    .iter()
                    .map(|f| percentile(func, &values, f))
                    .collect::<Result<Vec<_>>>()?;
                let element = match func {
                    AggFunc::PercentileCont => DataType::Float8,
                    _ => values
                        .first()
                        .and_then(Value::data_type)
                        .unwrap_or(DataType::Text),
                };
                Ok(Value::Array(Array::new(element, results)?))
            }
            f => percentile(func, &values, &f),
        },
    }
}

/// `percentile_cont(f)` or `percentile_disc(f)` of the sorted non-NULL
/// `values` (NULL for a NULL fraction; 22003 outside [0, 1]).
fn percentile(func: AggFunc, values: &[Value], f: &Value) -> Result<Value> {
    if f.is_null() {
        return Ok(Value::Null);
    }
    let f = as_f64(f).ok_or_else(|| {
        SqlError::new(
            "42804",
            "the percentile fraction must be a number (double precision)",
        )
    })?;
    if !(0.0..=1.0).contains(&f) {
        return Err(SqlError::new(
            "22003",
            format!("percentile value {f} is not between 0 and 1"),
        ));
    }
    let n = values.len();
    if func == AggFunc::PercentileDisc {
        // The first value whose cumulative share reaches f.
        let k = ((f * n as f64).ceil() as usize).clamp(1, n);
        return Ok(values[k - 1].clone());
    }
    let at = f * (n - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    let number = |i: usize| {
        as_f64(&values[i]).ok_or_else(|| {
            SqlError::new(
                "42883",
                "percentile_cont takes numbers (double precision) in WITHIN GROUP",
            )
        })
    };
    let (a, b) = (number(lo)?, number(hi)?);
    Ok(Value::Float8(if lo == hi {
        a
    } else {
        a + (b - a) * (at - lo as f64)
    }))
}

/// The most frequent of the sorted `values`; among equally frequent ones,
/// the first in the order.
fn mode(values: Vec<Value>) -> Result<Value> {
    let mut best: Option<(usize, usize)> = None;
    let mut run_start = 0;
    for i in 1..=values.len() {
        let ends = i == values.len() || compare(&values[i], &values[run_start])? != Ordering::Equal;
        if ends {
            let len = i - run_start;
            if best.is_none_or(|(_, l)| len > l) {
                best = Some((run_start, len));
            }
            run_start = i;
        }
    }
    Ok(best.map_or(Value::Null, |(i, _)| values[i].clone()))
}
