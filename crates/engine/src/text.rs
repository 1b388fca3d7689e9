//! PostgreSQL's text format for values: what `psql` shows and what the wire
//! protocol's text format carries, with `DateStyle = ISO, MDY`,
//! `IntervalStyle = postgres` and `TimeZone = UTC`. Parsing is the inverse for
//! the forms PostgreSQL itself prints (and a few common input forms).

use crate::datetime;
use crate::error::{EngineError, Result};
use crate::numeric::Numeric;
use crate::value::{Array, DataType, Interval, MICROS_PER_DAY, Value};

/// Days from 0000-03-01 (proleptic Gregorian) to 2000-01-01.
const DAYS_0000_03_01_TO_2000: i64 = 730_425;

/// The value as PostgreSQL prints it; `None` for NULL.
pub fn format_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => if *b { "t" } else { "f" }.to_string(),
        Value::Int2(i) => i.to_string(),
        Value::Int4(i) => i.to_string(),
        Value::Int8(i) => i.to_string(),
        Value::Float4(f) => format_float(f64::from(*f), Some(*f)),
        Value::Float8(f) => format_float(*f, None),
        Value::Numeric(n) => n.to_string(),
        Value::Text(s) => s.clone(),
        Value::Bytea(b) => {
            let mut s = String::with_capacity(2 + 2 * b.len());
            s.push_str("\\x");
            for byte in b {
                s.push_str(&format!("{byte:02x}"));
            }
            s
        }
        Value::Date(d) => format_date(i64::from(*d)),
        Value::Time(t) => format_time(*t),
        Value::Timestamp(t) => format_timestamp(*t),
        Value::Timestamptz(t) => format!("{}+00", format_timestamp(*t)),
        Value::Interval(iv) => format_interval(iv),
        Value::Uuid(u) => {
            let hex: String = u.iter().map(|b| format!("{b:02x}")).collect();
            format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            )
        }
        Value::Array(a) => a.to_text(),
        Value::Json(s) => s.clone(),
        Value::Jsonb(j) => j.to_string(),
    })
}

/// Shortest text that reads back to the same float, in PostgreSQL's layout:
/// exponent form when the decimal exponent is below -4 or at least the
/// type's digit count (15 for double, 6 for real).
fn format_float(f: f64, single: Option<f32>) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Rust's `{:e}` is the shortest round-trip digits, in exponent form.
    let sci = match single {
        Some(s) => format!("{s:e}"),
        None => format!("{f:e}"),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let limit = if single.is_some() { 6 } else { 15 };
    if exp < -4 || exp >= limit {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    match single {
        Some(s) => format!("{s}"),
        None => format!("{f}"),
    }
}

/// (year, month, day) of `days` since 2000-01-01, proleptic Gregorian.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + DAYS_0000_03_01_TO_2000;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 2000-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - DAYS_0000_03_01_TO_2000
}

fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    if y <= 0 {
        format!("{:04}-{m:02}-{d:02} BC", 1 - y)
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

fn format_time(micros: i64) -> String {
    let (secs, frac) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    let (h, mi, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    format!("{h:02}:{mi:02}:{s:02}{}", fraction(frac))
}

/// `.ffffff` without trailing zeros, or nothing for whole seconds.
fn fraction(micros: i64) -> String {
    if micros == 0 {
        return String::new();
    }
    let f = format!(".{micros:06}");
    f.trim_end_matches('0').to_string()
}

fn format_timestamp(micros: i64) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let time = micros.rem_euclid(MICROS_PER_DAY);
    let date = format_date(days);
    match date.strip_suffix(" BC") {
        Some(d) => format!("{d} {} BC", format_time(time)),
        None => format!("{date} {}", format_time(time)),
    }
}

fn format_interval(iv: &Interval) -> String {
    let mut parts = Vec::new();
    let (years, months) = (iv.months / 12, iv.months % 12);
    // PostgreSQL says "1 day" but "-1 days".
    let unit = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if years != 0 {
        parts.push(unit(i64::from(years), "year", "years"));
    }
    if months != 0 {
        parts.push(unit(i64::from(months), "mon", "mons"));
    }
    if iv.days != 0 {
        parts.push(unit(i64::from(iv.days), "day", "days"));
    }
    if iv.micros != 0 || parts.is_empty() {
        let sign = if iv.micros < 0 { "-" } else { "" };
        let m = iv.micros.unsigned_abs();
        let (secs, frac) = (m / 1_000_000, (m % 1_000_000) as i64);
        parts.push(format!(
            "{sign}{:02}:{:02}:{:02}{}",
            secs / 3600,
            (secs / 60) % 60,
            secs % 60,
            fraction(frac)
        ));
    }
    parts.join(" ")
}

/// Reads `text` as a value of type `t`, as PostgreSQL's input functions do
/// for the forms they print (a type's length or precision is not applied here:
/// that is the cast's job); bad text is 22P02, out of range 22003, an
/// impossible date or time 22008.
pub fn parse_text(text: &str, t: DataType) -> Result<Value> {
    let invalid = || EngineError::InvalidText {
        type_name: type_name(t).into(),
        text: text.into(),
    };
    let s = text.trim();
    Ok(match t {
        DataType::Bool => match s.to_ascii_lowercase().as_str() {
            "t" | "true" | "yes" | "y" | "on" | "1" => Value::Bool(true),
            "f" | "false" | "no" | "n" | "off" | "0" => Value::Bool(false),
            _ => return Err(invalid()),
        },
        DataType::Int2 => Value::Int2(parse_int(s, t, text)?),
        DataType::Int4 => Value::Int4(parse_int(s, t, text)?),
        DataType::Int8 => Value::Int8(parse_int(s, t, text)?),
        DataType::Float4 => Value::Float4(parse_float(s).ok_or_else(invalid)? as f32),
        DataType::Float8 => Value::Float8(parse_float(s).ok_or_else(invalid)?),
        DataType::Numeric(_) => Value::Numeric(Numeric::parse(text)?),
        DataType::Text | DataType::Varchar(_) | DataType::Char(_) => Value::Text(text.into()),
        DataType::Bytea => Value::Bytea(parse_bytea(text).ok_or_else(invalid)?),
        DataType::Date => Value::Date(
            parse_date(s, text)?
                .try_into()
                .map_err(|_| out_of_range(t, text))?,
        ),
        DataType::Time => Value::Time(parse_time(s).ok_or_else(invalid)?),
        DataType::Timestamp | DataType::Timestamptz => {
            // TIMESTAMP ignores an offset, as PostgreSQL's input does.
            let (local, offset) = datetime::split_offset(s).ok_or_else(invalid)?;
            let (date, time) = local.split_once([' ', 'T']).unwrap_or((local, "00:00:00"));
            let local_micros = parse_date(date, text)?
                .checked_mul(MICROS_PER_DAY)
                .and_then(|d| d.checked_add(parse_time(time.trim())?))
                .ok_or_else(invalid)?;
            if t == DataType::Timestamp {
                Value::Timestamp(local_micros)
            } else {
                Value::Timestamptz(
                    local_micros
                        .checked_sub(offset * 1_000_000)
                        .ok_or_else(|| out_of_range(t, text))?,
                )
            }
        }
        DataType::Uuid => Value::Uuid(parse_uuid(s).ok_or_else(invalid)?),
        DataType::Interval => Value::Interval(datetime::parse_interval(s).ok_or_else(invalid)?),
        DataType::Array(t) => Value::Array(Array::parse(text, t)?),
        DataType::Json => {
            crate::json::validate(text)?;
            Value::Json(text.into())
        }
        DataType::Jsonb => Value::Jsonb(crate::json::parse_jsonb(text)?),
    })
}

/// The type's name as PostgreSQL's error messages spell it.
pub fn type_name(t: DataType) -> &'static str {
    match t {
        DataType::Bool => "boolean",
        DataType::Int2 => "smallint",
        DataType::Int4 => "integer",
        DataType::Int8 => "bigint",
        DataType::Float4 => "real",
        DataType::Float8 => "double precision",
        DataType::Numeric(_) => "numeric",
        DataType::Text | DataType::Varchar(_) | DataType::Char(_) => "text",
        DataType::Bytea => "bytea",
        DataType::Date => "date",
        DataType::Time => "time without time zone",
        DataType::Timestamp => "timestamp without time zone",
        DataType::Timestamptz => "timestamp with time zone",
        DataType::Interval => "interval",
        DataType::Uuid => "uuid",
        DataType::Json => "json",
        DataType::Jsonb => "jsonb",
        DataType::Array(t) => t.name,
    }
}

fn out_of_range(t: DataType, text: &str) -> EngineError {
    EngineError::OutOfRange {
        type_name: type_name(t).into(),
        text: text.into(),
    }
}

fn parse_int<T: TryFrom<i128>>(s: &str, t: DataType, text: &str) -> Result<T> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EngineError::InvalidText {
            type_name: type_name(t).into(),
            text: text.into(),
        });
    }
    let n: i128 = s.parse().map_err(|_| out_of_range(t, text))?;
    T::try_from(n).map_err(|_| out_of_range(t, text))
}

fn parse_float(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "infinity" | "+infinity" | "inf" | "+inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        other if other.bytes().any(|b| b.is_ascii_digit()) => other.parse().ok(),
        _ => None,
    }
}

fn parse_bytea(text: &str) -> Option<Vec<u8>> {
    let hex = text.strip_prefix("\\x")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Days since 2000-01-01 of `YYYY-MM-DD[ BC]`.
fn parse_date(s: &str, text: &str) -> Result<i64> {
    let invalid = || EngineError::InvalidText {
        type_name: "date".into(),
        text: text.into(),
    };
    let (s, bc) = match s.strip_suffix(" BC") {
        Some(rest) => (rest, true),
        None => (s, false),
    };
    let mut parts = s.splitn(3, '-');
    let mut num = |max_len: usize| -> Result<i64> {
        let p = parts.next().ok_or_else(invalid)?;
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        p.parse().map_err(|_| invalid())
    };
    let (year, month, day) = (num(7)?, num(2)?, num(2)?);
    let year = if bc { 1 - year } else { year };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 0,
    };
    if year == 0 && !bc || day < 1 || day > days_in_month {
        return Err(EngineError::DatetimeOverflow { text: text.into() });
    }
    Ok(days_from_civil(year, month as u32, day as u32))
}

/// Microseconds since midnight of `HH:MM[:SS[.ffffff]]`.
fn parse_time(s: &str) -> Option<i64> {
    let mut parts = s.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let (secs, frac) = match parts.next() {
        Some(sec) => match sec.split_once('.') {
            Some((whole, frac))
                if !frac.is_empty()
                    && frac.len() <= 6
                    && frac.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (
                    whole.parse::<i64>().ok()?,
                    format!("{frac:0<6}").parse::<i64>().ok()?,
                )
            }
            Some(_) => return None,
            None => (sec.parse().ok()?, 0),
        },
        None => (0, 0),
    };
    if parts.next().is_some()
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..60).contains(&secs)
    {
        return None;
    }
    Some(((h * 60 + m) * 60 + secs) * 1_000_000 + frac)
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: String = s
        .trim_start_matches('{')
        .trim_end_matches('}')
        .chars()
        .filter(|c| *c != '-')
        .collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn show(v: Value) -> String {
        format_text(&v).unwrap_or_else(|| "NULL".into())
    }

    #[test]
    fn formats_like_postgresql() {
        let cases = [
            (Value::Bool(true), "t"),
            (Value::Float8(0.1), "0.1"),
            (Value::Float8(1e15), "1e+15"),
            (Value::Float8(123456789012345.0), "123456789012345"),
            (Value::Float8(0.0001), "0.0001"),
            (Value::Float8(0.00001), "1e-05"),
            (Value::Float8(-2.5), "-2.5"),
            (Value::Float8(f64::NEG_INFINITY), "-Infinity"),
            (Value::Float4(1.1), "1.1"),
            (Value::Float4(1234567.0), "1.234567e+06"),
            (Value::Bytea(vec![0xde, 0xad, 0x01]), "\\xdead01"),
            (Value::Date(0), "2000-01-01"),
            (Value::Date(-1), "1999-12-31"),
            (Value::Date(59), "2000-02-29"),
            (Value::Date(-730_119), "0001-01-01"),
            (Value::Date(-730_120), "0001-12-31 BC"),
            (Value::Time(45_296_000_001), "12:34:56.000001"),
            (
                Value::Timestamp(86_400_000_000 + 3_600_000_000),
                "2000-01-02 01:00:00",
            ),
            (Value::Timestamptz(-1_500_000), "1999-12-31 23:59:58.5+00"),
            (
                Value::Interval(Interval {
                    months: 14,
                    days: 3,
                    micros: 3_723_000_000,
                }),
                "1 year 2 mons 3 days 01:02:03",
            ),
            (
                Value::Interval(Interval {
                    months: 0,
                    days: -1,
                    micros: 0,
                }),
                "-1 days",
            ),
            (
                Value::Interval(Interval {
                    months: 0,
                    days: 0,
                    micros: -1_500_000,
                }),
                "-00:00:01.5",
            ),
            (Value::Interval(Interval::default()), "00:00:00"),
            (
                Value::Uuid([0xa0; 16]),
                "a0a0a0a0-a0a0-a0a0-a0a0-a0a0a0a0a0a0",
            ),
        ];
        for (v, want) in cases {
            assert_eq!(show(v.clone()), want, "{v:?}");
        }
        assert_eq!(format_text(&Value::Null), None);
    }

    #[test]
    fn parse_errors_have_postgresql_codes() {
        let code = |s: &str, t| parse_text(s, t).err().map(|e| e.sqlstate());
        assert_eq!(code("12a", DataType::Int4), Some("22P02"));
        assert_eq!(code("", DataType::Int4), Some("22P02"));
        assert_eq!(code("40000", DataType::Int2), Some("22003"));
        assert_eq!(code("maybe", DataType::Bool), Some("22P02"));
        assert_eq!(code("2023-02-29", DataType::Date), Some("22008"));
        assert_eq!(code("2023-13-01", DataType::Date), Some("22008"));
        assert_eq!(code("2023-01", DataType::Date), Some("22P02"));
        assert_eq!(code("24:00:00", DataType::Time), Some("22P02"));
        assert_eq!(code("\\x0", DataType::Bytea), Some("22P02"));
        assert_eq!(code("1.2.3", DataType::Numeric(None)), Some("22P02"));
        assert_eq!(code("1e-99999", DataType::Numeric(None)), Some("22003"));
        assert_eq!(
            parse_text(" x ", DataType::Numeric(Some((5, 2))))
                .err()
                .map(|e| e.to_string()),
            Some("invalid input syntax for type numeric: \" x \"".into())
        );
        for (text, shown) in [
            (" 1.50 ", "1.50"),
            ("-3", "-3"),
            ("1e-4", "0.0001"),
            ("nan", "NaN"),
        ] {
            let v = parse_text(text, DataType::Numeric(None)).ok();
            assert_eq!(v.as_ref().and_then(format_text).as_deref(), Some(shown));
        }
        assert_eq!(
            parse_text(" 42 ", DataType::Int8).ok(),
            Some(Value::Int8(42))
        );
        assert_eq!(
            parse_text("2024-03-01 12:00:00+00", DataType::Timestamptz)
                .ok()
                .and_then(|v| format_text(&v)),
            Some("2024-03-01 12:00:00+00".into())
        );
    }

    proptest! {
        #[test]
        fn what_is_printed_reads_back(
            days in -1_000_000i32..1_000_000,
            micros in -10_000_000_000_000_000i64..10_000_000_000_000_000,
            f in any::<f64>().prop_filter("finite", |f| f.is_finite()),
            bytes in proptest::collection::vec(any::<u8>(), 0..8),
            uuid in any::<[u8; 16]>(),
            i in any::<i64>(),
        ) {
            let cases = [
                (Value::Date(days), DataType::Date),
                (Value::Timestamp(micros), DataType::Timestamp),
                (Value::Timestamptz(micros), DataType::Timestamptz),
                (Value::Time(micros.rem_euclid(MICROS_PER_DAY)), DataType::Time),
                (Value::Float8(f), DataType::Float8),
                (Value::Bytea(bytes), DataType::Bytea),
                (Value::Uuid(uuid), DataType::Uuid),
                (Value::Int8(i), DataType::Int8),
            ];
            for (v, t) in cases {
                let text = format_text(&v).unwrap_or_default();
                prop_assert_eq!(parse_text(&text, t)?, v, "{}", text);
            }
        }

        #[test]
        fn any_text_parses_or_fails_cleanly(s in "\\PC{0,30}") {
            for t in [DataType::Bool, DataType::Int4, DataType::Float8, DataType::Date,
                      DataType::Time, DataType::Timestamptz, DataType::Bytea, DataType::Uuid] {
                let _ = parse_text(&s, t);
            }
        }
    }
}
