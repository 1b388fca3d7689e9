//! PostgreSQL's formatting templates for dates and times: `to_char` of
//! timestamps, dates and intervals (`YYYY MM DD HH24 HH12 MI SS MS US Mon
//! Month Dy Day AM PM TZ` …, the `FM` prefix and `TH` suffix, `"quoted"`
//! text), and the reverse for `to_timestamp` and `to_date`. Numbers are
//! `number_format`'s.

use driftdb_engine::text::{civil_from_days, days_from_civil, format_text};
use driftdb_engine::value::{Interval, MICROS_PER_DAY, Value};

use crate::datetime_ops::days_in_month;
use crate::error::{Result, SqlError};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// How a name is cased: `MONTH`, `Month` or `month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Upper,
    Title,
    Lower,
}

/// A template field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    YearComma,
    Year4,
    Year3,
    Year2,
    Year1,
    IsoYear,
    Month(Case),
    Mon(Case),
    MonthNumber,
    Day(Case),
    Dy(Case),
    DayOfYear,
    DayOfMonth,
    DayOfWeek,
    IsoDayOfWeek,
    Hour24,
    Hour12,
    Minute,
    Second,
    Millis,
    Micros,
    SecondsOfDay,
    Meridiem(Case, bool),
    Era(Case, bool),
    Quarter,
    Week,
    WeekOfMonth,
    IsoWeek,
    Century,
    Julian,
    Zone(Case),
    Offset,
}

/// The template's patterns, longest first where one is a prefix of
/// another; `true` when the letters' case does not matter.
const PATTERNS: &[(&str, Field, bool)] = &[
    ("Y,YYY", Field::YearComma, true),
    ("YYYY", Field::Year4, true),
    ("YYY", Field::Year3, true),
    ("YY", Field::Year2, true),
    ("Y", Field::Year1, true),
    ("IYYY", Field::IsoYear, true),
    ("MONTH", Field::Month(Case::Upper), false),
    ("Month", Field::Month(Case::Title), false),
    ("month", Field::Month(Case::Lower), false),
    ("MON", Field::Mon(Case::Upper), false),
    ("Mon", Field::Mon(Case::Title), false),
    ("mon", Field::Mon(Case::Lower), false),
    ("MM", Field::MonthNumber, true),
    ("MI", Field::Minute, true),
    ("MS", Field::Millis, true),
    ("DAY", Field::Day(Case::Upper), false),
    ("Day", Field::Day(Case::Title), false),
    ("day", Field::Day(Case::Lower), false),
    ("DY", Field::Dy(Case::Upper), false),
    ("Dy", Field::Dy(Case::Title), false),
    ("dy", Field::Dy(Case::Lower), false),
    ("DDD", Field::DayOfYear, true),
    ("DD", Field::DayOfMonth, true),
    ("D", Field::DayOfWeek, true),
    ("ID", Field::IsoDayOfWeek, true),
    ("IW", Field::IsoWeek, true),
    ("HH24", Field::Hour24, true),
    ("HH12", Field::Hour12, true),
    ("HH", Field::Hour12, true),
    ("SSSSS", Field::SecondsOfDay, true),
    ("SSSS", Field::SecondsOfDay, true),
    ("SS", Field::Second, true),
    ("US", Field::Micros, true),
    ("A.M.", Field::Meridiem(Case::Upper, true), false),
    ("P.M.", Field::Meridiem(Case::Upper, true), false),
    ("a.m.", Field::Meridiem(Case::Lower, true), false),
    ("p.m.", Field::Meridiem(Case::Lower, true), false),
    ("A.D.", Field::Era(Case::Upper, true), false),
    ("B.C.", Field::Era(Case::Upper, true), false),
    ("a.d.", Field::Era(Case::Lower, true), false),
    ("b.c.", Field::Era(Case::Lower, true), false),
    ("AD", Field::Era(Case::Upper, false), false),
    ("BC", Field::Era(Case::Upper, false), false),
    ("ad", Field::Era(Case::Lower, false), false),
    ("bc", Field::Era(Case::Lower, false), false),
    ("AM", Field::Meridiem(Case::Upper, false), false),
    ("PM", Field::Meridiem(Case::Upper, false), false),
    ("am", Field::Meridiem(Case::Lower, false), false),
    ("pm", Field::Meridiem(Case::Lower, false), false),
    ("Q", Field::Quarter, true),
    ("WW", Field::Week, true),
    ("W", Field::WeekOfMonth, true),
    ("CC", Field::Century, true),
    ("J", Field::Julian, true),
    ("TZ", Field::Zone(Case::Upper), false),
    ("tz", Field::Zone(Case::Lower), false),
    ("OF", Field::Offset, true),
];

/// A piece of a template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// A field, with `FM` (no padding) and `TH`/`th` (an ordinal suffix).
    Field {
        field: Field,
        fill_mode: bool,
        ordinal: Option<Case>,
    },
    /// Text copied as is.
    Literal(char),
}

/// A template read into pieces.
fn parse_template(fmt: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = fmt;
    while !rest.is_empty() {
        let fill_mode = starts_with_ci(rest, "FM");
        let after_fm = if fill_mode { &rest[2..] } else { rest };
        if let Some((pattern, field)) = PATTERNS.iter().find_map(|(p, f, ci)| {
            let hit = if *ci {
                starts_with_ci(after_fm, p)
            } else {
                after_fm.starts_with(p)
            };
            hit.then_some((*p, *f))
        }) {
            rest = &after_fm[pattern.len()..];
            let ordinal = if rest.starts_with("TH") {
                Some(Case::Upper)
            } else if rest.starts_with("th") {
                Some(Case::Lower)
            } else {
                None
            };
            if ordinal.is_some() {
                rest = &rest[2..];
            }
            pieces.push(Piece::Field {
                field,
                fill_mode,
                ordinal,
            });
            continue;
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        match c {
            '"' => {
                let mut inner = chars.as_str();
                loop {
                    let mut it = inner.chars();
                    match it.next() {
                        None => break,
                        Some('"') => {
                            inner = it.as_str();
                            break;
                        }
                        Some('\\') => {
                            if let Some(e) = it.next() {
                                pieces.push(Piece::Literal(e));
                            }
                        }
                        Some(ch) => pieces.push(Piece::Literal(ch)),
                    }
                    inner = it.as_str();
                }
                rest = inner;
            }
            '\\' => {
                let escaped = chars.next();
                pieces.push(Piece::Literal(escaped.unwrap_or('\\')));
                rest = chars.as_str();
            }
            c => {
                pieces.push(Piece::Literal(c));
                rest = chars.as_str();
            }
        }
    }
    pieces
}

/// Whether `s` starts with `prefix`, in any case.
pub(super) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// What a template prints from: a point in time or an interval's fields.
struct Moment {
    year: i64,
    month: u32,
    day: i64,
    /// µs since midnight (an interval's whole time part).
    time: i64,
    /// Days since 2000-01-01 (`None` for an interval).
    days: Option<i64>,
    /// Whether it is a `timestamptz` (so `TZ` prints `UTC`).
    zoned: bool,
}

impl Moment {
    fn at(ts: i64, zoned: bool) -> Moment {
        let days = ts.div_euclid(MICROS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Moment {
            year,
            month,
            day: i64::from(day),
            time: ts.rem_euclid(MICROS_PER_DAY),
            days: Some(days),
            zoned,
        }
    }

    fn of_interval(iv: Interval) -> Moment {
        Moment {
            year: i64::from(iv.months / 12),
            month: (iv.months % 12).unsigned_abs(),
            day: i64::from(iv.days),
            time: iv.micros,
            days: None,
            zoned: false,
        }
    }
}

fn cased(s: &str, case: Case) -> String {
    match case {
        Case::Upper => s.to_uppercase(),
        Case::Lower => s.to_lowercase(),
        Case::Title => s.to_string(),
    }
}

fn ordinal_suffix(n: i64, case: Case) -> String {
    let suffix = match (n % 100, n % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    cased(suffix, case)
}

/// `to_char(value, template)`.
pub fn to_char(args: &[Value]) -> Result<Value> {
    let template = args.get(1).and_then(format_text).unwrap_or_default();
    let moment = match args.first() {
        Some(Value::Timestamp(t)) => Moment::at(*t, false),
        Some(Value::Timestamptz(t)) => Moment::at(*t, true),
        Some(Value::Date(d)) => Moment::at(i64::from(*d) * MICROS_PER_DAY, false),
        Some(Value::Interval(iv)) => Moment::of_interval(*iv),
        Some(v) => return super::number_format::to_char(v, &template).map(Value::Text),
        None => return Ok(Value::Null),
    };
    let mut out = String::new();
    for piece in parse_template(&template) {
        match piece {
            Piece::Literal(c) => out.push(c),
            Piece::Field {
                field,
                fill_mode,
                ordinal,
            } => {
                let (text, number) = field_text(field, &moment, fill_mode);
                out.push_str(&text);
                if let (Some(case), Some(n)) = (ordinal, number) {
                    out.push_str(&ordinal_suffix(n, case));
                }
            }
        }
    }
    Ok(Value::Text(out))
}

/// The text of one field, and its number when it is one (for `TH`).
fn field_text(field: Field, m: &Moment, fill_mode: bool) -> (String, Option<i64>) {
    // The sign counts in the width (`-1` for DD), but not for the time
    // fields (`-02` for HH24), as in PostgreSQL.
    let time_field = matches!(
        field,
        Field::Hour24 | Field::Hour12 | Field::Minute | Field::Second
    );
    let num = |n: i64, width: usize| {
        let text = if fill_mode {
            n.to_string()
        } else if n < 0 && time_field {
            format!("-{:0width$}", n.unsigned_abs())
        } else {
            format!("{n:0width$}")
        };
        (text, Some(n))
    };
    let name = |s: &str, case: Case, width: usize| {
        let s = cased(s, case);
        if fill_mode {
            (s, None)
        } else {
            (format!("{s:width$}"), None)
        }
    };
    // BC years print as positive numbers.
    let year = if m.days.is_some() && m.year <= 0 {
        1 - m.year
    } else {
        m.year
    };
    let hour = m.time / 3_600_000_000;
    let month_index = (m.month as usize).saturating_sub(1) % 12;
    let weekday = m.days.map_or(0, |d| (d + 6).rem_euclid(7)) as usize;
    let day_of_year = m.days.map_or(0, |d| d - days_from_civil(m.year, 1, 1) + 1);
    match field {
        Field::YearComma => {
            let digits = format!("{year:04}");
            let split = digits.len() - 3;
            (
                format!("{},{}", &digits[..split], &digits[split..]),
                Some(year),
            )
        }
        Field::Year4 => num(year, 4),
        Field::Year3 => num(year % 1000, 3),
        Field::Year2 => num(year % 100, 2),
        Field::Year1 => num(year % 10, 1),
        Field::IsoYear => num(
            m.days
                .map_or(year, |d| super::datetime_fields::iso_week(d).0),
            4,
        ),
        Field::Month(case) => name(MONTHS[month_index], case, 9),
        Field::Mon(case) => name(&MONTHS[month_index][..3], case, 3),
        Field::MonthNumber => num(i64::from(m.month), 2),
        Field::Day(case) => name(DAYS[weekday], case, 9),
        Field::Dy(case) => name(&DAYS[weekday][..3], case, 3),
        Field::DayOfYear => num(day_of_year, 3),
        Field::DayOfMonth => num(m.day, 2),
        Field::DayOfWeek => num(weekday as i64 + 1, 1),
        Field::IsoDayOfWeek => num(if weekday == 0 { 7 } else { weekday as i64 }, 1),
        Field::Hour24 => num(hour, 2),
        Field::Hour12 => num(if hour % 12 == 0 { 12 } else { hour % 12 }, 2),
        Field::Minute => num(m.time / 60_000_000 % 60, 2),
        Field::Second => num(m.time / 1_000_000 % 60, 2),
        Field::Millis => num(m.time / 1000 % 1000, 3),
        Field::Micros => num(m.time % 1_000_000, 6),
        Field::SecondsOfDay => num(m.time / 1_000_000, 1),
        Field::Meridiem(case, dots) => {
            let am = hour % 24 < 12;
            let text = match (am, dots) {
                (true, false) => "AM",
                (false, false) => "PM",
                (true, true) => "A.M.",
                (false, true) => "P.M.",
            };
            (cased(text, case), None)
        }
        Field::Era(case, dots) => {
            let bc = m.days.is_some() && m.year <= 0;
            let text = match (bc, dots) {
                (false, false) => "AD",
                (true, false) => "BC",
                (false, true) => "A.D.",
                (true, true) => "B.C.",
            };
            (cased(text, case), None)
        }
        Field::Quarter => num(i64::from((m.month.max(1) - 1) / 3 + 1), 1),
        Field::Week => num((day_of_year - 1) / 7 + 1, 2),
        Field::WeekOfMonth => num((m.day - 1) / 7 + 1, 1),
        Field::IsoWeek => num(
            m.days.map_or(0, |d| super::datetime_fields::iso_week(d).1),
            2,
        ),
        Field::Century => num(
            if m.year > 0 {
                (m.year + 99) / 100
            } else {
                -((99 - (m.year - 1)) / 100)
            },
            2,
        ),
        Field::Julian => num(m.days.map_or(0, |d| d + 2_451_545), 1),
        Field::Zone(case) => (
            if m.zoned {
                cased("UTC", case)
            } else {
                String::new()
            },
            None,
        ),
        // The session's offset (UTC), for a timestamp without one too.
        Field::Offset => ("+00".into(), None),
    }
}

/// Fields read by `to_timestamp` / `to_date`.
#[derive(Debug, Default)]
struct Read {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
    pm: Option<bool>,
    twelve_hour: bool,
    bc: bool,
    day_of_year: Option<i64>,
}

fn bad_value(text: &str, pattern: &str) -> SqlError {
    SqlError::new(
        "22007",
        format!("invalid value \"{text}\" for \"{pattern}\""),
    )
}

/// Reads `input` under `template`.
fn read(input: &str, template: &str) -> Result<Read> {
    let pieces = parse_template(template);
    let mut r = Read::default();
    let mut rest = input;
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Literal(c) => {
                let mut chars = rest.chars();
                match chars.next() {
                    Some(ch) if ch == *c || (!ch.is_alphanumeric() && !c.is_alphanumeric()) => {
                        rest = chars.as_str();
                    }
                    _ => {}
                }
            }
            Piece::Field { field, .. } => {
                rest = rest.trim_start();
                let adjacent = matches!(pieces.get(i + 1), Some(Piece::Field { .. }));
                rest = read_field(*field, rest, adjacent, &mut r)?;
            }
        }
    }
    Ok(r)
}

/// The natural width of a numeric field (how many digits it takes when the
/// next field follows without a separator).
fn width(field: Field) -> usize {
    match field {
        Field::Year4 | Field::IsoYear => 4,
        Field::Year3 | Field::DayOfYear | Field::Millis => 3,
        Field::Year1 | Field::DayOfWeek | Field::IsoDayOfWeek | Field::Quarter => 1,
        Field::Micros => 6,
        _ => 2,
    }
}

fn read_field<'a>(field: Field, rest: &'a str, adjacent: bool, r: &mut Read) -> Result<&'a str> {
    let name_of = |names: &[&str], abbreviated: bool| -> Option<(usize, usize)> {
        names.iter().enumerate().find_map(|(i, n)| {
            let n = if abbreviated { &n[..3] } else { n };
            starts_with_ci(rest, n).then_some((i, n.len()))
        })
    };
    match field {
        Field::Month(_) | Field::Mon(_) => {
            let (i, len) = name_of(&MONTHS, matches!(field, Field::Mon(_)))
                .ok_or_else(|| bad_value(rest, "Mon"))?;
            r.month = Some(i as i64 + 1);
            return Ok(&rest[len..]);
        }
        Field::Day(_) | Field::Dy(_) => {
            let (_, len) = name_of(&DAYS, matches!(field, Field::Dy(_)))
                .ok_or_else(|| bad_value(rest, "Dy"))?;
            return Ok(&rest[len..]);
        }
        Field::Meridiem(_, dots) | Field::Era(_, dots) => {
            let len = if dots { 4 } else { 2 };
            let word = rest.get(..len).unwrap_or(rest).to_ascii_uppercase();
            if matches!(field, Field::Era(..)) {
                r.bc = word.starts_with('B');
            } else {
                r.pm = Some(word.starts_with('P'));
            }
            return Ok(rest.get(len..).unwrap_or(""));
        }
        Field::Zone(_) | Field::Offset => {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == ':'))
                .unwrap_or(rest.len());
            return Ok(&rest[len..]);
        }
        _ => {}
    }
    let sign = rest.starts_with('-');
    let digits_from = usize::from(sign);
    let max = if adjacent { width(field) } else { usize::MAX };
    let digits: String = rest[digits_from..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || (*c == ',' && field == Field::YearComma))
        .take(max)
        .collect();
    let consumed = digits_from + digits.len();
    let clean: String = digits.chars().filter(char::is_ascii_digit).collect();
    let value: i64 = clean.parse().map_err(|_| {
        let shown: String = rest.chars().take(width(field)).collect();
        bad_value(&shown, pattern_name(field))
    })?;
    let value = if sign { -value } else { value };
    match field {
        Field::YearComma | Field::Year4 | Field::IsoYear => r.year = Some(value),
        Field::Year3 => r.year = Some(value + if value < 100 { 2000 } else { 1000 }),
        Field::Year2 => {
            r.year = Some(if value < 70 {
                2000 + value
            } else {
                1900 + value
            })
        }
        Field::Year1 => r.year = Some(2000 + value),
        Field::MonthNumber => r.month = Some(value),
        Field::DayOfMonth => r.day = Some(value),
        Field::DayOfYear => r.day_of_year = Some(value),
        Field::Hour24 => r.hour = value,
        Field::Hour12 => {
            r.hour = value;
            r.twelve_hour = true;
        }
        Field::Minute => r.minute = value,
        Field::Second => r.second = value,
        // Fewer digits are a fraction: `.5` with MS is 500 ms.
        Field::Millis => r.micros = value * 10i64.pow(6 - clean.len().min(3) as u32),
        Field::Micros => r.micros = value * 10i64.pow(6 - clean.len().min(6) as u32),
        Field::SecondsOfDay => {
            r.hour = value / 3600;
            r.minute = value / 60 % 60;
            r.second = value % 60;
        }
        _ => {}
    }
    Ok(&rest[consumed..])
}

fn pattern_name(field: Field) -> &'static str {
    PATTERNS
        .iter()
        .find(|(_, f, _)| *f == field)
        .map_or("?", |(p, _, _)| p)
}

/// The date and time of what was read: 22008 when a field is out of range.
fn assemble(r: &Read, input: &str) -> Result<i64> {
    let out = || {
        SqlError::new(
            "22008",
            format!("date/time field value out of range: \"{input}\""),
        )
    };
    // No year is PostgreSQL's year 0, 1 BC; a negative one is BC.
    let year = match r.year {
        None => 0,
        Some(y) if r.bc => 1 - y,
        Some(y) if y < 0 => y + 1,
        Some(y) => y,
    };
    let month = u32::try_from(r.month.unwrap_or(1)).map_err(|_| out())?;
    let day = u32::try_from(r.day.unwrap_or(1)).map_err(|_| out())?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(out());
    }
    let mut hour = r.hour;
    if r.twelve_hour {
        if !(1..=12).contains(&hour) {
            return Err(SqlError::new(
                "22007",
                format!("hour \"{hour}\" is invalid for the 12-hour clock"),
            ));
        }
        hour %= 12;
    }
    if r.pm == Some(true) {
        hour = hour % 12 + 12;
    } else if r.pm == Some(false) {
        hour %= 12;
    }
    if !(0..24).contains(&hour) || !(0..60).contains(&r.minute) || !(0..60).contains(&r.second) {
        return Err(out());
    }
    let time = ((hour * 60 + r.minute) * 60 + r.second) * 1_000_000 + r.micros;
    let date = match (r.day_of_year, r.month, r.day) {
        // DDD counts days from the first of January.
        (Some(doy), None, None) => {
            let length = if days_in_month(year, 2) == 29 {
                366
            } else {
                365
            };
            if !(1..=length).contains(&doy) {
                return Err(out());
            }
            days_from_civil(year, 1, 1) + doy - 1
        }
        _ => days_from_civil(year, month, day),
    };
    Ok(date * MICROS_PER_DAY + time)
}

/// `to_timestamp(text, template)`.
pub fn to_timestamp(input: &str, template: &str) -> Result<Value> {
    let r = read(input, template)?;
    Ok(Value::Timestamptz(assemble(&r, input)?))
}

/// `to_date(text, template)`.
pub fn to_date(input: &str, template: &str) -> Result<Value> {
    let r = read(input, template)?;
    let ts = assemble(&r, input)?;
    i32::try_from(ts.div_euclid(MICROS_PER_DAY))
        .map(Value::Date)
        .map_err(|_| SqlError::new("22008", "date out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_read_fields_and_literals() {
        let pieces = parse_template("FMDD \"at\" HH24");
        assert_eq!(pieces.len(), 6);
        assert!(matches!(
            pieces.first(),
            Some(Piece::Field {
                field: Field::DayOfMonth,
                fill_mode: true,
                ..
            })
        ));
        assert_eq!(pieces.get(2), Some(&Piece::Literal('a')));
    }
}
