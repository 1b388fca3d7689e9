//! Date and time arithmetic with PostgreSQL's types and rules: `date - date`
//! is days, `date ± integer` a date, adding an interval to a date or
//! timestamp moves months on the calendar (clamping the day to the month's
//! end), then days, then microseconds.

use driftdb_engine::text::{civil_from_days, days_from_civil};
use driftdb_engine::value::{DataType, Interval, MICROS_PER_DAY, Value};

use crate::error::{Result, SqlError};
use crate::expr::{BinOp, as_f64, as_i64};

/// `a op b` when either side is a date, time, timestamp or interval;
/// `None` when neither is.
pub fn datetime_arithmetic(op: BinOp, a: &Value, b: &Value) -> Option<Result<Value>> {
    use Value as V;
    let temporal = |v: &Value| {
        matches!(
            v,
            V::Date(_) | V::Time(_) | V::Timestamp(_) | V::Timestamptz(_) | V::Interval(_)
        )
    };
    if !temporal(a) && !temporal(b) {
        return None;
    }
    Some(match (op, a, b) {
        (BinOp::Minus, V::Date(x), V::Date(y)) => Ok(V::Int4(x.wrapping_sub(*y))),
        (BinOp::Plus, V::Date(d), n) | (BinOp::Plus, n, V::Date(d)) if as_i64(n).is_some() => {
            add_days(*d, as_i64(n).unwrap_or(0))
        }
        (BinOp::Minus, V::Date(d), n) if as_i64(n).is_some() => {
            add_days(*d, -as_i64(n).unwrap_or(0))
        }
        (BinOp::Plus, V::Date(d), V::Interval(iv)) | (BinOp::Plus, V::Interval(iv), V::Date(d)) => {
            shift(i64::from(*d) * MICROS_PER_DAY, *iv, 1).map(V::Timestamp)
        }
        (BinOp::Minus, V::Date(d), V::Interval(iv)) => {
            shift(i64::from(*d) * MICROS_PER_DAY, *iv, -1).map(V::Timestamp)
        }
        (BinOp::Plus, V::Date(d), V::Time(t)) | (BinOp::Plus, V::Time(t), V::Date(d)) => {
            Ok(V::Timestamp(i64::from(*d) * MICROS_PER_DAY + t))
        }
        // A time of day converts to an interval, as PostgreSQL's implicit cast.
        (BinOp::Plus, V::Timestamp(ts), V::Time(t))
        | (BinOp::Plus, V::Time(t), V::Timestamp(ts)) => Ok(V::Timestamp(ts + t)),
        (BinOp::Minus, V::Timestamp(ts), V::Time(t)) => Ok(V::Timestamp(ts - t)),
        (BinOp::Plus, V::Timestamp(ts), V::Interval(iv))
        | (BinOp::Plus, V::Interval(iv), V::Timestamp(ts)) => shift(*ts, *iv, 1).map(V::Timestamp),
        (BinOp::Minus, V::Timestamp(ts), V::Interval(iv)) => shift(*ts, *iv, -1).map(V::Timestamp),
        (BinOp::Plus, V::Timestamptz(ts), V::Interval(iv))
        | (BinOp::Plus, V::Interval(iv), V::Timestamptz(ts)) => {
            shift(*ts, *iv, 1).map(V::Timestamptz)
        }
        (BinOp::Minus, V::Timestamptz(ts), V::Interval(iv)) => {
            shift(*ts, *iv, -1).map(V::Timestamptz)
        }
        (BinOp::Minus, V::Timestamp(x), V::Timestamp(y))
        | (BinOp::Minus, V::Timestamptz(x), V::Timestamptz(y)) => {
            Ok(V::Interval(justify_hours(x.saturating_sub(*y))))
        }
        (BinOp::Plus, V::Time(t), V::Interval(iv)) | (BinOp::Plus, V::Interval(iv), V::Time(t)) => {
            Ok(V::Time((t + iv.micros).rem_euclid(MICROS_PER_DAY)))
        }
        (BinOp::Minus, V::Time(t), V::Interval(iv)) => {
            Ok(V::Time((t - iv.micros).rem_euclid(MICROS_PER_DAY)))
        }
        (BinOp::Minus, V::Time(x), V::Time(y)) => Ok(V::Interval(Interval {
            months: 0,
            days: 0,
            micros: x - y,
        })),
        (BinOp::Plus | BinOp::Minus, V::Interval(x), V::Interval(y)) => {
            let s = if op == BinOp::Plus { 1 } else { -1 };
            match (
                x.months.checked_add(s * y.months),
                x.days.checked_add(s * y.days),
                x.micros.checked_add(i64::from(s) * y.micros),
            ) {
                (Some(months), Some(days), Some(micros)) => Ok(V::Interval(Interval {
                    months,
                    days,
                    micros,
                })),
                _ => Err(SqlError::new("22008", "interval out of range")),
            }
        }
        (BinOp::Multiply, V::Interval(iv), n) | (BinOp::Multiply, n, V::Interval(iv))
            if as_f64(n).is_some() =>
        {
            scale(*iv, as_f64(n).unwrap_or(1.0), false)
        }
        (BinOp::Divide, V::Interval(iv), n) if as_f64(n).is_some() => {
            let d = as_f64(n).unwrap_or(1.0);
            if d == 0.0 {
                Err(SqlError::new("22012", "division by zero"))
            } else {
                scale(*iv, d, true)
            }
        }
        _ => Err(SqlError::new(
            "42883",
            format!(
                "operator does not exist: {} {} {}",
                crate::expr::type_name(a),
                op.symbol(),
                crate::expr::type_name(b)
            ),
        )),
    })
}

/// The type of `a op b` when either side is a date, time, timestamp or
/// interval (what [`datetime_arithmetic`] gives); `None` otherwise.
pub fn datetime_result_type(op: BinOp, a: DataType, b: DataType) -> Option<DataType> {
    use DataType as T;
    let number = |t: T| t.numeric_rank().is_some();
    let integer = |t: T| matches!(t, T::Int2 | T::Int4 | T::Int8);
    Some(match (op, a, b) {
        (BinOp::Minus, T::Date, T::Date) => T::Int4,
        (BinOp::Plus | BinOp::Minus, T::Date, n) | (BinOp::Plus, n, T::Date) if integer(n) => {
            T::Date
        }
        (BinOp::Plus | BinOp::Minus, T::Date, T::Interval | T::Time)
        | (BinOp::Plus, T::Interval | T::Time, T::Date) => T::Timestamp,
        (
            BinOp::Plus | BinOp::Minus,
            t @ (T::Timestamp | T::Timestamptz),
            T::Interval | T::Time,
        )
        | (BinOp::Plus, T::Interval | T::Time, t @ (T::Timestamp | T::Timestamptz)) => t,
        (BinOp::Minus, T::Timestamp, T::Timestamp)
        | (BinOp::Minus, T::Timestamptz, T::Timestamptz)
        | (BinOp::Minus, T::Time, T::Time) => T::Interval,
        (BinOp::Plus | BinOp::Minus, T::Time, T::Interval)
        | (BinOp::Plus, T::Interval, T::Time) => T::Time,
        (BinOp::Plus | BinOp::Minus, T::Interval, T::Interval) => T::Interval,
        (BinOp::Multiply | BinOp::Divide, T::Interval, n) | (BinOp::Multiply, n, T::Interval)
            if number(n) =>
        {
            T::Interval
        }
        _ => return None,
    })
}

/// `CAST(v AS t)` between the date/time types, in the session's time zone
/// (UTC): a timestamp's day or time of day, a date at midnight, an
/// interval's time of day; `None` when `v` and `t` are not two of them.
pub fn datetime_cast(v: &Value, t: DataType) -> Option<Result<Value>> {
    use Value as V;
    Some(match (v, t) {
        (V::Timestamp(ts) | V::Timestamptz(ts), DataType::Date) => {
            i32::try_from(ts.div_euclid(MICROS_PER_DAY))
                .map(V::Date)
                .map_err(|_| SqlError::new("22008", "date out of range"))
        }
        (V::Timestamp(ts) | V::Timestamptz(ts), DataType::Time) => {
            Ok(V::Time(ts.rem_euclid(MICROS_PER_DAY)))
        }
        (V::Timestamp(ts) | V::Timestamptz(ts), DataType::Timestamp) => Ok(V::Timestamp(*ts)),
        (V::Timestamp(ts) | V::Timestamptz(ts), DataType::Timestamptz) => Ok(V::Timestamptz(*ts)),
        (V::Date(d), DataType::Timestamp) => Ok(V::Timestamp(i64::from(*d) * MICROS_PER_DAY)),
        (V::Date(d), DataType::Timestamptz) => Ok(V::Timestamptz(i64::from(*d) * MICROS_PER_DAY)),
        (V::Interval(iv), DataType::Time) => Ok(V::Time(iv.micros.rem_euclid(MICROS_PER_DAY))),
        (V::Time(t), DataType::Interval) => Ok(V::Interval(Interval {
            months: 0,
            days: 0,
            micros: *t,
        })),
        _ => return None,
    })
}

fn add_days(d: i32, n: i64) -> Result<Value> {
    i32::try_from(i64::from(d) + n)
        .map(Value::Date)
        .map_err(|_| SqlError::new("22008", "date out of range"))
}

/// `ts` moved by `sign × iv`: months on the calendar first, then days, then
/// microseconds.
fn shift(ts: i64, iv: Interval, sign: i32) -> Result<i64> {
    let days = ts.div_euclid(MICROS_PER_DAY);
    let time = ts.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let months = y * 12 + i64::from(m) - 1 + i64::from(sign * iv.months);
    let (ny, nm) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
    let last = days_in_month(ny, nm);
    let day = d.min(last);
    let new_days = days_from_civil(ny, nm, day) + i64::from(sign) * i64::from(iv.days);
    new_days
        .checked_mul(MICROS_PER_DAY)
        .and_then(|x| x.checked_add(time))
        .and_then(|x| x.checked_add(i64::from(sign) * iv.micros))
        .ok_or_else(|| SqlError::new("22008", "timestamp out of range"))
}

/// The days of month `m` (1-12) of year `y` (proleptic Gregorian).
pub(crate) fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        _ => 28,
    }
}

/// A span of microseconds as PostgreSQL's timestamp difference gives it:
/// whole days and the rest.
fn justify_hours(micros: i64) -> Interval {
    Interval {
        months: 0,
        days: (micros / MICROS_PER_DAY) as i32,
        micros: micros % MICROS_PER_DAY,
    }
}

/// `iv × f` (or `iv / f` when `divide`) as PostgreSQL 15's `interval_mul`
/// and `interval_div` compute it: whole months and days, the fractions
/// cascading down (a month is 30 days, each remainder rounded to 6
/// decimals as PostgreSQL's `TSROUND` does), then the time.
fn scale(iv: Interval, f: f64, divide: bool) -> Result<Value> {
    let apply = |x: f64| if divide { x / f } else { x * f };
    let tsround = |x: f64| (x * 1e6).round_ties_even() / 1e6;
    let whole = |x: f64| {
        if x.is_nan() || x > f64::from(i32::MAX) || x < f64::from(i32::MIN) {
            Err(SqlError::new("22008", "interval out of range"))
        } else {
            Ok(x as i32)
        }
    };
    let months = whole(apply(f64::from(iv.months)))?;
    let mut days = whole(apply(f64::from(iv.days)))?;
    let month_remainder_days = tsround((apply(f64::from(iv.months)) - f64::from(months)) * 30.0);
    let mut sec_remainder = tsround(
        (apply(f64::from(iv.days)) - f64::from(days) + month_remainder_days
            - month_remainder_days.trunc())
            * 86_400.0,
    );
    if sec_remainder.abs() >= 86_400.0 {
        let carried = (sec_remainder / 86_400.0).trunc();
        days = days.saturating_add(carried as i32);
        sec_remainder -= carried * 86_400.0;
    }
    days = days.saturating_add(month_remainder_days as i32);
    let micros = (apply(iv.micros as f64) + sec_remainder * 1e6).round_ties_even();
    if !micros.is_finite() || micros.abs() >= 9.2e18 {
        return Err(SqlError::new("22008", "interval out of range"));
    }
    Ok(Value::Interval(Interval {
        months,
        days,
        micros: micros as i64,
    }))
}
