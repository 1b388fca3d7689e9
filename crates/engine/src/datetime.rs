//! Reading date/time text that needs more than fixed fields: a timestamp's
//! UTC offset, and PostgreSQL's interval input (`1 day 02:00:00`,
//! `3 hours 20 minutes`, `-1 days`, `2 weeks ago`, `1.5 days`, ISO 8601's
//! `P1DT2H`).

use crate::value::{Interval, MICROS_PER_DAY};

const MICROS_PER_SECOND: i64 = 1_000_000;

/// Splits a timestamp's text into the local part and its UTC offset in
/// seconds east (`+02`, `-05:30`, `+0530`, `Z`, ` UTC`); no offset is 0.
pub fn split_offset(s: &str) -> Option<(&str, i64)> {
    let s = s.trim();
    for suffix in [" UTC", " GMT", "Z", " utc", " gmt", "z"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            return Some((rest.trim_end(), 0));
        }
    }
    // An offset follows the time part: look for + or - after the last ':'
    // or after the date's digits when there is no time.
    let time_start = s.find([' ', 'T']).map_or(s.len(), |i| i + 1);
    let Some(pos) = s[time_start..].rfind(['+', '-']).map(|i| i + time_start) else {
        return Some((s, 0));
    };
    let (local, offset) = s.split_at(pos);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits = &offset[1..];
    let (h, m, sec) = match digits.split(':').collect::<Vec<_>>().as_slice() {
        [h] if h.len() == 4 => (h.get(..2)?, h.get(2..)?, "0"),
        [h] => (*h, "0", "0"),
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    let num = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (h, m, sec) = (num(h)?, num(m)?, num(sec)?);
    if h > 15 || m > 59 || sec > 59 {
        return None;
    }
    Some((local.trim_end(), sign * (h * 3600 + m * 60 + sec)))
}

/// PostgreSQL's interval input: `[@] quantity unit [quantity unit …]
/// [[-]HH:MM[:SS[.ffffff]]] [ago]`.
pub fn parse_interval(text: &str) -> Option<Interval> {
    let mut s = text
        .trim()
        .trim_start_matches('@')
        .trim()
        .to_ascii_lowercase();
    if let Some(iso) = s.strip_prefix('p') {
        return parse_iso_interval(iso).or_else(|| parse_iso_alternative(iso));
    }
    let ago = s.ends_with(" ago");
    if ago {
        s.truncate(s.len() - 4);
    }
    let tokens: Vec<&str> = s.split_whitespace().collect();
    if tokens.is_empty() {
        return None;
    }
    let mut months = 0f64;
    let mut days = 0f64;
    let mut micros = 0f64;
    let mut seen: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let tok = tokens[i];
        if tok.contains(':') {
            micros += clock(tok)? as f64;
            i += 1;
            continue;
        }
        // A number, its unit either glued on (`3h`) or the next token.
        let split = tok
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(tok.len());
        let (num, glued) = tok.split_at(split);
        let n: f64 = num.parse().ok()?;
        let next = tokens.get(i + 1).copied();
        let unit = match (glued.is_empty(), next) {
            (false, _) => glued,
            // A bare number before a time of day counts days (`1 2:03:04`).
            (true, Some(clock)) if clock.contains(':') => "day",
            (true, Some(unit)) => {
                i += 1;
                unit
            }
            (true, None) => "second",
        };
        i += 1;
        // (field, months, days, µs) of one of the unit.
        let (field, per_month, per_day, per_micro) = match unit.trim_end_matches(',') {
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" => ("us", 0.0, 0.0, 1.0),
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => ("ms", 0.0, 0.0, 1e3),
            "second" | "seconds" | "s" | "sec" | "secs" => ("s", 0.0, 0.0, 1e6),
            "minute" | "minutes" | "m" | "min" | "mins" => ("min", 0.0, 0.0, 60e6),
            "hour" | "hours" | "h" | "hr" | "hrs" => ("h", 0.0, 0.0, 3600e6),
            "day" | "days" | "d" => ("d", 0.0, 1.0, 0.0),
            "week" | "weeks" | "w" => ("w", 0.0, 7.0, 0.0),
            "month" | "months" | "mon" | "mons" => ("mon", 1.0, 0.0, 0.0),
            "year" | "years" | "y" | "yr" | "yrs" => ("y", 12.0, 0.0, 0.0),
            "decade" | "decades" => ("dec", 120.0, 0.0, 0.0),
            "century" | "centuries" => ("c", 1200.0, 0.0, 0.0),
            "millennium" | "millennia" | "millenniums" => ("mil", 12000.0, 0.0, 0.0),
            _ => return None,
        };
        // A unit given twice (`1 day 2 days`) is an error, as in PostgreSQL.
        if seen.contains(&field) {
            return None;
        }
        seen.push(field);
        months += n * per_month;
        days += n * per_day;
        micros += n * per_micro;
    }
    let sign = if ago { -1.0 } else { 1.0 };
    cascade(sign * months, sign * days, sign * micros)
}

/// ISO 8601's designator form after its `P`: `1Y2M3DT4H5M6.5S`, `2W`
/// (an `M` before the `T` is months, after it minutes).
fn parse_iso_interval(s: &str) -> Option<Interval> {
    let (date, time) = s.split_once('t').unwrap_or((s, ""));
    let (mut months, mut days, mut micros) = (0f64, 0f64, 0f64);
    for (part, in_time) in [(date, false), (time, true)] {
        let mut rest = part;
        while !rest.is_empty() {
            let end = rest.find(|c: char| c.is_ascii_alphabetic())?;
            let n: f64 = rest[..end].parse().ok()?;
            match (rest.as_bytes()[end], in_time) {
                (b'y', false) => months += n * 12.0,
                (b'm', false) => months += n,
                (b'w', false) => days += n * 7.0,
                (b'd', false) => days += n,
                (b'h', true) => micros += n * 3600e6,
                (b'm', true) => micros += n * 60e6,
                (b's', true) => micros += n * 1e6,
                _ => return None,
            }
            rest = &rest[end + 1..];
        }
    }
    if s.is_empty() || s.ends_with('t') {
        return None;
    }
    cascade(months, days, micros)
}

/// ISO 8601's alternative form after its `P`: `0001-02-03T04:05:06`.
fn parse_iso_alternative(s: &str) -> Option<Interval> {
    let (date, time) = s.split_once('t').unwrap_or((s, "00:00:00"));
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<f64>().ok());
    let (years, months, days) = (parts.next()??, parts.next()??, parts.next()??);
    let micros = clock(time)? as f64;
    cascade(years * 12.0 + months, days, micros)
}

/// An interval from fractional months, days and microseconds: fractions
/// cascade down as PostgreSQL's do (a month is 30 days, a day 24 hours).
fn cascade(months: f64, mut days: f64, mut micros: f64) -> Option<Interval> {
    let whole_months = months.trunc();
    days += (months - whole_months) * 30.0;
    let whole_days = days.trunc();
    micros += (days - whole_days) * MICROS_PER_DAY as f64;
    let fits = |v: f64| v.is_finite() && v.abs() < 2f64.powi(31);
    if !fits(whole_months) || !fits(whole_days) || !micros.is_finite() || micros.abs() > 9.2e18 {
        return None;
    }
    Some(Interval {
        months: whole_months as i32,
        days: whole_days as i32,
        micros: micros.round() as i64,
    })
}

/// Microseconds of `[-]HH:MM[:SS[.ffffff]]` (hours may exceed 24).
fn clock(tok: &str) -> Option<i64> {
    let (neg, t) = match tok.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, tok.strip_prefix('+').unwrap_or(tok)),
    };
    let parts: Vec<&str> = t.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    let h: i64 = h.parse().ok()?;
    let m: i64 = m.parse().ok()?;
    let secs: f64 = sec.parse().ok()?;
    if !(0..60).contains(&m) || !(0.0..60.0).contains(&secs) {
        return None;
    }
    let v = (h.checked_mul(3600)?.checked_add(m * 60)?).checked_mul(MICROS_PER_SECOND)?
        + (secs * 1e6).round() as i64;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_offsets() {
        assert_eq!(
            split_offset("2024-01-02 03:04:05+02"),
            Some(("2024-01-02 03:04:05", 7200))
        );
        assert_eq!(
            split_offset("2024-01-02 03:04:05-05:30"),
            Some(("2024-01-02 03:04:05", -19800))
        );
        assert_eq!(split_offset("2024-01-02"), Some(("2024-01-02", 0)));
        assert_eq!(
            split_offset("2024-01-02T03:04:05Z"),
            Some(("2024-01-02T03:04:05", 0))
        );
        assert_eq!(split_offset("2024-01-02 03:04:05+99"), None);
    }

    #[test]
    fn reads_intervals() {
        let iv = |months, days, micros| {
            Some(Interval {
                months,
                days,
                micros,
            })
        };
        assert_eq!(parse_interval("1 day 02:00:00"), iv(0, 1, 7_200_000_000));
        assert_eq!(
            parse_interval("1 year 2 mons 3 days 01:02:03"),
            iv(14, 3, 3_723_000_000)
        );
        assert_eq!(parse_interval("-1 days"), iv(0, -1, 0));
        assert_eq!(parse_interval("1.5 days"), iv(0, 1, 43_200_000_000));
        assert_eq!(parse_interval("2 weeks ago"), iv(0, -14, 0));
        assert_eq!(parse_interval("90 minutes"), iv(0, 0, 5_400_000_000));
        assert_eq!(parse_interval("3h"), iv(0, 0, 10_800_000_000));
        assert_eq!(parse_interval("P1DT2H"), iv(0, 1, 7_200_000_000));
        assert_eq!(parse_interval("P1Y2M3W"), iv(14, 21, 0));
        assert_eq!(parse_interval("PT1M30S"), iv(0, 0, 90_000_000));
        assert_eq!(parse_interval("P1X"), None);
        assert_eq!(parse_interval("1 2:03:04"), iv(0, 1, 7_384_000_000));
        assert_eq!(
            parse_interval("P0001-02-03T04:05:06"),
            iv(14, 3, 14_706_000_000)
        );
        assert_eq!(parse_interval("1 day 2 days"), None);
        assert_eq!(parse_interval("1 fortnight"), None);
        assert_eq!(parse_interval(""), None);
    }
}
