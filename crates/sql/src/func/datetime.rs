//! Date/time functions as PostgreSQL 15 has them, in the session time zone
//! (UTC, the one DriftDB has): the transaction's `now()` and its siblings,
//! `date_trunc`, `extract`/`date_part`, `age`, the `make_*` constructors,
//! the `justify_*` normalisations, and (in `datetime_format`) `to_char`,
//! `to_timestamp` and `to_date`.

use driftdb_engine::numeric::Numeric;
use driftdb_engine::text::{civil_from_days, days_from_civil, parse_text};
use driftdb_engine::txn::wall_clock_micros;
use driftdb_engine::value::{DataType, Interval, MICROS_PER_DAY, Value};

use super::args::{float, int, wrong_type};
use crate::datetime_ops::days_in_month;
use crate::error::{Result, SqlError};
use crate::expr::{Env, type_name};

/// µs in a second, minute and hour.
const SECOND: i64 = 1_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;

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

/// A timestamp's calendar fields.
#[derive(Debug, Clone, Copy)]
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    /// µs since midnight.
    time: i64,
}

fn fields(ts: i64) -> Fields {
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

/// The unit of `date_trunc` and `extract`, lower case, plural forms and
/// abbreviations read as PostgreSQL reads them.
fn unit(text: &str) -> String {
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
fn date_trunc(unit_text: &str, v: Option<&Value>) -> Result<Value> {
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
fn extract(field: &str, v: Option<&Value>, exact: bool) -> Result<Numeric> {
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
const UNIX_TO_2000_SECS: i64 = 946_684_800;
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
    if days > 0 && micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= MICROS_PER_DAY;
        days += 1;
    }
    Interval {
        months,
        days,
        micros,
    }
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

    #[test]
    fn iso_weeks_start_on_monday() -> Result<()> {
        let day = |s: &str| -> Result<i64> { Ok(ts(s)? / MICROS_PER_DAY) };
        assert_eq!(iso_week(day("2020-01-01")?), (2020, 1));
        assert_eq!(iso_week(day("2021-01-01")?), (2020, 53));
        Ok(())
    }
}
