//! Date/time functions as PostgreSQL 15 has them, in the session time zone
//! (UTC, the one DriftDB has): the transaction's `now()` and its siblings,
//! `age`, `date_bin`, `timezone`, the `make_*` constructors and the
//! `justify_*` normalisations; `date_trunc` and `extract`/`date_part` are
//! `datetime_fields`', `to_char`, `to_timestamp` and `to_date`
//! `datetime_format`'s.

use driftdb_engine::text::{days_from_civil, parse_text};
use driftdb_engine::txn::wall_clock_micros;
use driftdb_engine::value::{DataType, Interval, MICROS_PER_DAY, Value};

use super::args::{float, int, wrong_type};
use super::datetime_fields::{
    HOUR, MINUTE, SECOND, UNIX_TO_2000_SECS, date_trunc, extract, fields, unit,
};
use crate::datetime_ops::days_in_month;
use crate::error::{Result, SqlError};
use crate::expr::Env;

/// A date/time function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFunc {
    /// `age(timestamp [, timestamp])`
    Age,
    /// `clock_timestamp()`: the wall clock now (volatile).
    ClockTimestamp,
    /// `current_date`
    CurrentDate,
    /// `current_time` (a `time`: DriftDB has no `timetz`)
    CurrentTime,
    /// `date_bin(stride, source, origin)`: the start of the stride-long bin
    /// (counted from origin) that holds source.
    DateBin,
    /// `date_part(text, source)`: `double precision`.
    DatePart,
    /// `date_trunc(text, source)`
    DateTrunc,
    /// `extract(field FROM source)`: `numeric`.
    Extract,
    /// `justify_days(interval)`
    JustifyDays,
    /// `justify_hours(interval)`
    JustifyHours,
    /// `justify_interval(interval)`
    JustifyInterval,
    /// `localtime`
    LocalTime,
    /// `localtimestamp`
    LocalTimestamp,
    /// `make_date(year, month, day)`
    MakeDate,
    /// `make_interval(years, months, weeks, days, hours, mins, secs)`
    MakeInterval,
    /// `make_timestamp(year, month, day, hour, min, sec)`
    MakeTimestamp,
    /// `now()`, `current_timestamp`, `transaction_timestamp()`: when the
    /// transaction began.
    Now,
    /// `statement_timestamp()`
    StatementTimestamp,
    /// `timezone(zone, value)`, `value AT TIME ZONE zone`: a `timestamp`
    /// read in the zone as a `timestamptz`, or the other way round.
    Timezone,
    /// `to_char(value, format)`
    ToChar,
    /// `to_date(text, format)`
    ToDate,
    /// `to_timestamp(text, format)` or `to_timestamp(epoch seconds)`
    ToTimestamp,
}

impl TimeFunc {
    /// The result type for arguments of types `args`.
    pub fn result_type(self, args: &[Option<DataType>]) -> Option<DataType> {
        use TimeFunc as F;
        Some(match self {
            F::Age | F::JustifyDays | F::JustifyHours | F::JustifyInterval | F::MakeInterval => {
                DataType::Interval
            }
            F::ClockTimestamp | F::Now | F::StatementTimestamp | F::ToTimestamp => {
                DataType::Timestamptz
            }
            F::CurrentDate | F::MakeDate | F::ToDate => DataType::Date,
            F::CurrentTime | F::LocalTime => DataType::Time,
            F::LocalTimestamp | F::MakeTimestamp => DataType::Timestamp,
            F::DatePart => DataType::Float8,
            F::Extract => DataType::Numeric(None),
            F::ToChar => DataType::Text,
            F::Timezone => match args.get(1).copied().flatten() {
                Some(DataType::Timestamp) => DataType::Timestamptz,
                _ => DataType::Timestamp,
            },
            F::DateBin => match args.get(1).copied().flatten() {
                Some(DataType::Timestamp) => DataType::Timestamp,
                _ => DataType::Timestamptz,
            },
            F::DateTrunc => match args.get(1).copied().flatten() {
                Some(t @ (DataType::Timestamp | DataType::Interval)) => t,
                _ => DataType::Timestamptz,
            },
        })
    }
}

/// The value of `func(args)` in `env`'s transaction.
pub fn call(func: TimeFunc, name: &str, args: &[Value], env: &Env<'_, '_>) -> Result<Value> {
    use TimeFunc as F;
    let mut started = env.txn.started_at();
    if let (F::Now | F::LocalTimestamp | F::CurrentTime | F::LocalTime, [precision]) = (func, args)
    {
        started = round_to_precision(started, int(name, Some(precision))?)?;
    }
    Ok(match func {
        F::Now => Value::Timestamptz(started),
        F::StatementTimestamp => Value::Timestamptz(env.txn.statement_at()),
        F::ClockTimestamp => Value::Timestamptz(wall_clock_micros()),
        F::LocalTimestamp => Value::Timestamp(started),
        F::CurrentDate => Value::Date(
            i32::try_from(started.div_euclid(MICROS_PER_DAY)).map_err(|_| date_range())?,
        ),
        F::CurrentTime | F::LocalTime => Value::Time(started.rem_euclid(MICROS_PER_DAY)),
        F::Age => {
            let midnight = started - started.rem_euclid(MICROS_PER_DAY);
            let (later, earlier) = match args {
                [a, b] => (timestamp_arg(name, a)?, timestamp_arg(name, b)?),
                [b] => (midnight, timestamp_arg(name, b)?),
                _ => return Err(SqlError::new("42883", "age() takes one or two arguments")),
            };
            Value::Interval(age(later, earlier))
        }
        F::DateTrunc => date_trunc(&text_arg(args.first()), args.get(1))?,
        F::DateBin => date_bin(name, args)?,
        F::Timezone => {
            let zone = text_arg(args.first());
            if !crate::params::is_utc(&zone) {
                return Err(SqlError::new(
                    "22023",
                    format!("time zone \"{zone}\" not recognized"),
                ));
            }
            // UTC: the same instant, only the type changes (a date is read
            // as a timestamptz, PostgreSQL's preferred type).
            match args.get(1) {
                Some(Value::Timestamp(t)) => Value::Timestamptz(*t),
                Some(v) => Value::Timestamp(timestamp_arg(name, v)?),
                None => Value::Null,
            }
        }
        F::Extract => Value::Numeric(extract(&text_arg(args.first()), args.get(1), true)?),
        F::DatePart => {
            let field = text_arg(args.first());
            Value::Float8(match args.get(1) {
                // PostgreSQL divides the µs in double precision.
                Some(Value::Timestamp(t) | Value::Timestamptz(t)) if unit(&field) == "epoch" => {
                    (t + UNIX_TO_2000_SECS * SECOND) as f64 / 1e6
                }
                v => extract(&field, v, false)?.to_f64(),
            })
        }
        F::JustifyDays => Value::Interval(justify_days(interval_arg(name, args.first())?)),
        F::JustifyHours => Value::Interval(justify_hours(interval_arg(name, args.first())?)),
        F::JustifyInterval => Value::Interval(justify_interval(interval_arg(name, args.first())?)),
        F::MakeDate => {
            let arg = |i| int(name, args.get(i));
            Value::Date(make_date(arg(0)?, arg(1)?, arg(2)?)?)
        }
        F::MakeTimestamp => {
            let arg = |i| int(name, args.get(i));
            let day = make_date(arg(0)?, arg(1)?, arg(2)?)?;
            let (h, mi) = (arg(3)?, arg(4)?);
            let sec = float(name, args.get(5))?;
            let valid = (0..24).contains(&h) && (0..60).contains(&mi) && (0.0..60.0).contains(&sec);
            if !valid {
                return Err(SqlError::new(
                    "22008",
                    format!("time field value out of range: {h:02}:{mi:02}:{sec:02}"),
                ));
            }
            let time = h * HOUR + mi * MINUTE + (sec * 1e6).round() as i64;
            Value::Timestamp(i64::from(day) * MICROS_PER_DAY + time)
        }
        F::MakeInterval => make_interval(name, args)?,
        F::ToChar => super::datetime_format::to_char(args)?,
        F::ToDate => {
            super::datetime_format::to_date(&text_arg(args.first()), &text_arg(args.get(1)))?
        }
        F::ToTimestamp => match args {
            [text, format] => super::datetime_format::to_timestamp(
                &text_arg(Some(text)),
                &text_arg(Some(format)),
            )?,
            _ => epoch_to_timestamp(float(name, args.first())?)?,
        },
    })
}

/// `ts` rounded to `precision` decimals of a second (`current_timestamp(0)`);
/// above 6 is 6, as PostgreSQL clamps it.
fn round_to_precision(ts: i64, precision: i64) -> Result<i64> {
    if precision < 0 {
        return Err(SqlError::new(
            "22023",
            format!("TIMESTAMP({precision}) precision must not be negative"),
        ));
    }
    let unit = 10i64.pow(6 - precision.min(6) as u32);
    Ok((ts + unit / 2).div_euclid(unit) * unit)
}

fn date_range() -> SqlError {
    SqlError::new("22008", "date out of range")
}

fn text_arg(v: Option<&Value>) -> String {
    v.and_then(driftdb_engine::text::format_text)
        .unwrap_or_default()
}

fn interval_arg(name: &str, v: Option<&Value>) -> Result<Interval> {
    match v {
        Some(Value::Interval(iv)) => Ok(*iv),
        Some(Value::Text(s)) => match parse_text(s, DataType::Interval)? {
            Value::Interval(iv) => Ok(iv),
            _ => Err(SqlError::new(
                "42883",
                format!("{name}() takes an interval"),
            )),
        },
        Some(v) => Err(wrong_type(name, v)),
        None => Err(SqlError::new(
            "42883",
            format!("{name}() takes an interval"),
        )),
    }
}

/// A timestamp (or a date at midnight, or text read as one) in µs.
fn timestamp_arg(name: &str, v: &Value) -> Result<i64> {
    Ok(match v {
        Value::Timestamp(t) | Value::Timestamptz(t) => *t,
        Value::Date(d) => i64::from(*d) * MICROS_PER_DAY,
        Value::Text(s) => match parse_text(s, DataType::Timestamptz)? {
            Value::Timestamptz(t) => t,
            _ => 0,
        },
        other => return Err(wrong_type(name, other)),
    })
}

/// `age(a, b)`: `a - b` in years, months and days of the calendar, as
/// PostgreSQL's `timestamp_age` counts them (borrowing the length of the
/// month from the earlier side).
fn age(a: i64, b: i64) -> Interval {
    let (fa, fb) = (fields(a), fields(b));
    let sign = if a < b { -1 } else { 1 };
    let mut micros = sign * (fa.time - fb.time);
    let mut days = sign * (i64::from(fa.day) - i64::from(fb.day));
    let mut months = sign * (i64::from(fa.month) - i64::from(fb.month));
    let mut years = sign * (fa.year - fb.year);
    if micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    }
    while days < 0 {
        let from = if a < b { fa } else { fb };
        days += i64::from(days_in_month(from.year, from.month));
        months -= 1;
    }
    while months < 0 {
        months += 12;
        years -= 1;
    }
    Interval {
        months: (sign * (years * 12 + months)) as i32,
        days: (sign * days) as i32,
        micros: sign * micros,
    }
}

/// `date_bin(stride, source, origin)`: origin plus a whole number of
/// strides, the last one not after source.
fn date_bin(name: &str, args: &[Value]) -> Result<Value> {
    let stride = interval_arg(name, args.first())?;
    if stride.months != 0 {
        return Err(SqlError::new(
            "0A000",
            "timestamps cannot be binned into intervals containing months or years",
        ));
    }
    let step = i64::from(stride.days)
        .checked_mul(MICROS_PER_DAY)
        .and_then(|d| d.checked_add(stride.micros))
        .filter(|s| *s > 0)
        .ok_or_else(|| SqlError::new("22008", "stride must be greater than zero"))?;
    let (source, origin) = match args {
        [_, s, o] => (timestamp_arg(name, s)?, timestamp_arg(name, o)?),
        _ => return Err(SqlError::new("42883", "date_bin() takes three arguments")),
    };
    let binned = source
        .checked_sub(origin)
        .map(|diff| diff.div_euclid(step) * step)
        .and_then(|delta| origin.checked_add(delta))
        .ok_or_else(|| SqlError::new("22008", "timestamp out of range"))?;
    Ok(match args.get(1) {
        Some(Value::Timestamp(_)) => Value::Timestamp(binned),
        _ => Value::Timestamptz(binned),
    })
}

/// `make_date`: 22008 for a day the calendar does not have (year 0 too);
/// a negative year is BC.
fn make_date(year: i64, month: i64, day: i64) -> Result<i32> {
    let out = || {
        SqlError::new(
            "22008",
            format!("date field value out of range: {year}-{month:02}-{day:02}"),
        )
    };
    if year == 0 {
        return Err(out());
    }
    let y = if year < 0 { year + 1 } else { year };
    let (Ok(m), Ok(d)) = (u32::try_from(month), u32::try_from(day)) else {
        return Err(out());
    };
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(out());
    }
    i32::try_from(days_from_civil(y, m, d)).map_err(|_| date_range())
}

fn make_interval(name: &str, args: &[Value]) -> Result<Value> {
    // A missing part is 0.
    let part = |i: usize| -> Result<i64> {
        match args.get(i) {
            None => Ok(0),
            some => int(name, some),
        }
    };
    let overflow = || SqlError::new("22008", "interval out of range");
    let (years, months, weeks, days) = (part(0)?, part(1)?, part(2)?, part(3)?);
    let (hours, minutes) = (part(4)?, part(5)?);
    let months = years
        .checked_mul(12)
        .and_then(|y| y.checked_add(months))
        .and_then(|m| i32::try_from(m).ok())
        .ok_or_else(overflow)?;
    let days = weeks
        .checked_mul(7)
        .and_then(|w| w.checked_add(days))
        .and_then(|d| i32::try_from(d).ok())
        .ok_or_else(overflow)?;
    let secs = if args.len() > 6 {
        float(name, args.get(6))?
    } else {
        0.0
    };
    let micros = hours
        .checked_mul(HOUR)
        .and_then(|h| h.checked_add(minutes.checked_mul(MINUTE)?))
        .and_then(|t| t.checked_add((secs * 1e6).round() as i64))
        .ok_or_else(overflow)?;
    Ok(Value::Interval(Interval {
        months,
        days,
        micros,
    }))
}

fn epoch_to_timestamp(secs: f64) -> Result<Value> {
    if secs.is_nan() {
        return Err(SqlError::new("22008", "timestamp cannot be NaN"));
    }
    let micros = (secs * 1e6).round() - (UNIX_TO_2000_SECS * SECOND) as f64;
    if !micros.is_finite() || micros.abs() > 9.2e18 {
        return Err(SqlError::new(
            "22008",
            format!("timestamp out of range: \"{secs}\""),
        ));
    }
    Ok(Value::Timestamptz(micros as i64))
}

fn justify_days(iv: Interval) -> Interval {
    let (mut months, mut days) = (iv.months + iv.days / 30, iv.days % 30);
    if months > 0 && days < 0 {
        days += 30;
        months -= 1;
    } else if months < 0 && days > 0 {
        days -= 30;
        months += 1;
    }
    Interval { months, days, ..iv }
}

fn justify_hours(iv: Interval) -> Interval {
    let mut days = iv.days + (iv.micros / MICROS_PER_DAY) as i32;
    let mut micros = iv.micros % MICROS_PER_DAY;
    if days > 0 && micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= MICROS_PER_DAY;
        days += 1;
    }
    Interval { days, micros, ..iv }
}

fn justify_interval(iv: Interval) -> Interval {
    let Interval {
        mut months,
        mut days,
        mut micros,
    } = iv;
    days += (micros / MICROS_PER_DAY) as i32;
    micros %= MICROS_PER_DAY;
    months += days / 30;
    days %= 30;
    if months > 0 && (days < 0 || (days == 0 && micros < 0)) {
        days += 30;
        months -= 1;
    } else if months < 0 && (days > 0 || (days == 0 && micros > 0)) {
        days -= 30;
        months += 1;
    }
    // Less than a day of micros is left: only their sign is aligned.
    justify_hours(Interval {
        months,
        days,
        micros,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Result<i64> {
        timestamp_arg("age", &parse_text(text, DataType::Timestamp)?)
    }

    #[test]
    fn age_borrows_months_as_postgres() -> Result<()> {
        let iv = age(ts("2020-03-01")?, ts("2020-01-31")?);
        assert_eq!((iv.months, iv.days, iv.micros), (1, 1, 0));
        let iv = age(ts("2001-04-10")?, ts("1957-06-13")?);
        assert_eq!((iv.months, iv.days), (43 * 12 + 9, 27));
        let iv = age(ts("2020-01-31")?, ts("2020-03-01")?);
        assert_eq!((iv.months, iv.days), (-1, -1));
        Ok(())
    }
}
