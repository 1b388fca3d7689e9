//! The fields of dates, times and intervals: `extract` and `date_part`,
//! `date_trunc`, the units they name (with PostgreSQL's abbreviations and
//! plurals), ISO weeks, and a timestamp's calendar fields.

use driftdb_engine::numeric::Numeric;
use driftdb_engine::text::{civil_from_days, days_from_civil, parse_text};
use driftdb_engine::value::{DataType, Interval, MICROS_PER_DAY, Value};

use super::args::wrong_type;
use crate::error::{Result, SqlError};
use crate::expr::type_name;

/// µs in a second, minute and hour.
pub(super) const SECOND: i64 = 1_000_000;
pub(super) const MINUTE: i64 = 60 * SECOND;
pub(super) const HOUR: i64 = 60 * MINUTE;

/// A timestamp's calendar fields.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    pub(super) year: i64,
    pub(super) month: u32,
    pub(super) day: u32,
    /// µs since midnight.
    pub(super) time: i64,
}

pub(super) fn fields(ts: i64) -> Fields {
    let (year, month, day) = civil_from_days(ts.div_euclid(MICROS_PER_DAY));
    Fields {
        year,
        month,
        day,
        time: ts.rem_euclid(MICROS_PER_DAY),
    }
}

fn join(f: Fields) -> i64 {
    days_from_civil(f.year, f.month, f.day) * MICROS_PER_DAY + f.time
}

/// The unit of `date_trunc` and `extract`, lower case, plural forms and
/// abbreviations read as PostgreSQL reads them.
pub(super) fn unit(text: &str) -> String {
    let u = text.trim().to_ascii_lowercase();
    match u.as_str() {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" => "microseconds",
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => "milliseconds",
        "second" | "seconds" | "s" | "sec" | "secs" => "second",
        "minute" | "minutes" | "m" | "min" | "mins" => "minute",
        "hour" | "hours" | "h" | "hr" | "hrs" => "hour",
        "day" | "days" | "d" => "day",
        "week" | "weeks" | "w" => "week",
        "month" | "months" | "mon" | "mons" => "month",
        "quarter" | "qtr" => "quarter",
        "year" | "years" | "y" | "yr" | "yrs" => "year",
        "decade" | "decades" | "dec" | "decs" => "decade",
        "century" | "centuries" | "c" | "cent" => "century",
        "millennium" | "millennia" | "mil" | "mils" => "millennium",
        other => return other.to_string(),
    }
    .to_string()
}

fn unknown_unit(unit: &str, v: &Value) -> SqlError {
    SqlError::new(
        "22023",
        format!("unit \"{unit}\" not recognized for type {}", type_name(v)),
    )
}

fn unsupported_unit(unit: &str, v: &Value) -> SqlError {
    SqlError::new(
        "0A000",
        format!("unit \"{unit}\" not supported for type {}", type_name(v)),
    )
}

/// `date_trunc(unit, v)`: a date truncates as a `timestamptz`.
pub(super) fn date_trunc(unit_text: &str, v: Option<&Value>) -> Result<Value> {
    let u = unit(unit_text);
    let v = match v {
        Some(Value::Date(d)) => Value::Timestamptz(i64::from(*d) * MICROS_PER_DAY),
        Some(Value::Text(s)) => parse_text(s, DataType::Timestamptz)?,
        Some(v) => v.clone(),
        None => Value::Null,
    };
    Ok(match v {
        Value::Timestamp(t) => Value::Timestamp(trunc_timestamp(&u, t, &v)?),
        Value::Timestamptz(t) => Value::Timestamptz(trunc_timestamp(&u, t, &v)?),
        Value::Interval(iv) => Value::Interval(trunc_interval(&u, iv, &v)?),
        other => return Err(wrong_type("date_trunc", &other)),
    })
}

fn trunc_timestamp(u: &str, ts: i64, v: &Value) -> Result<i64> {
    let mut f = fields(ts);
    let floor = |x: i64, unit: i64| x - x.rem_euclid(unit);
    match u {
        "microseconds" => {}
        "milliseconds" => f.time = floor(f.time, 1000),
        "second" => f.time = floor(f.time, SECOND),
        "minute" => f.time = floor(f.time, MINUTE),
        "hour" => f.time = floor(f.time, HOUR),
        "day" => f.time = 0,
        "week" => {
            let days = ts.div_euclid(MICROS_PER_DAY);
            // 2000-01-01 was a Saturday: Monday is day 2 of that week.
            let monday = days - (days + 5).rem_euclid(7);
            return Ok(monday * MICROS_PER_DAY);
        }
        "month" | "quarter" | "year" | "decade" | "century" | "millennium" => {
            f.time = 0;
            f.day = 1;
            let first_month = |m: u32| m - (m - 1) % 3;
            match u {
                "month" => {}
                "quarter" => f.month = first_month(f.month),
                _ => {
                    f.month = 1;
                    f.year = match u {
                        "decade" if f.year > 0 => f.year / 10 * 10,
                        "decade" => -((8 - (f.year - 1)) / 10) * 10,
                        "century" if f.year > 0 => (f.year - 1) / 100 * 100 + 1,
                        "century" => -((99 - (f.year - 1)) / 100) * 100 + 1,
                        "millennium" if f.year > 0 => (f.year - 1) / 1000 * 1000 + 1,
                        "millennium" => -((999 - (f.year - 1)) / 1000) * 1000 + 1,
                        _ => f.year,
                    };
                }
            }
        }
        other => return Err(unknown_unit(other, v)),
    }
    Ok(join(f))
}

fn trunc_interval(u: &str, iv: Interval, v: &Value) -> Result<Interval> {
    let t = |unit: i64| iv.micros - iv.micros % unit;
    let months_to = |n: i32| Interval {
        months: iv.months - iv.months % n,
        days: 0,
        micros: 0,
    };
    Ok(match u {
        "microseconds" => iv,
        "milliseconds" => Interval {
            micros: t(1000),
            ..iv
        },
        "second" => Interval {
            micros: t(SECOND),
            ..iv
        },
        "minute" => Interval {
            micros: t(MINUTE),
            ..iv
        },
        "hour" => Interval {
            micros: t(HOUR),
            ..iv
        },
        "day" => Interval { micros: 0, ..iv },
        "month" => months_to(1),
        "quarter" => months_to(3),
        "year" => months_to(12),
        "decade" => months_to(120),
        "century" => months_to(1200),
        "millennium" => months_to(12000),
        "week" => return Err(unsupported_unit("week", v)),
        other => return Err(unknown_unit(other, v)),
    })
}

fn num(text: &str) -> Result<Numeric> {
    Ok(Numeric::parse(text)?)
}

/// `micros` as seconds with 6 decimals (`5.500000`).
fn seconds(micros: i64) -> Result<Numeric> {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    num(&format!("{sign}{}.{:06}", m / 1_000_000, m % 1_000_000))
}

/// `micros` as milliseconds with 3 decimals (`5500.000`).
fn millis(micros: i64) -> Result<Numeric> {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    num(&format!("{sign}{}.{:03}", m / 1000, m % 1000))
}

/// `extract(field FROM v)` (`exact`) or `date_part(field, v)`, as `numeric`.
pub(super) fn extract(field: &str, v: Option<&Value>, exact: bool) -> Result<Numeric> {
    let u = unit(field);
    let v = match v {
        Some(Value::Date(d)) if !exact => Value::Timestamp(i64::from(*d) * MICROS_PER_DAY),
        Some(Value::Text(s)) => parse_text(s, DataType::Timestamptz)?,
        Some(v) => v.clone(),
        None => Value::Null,
    };
    match &v {
        Value::Timestamp(t) | Value::Timestamptz(t) => extract_timestamp(&u, *t, &v),
        Value::Date(d) => match u.as_str() {
            "microseconds" | "milliseconds" | "second" | "minute" | "hour" | "timezone"
            | "timezone_hour" | "timezone_minute" => Err(unsupported_unit(&u, &v)),
            "epoch" => Ok(Numeric::from(i64::from(*d) * 86_400 + UNIX_TO_2000_SECS)),
            "julian" => Ok(Numeric::from(i64::from(*d) + JULIAN_2000)),
            _ => extract_timestamp(&u, i64::from(*d) * MICROS_PER_DAY, &v),
        },
        Value::Time(t) => match u.as_str() {
            "microseconds" => Ok(Numeric::from(t % MINUTE)),
            "milliseconds" => millis(t % MINUTE),
            "second" => seconds(t % MINUTE),
            "minute" => Ok(Numeric::from(t / MINUTE % 60)),
            "hour" => Ok(Numeric::from(t / HOUR)),
            "epoch" => seconds(*t),
            other => Err(unknown_unit(other, &v)),
        },
        Value::Interval(iv) => extract_interval(&u, *iv, &v),
        other => Err(wrong_type(
            if exact { "extract" } else { "date_part" },
            other,
        )),
    }
}

/// Seconds from 1970-01-01 to 2000-01-01.
pub(super) const UNIX_TO_2000_SECS: i64 = 946_684_800;
/// The Julian day of 2000-01-01.
const JULIAN_2000: i64 = 2_451_545;

fn extract_timestamp(u: &str, ts: i64, v: &Value) -> Result<Numeric> {
    let f = fields(ts);
    let days = ts.div_euclid(MICROS_PER_DAY);
    let int = |i: i64| Ok(Numeric::from(i));
    match u {
        "microseconds" => int(f.time % MINUTE),
        "milliseconds" => millis(f.time % MINUTE),
        "second" => seconds(f.time % MINUTE),
        "minute" => int(f.time / MINUTE % 60),
        "hour" => int(f.time / HOUR),
        "day" => int(i64::from(f.day)),
        "month" => int(i64::from(f.month)),
        "quarter" => int(i64::from((f.month - 1) / 3 + 1)),
        "year" => int(if f.year > 0 { f.year } else { f.year - 1 }),
        "decade" if f.year >= 0 => int(f.year / 10),
        "decade" => int(-((8 - (f.year - 1)) / 10)),
        "century" if f.year > 0 => int((f.year + 99) / 100),
        "century" => int(-((99 - (f.year - 1)) / 100)),
        "millennium" if f.year > 0 => int((f.year + 999) / 1000),
        "millennium" => int(-((999 - (f.year - 1)) / 1000)),
        "dow" => int((days + 6).rem_euclid(7)),
        "isodow" => int((days + 5).rem_euclid(7) + 1),
        "doy" => int(days - days_from_civil(f.year, 1, 1) + 1),
        "week" => int(iso_week(days).1),
        "isoyear" => int(iso_week(days).0),
        "epoch" => seconds(ts + UNIX_TO_2000_SECS * SECOND),
        "julian" => {
            let day = Numeric::from(days + JULIAN_2000);
            let fraction = Numeric::from(f.time).div(&Numeric::from(MICROS_PER_DAY))?;
            Ok(day.add(&fraction)?)
        }
        "timezone" | "timezone_hour" | "timezone_minute" if matches!(v, Value::Timestamptz(_)) => {
            int(0)
        }
        "timezone" | "timezone_hour" | "timezone_minute" => Err(unsupported_unit(u, v)),
        other => Err(unknown_unit(other, v)),
    }
}

/// (ISO year, ISO week) of a day: weeks start on Monday, and week 1 holds
/// the year's first Thursday.
pub(crate) fn iso_week(days: i64) -> (i64, i64) {
    let weekday = (days + 5).rem_euclid(7); // Monday 0
    let thursday = days - weekday + 3;
    let (year, _, _) = civil_from_days(thursday);
    let first = days_from_civil(year, 1, 1);
    (year, (thursday - first) / 7 + 1)
}

fn extract_interval(u: &str, iv: Interval, v: &Value) -> Result<Numeric> {
    let int = |i: i64| Ok(Numeric::from(i));
    let months = i64::from(iv.months);
    match u {
        "microseconds" => int(iv.micros % MINUTE),
        "milliseconds" => millis(iv.micros % MINUTE),
        "second" => seconds(iv.micros % MINUTE),
        "minute" => int(iv.micros / MINUTE % 60),
        "hour" => int(iv.micros / HOUR),
        "day" => int(i64::from(iv.days)),
        "month" => int(months % 12),
        "quarter" => int(months % 12 / 3 + 1),
        "year" => int(months / 12),
        "decade" => int(months / 120),
        "century" => int(months / 1200),
        "millennium" => int(months / 12000),
        "epoch" => {
            // A year is 365.25 days, a month 30 days.
            let secs = seconds(iv.micros)?;
            let year_secs = Numeric::from(months / 12 * 36_525 * 864);
            let rest = Numeric::from(((months % 12) * 30 + i64::from(iv.days)) * 86_400);
            Ok(secs.add(&year_secs)?.add(&rest)?)
        }
        other => Err(unknown_unit(other, v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Result<i64> {
        match parse_text(text, DataType::Date)? {
            Value::Date(d) => Ok(i64::from(d)),
            _ => Ok(0),
        }
    }

    #[test]
    fn iso_weeks_start_on_monday() -> Result<()> {
        assert_eq!(iso_week(day("2020-01-01")?), (2020, 1));
        assert_eq!(iso_week(day("2021-01-01")?), (2020, 53));
        Ok(())
    }
}
