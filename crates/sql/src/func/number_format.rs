//! `to_char(number, template)` with PostgreSQL's template: `9` a digit or
//! a blank, `0` a digit or a zero (and every place after it), `.`/`D` the
//! point, `,`/`G` a group separator, `S` a sign (next to the number when
//! it comes before the last digit place), `MI` a minus, `PR` angle brackets
//! for negatives, `FM` no padding and no trailing zeros after the point;
//! too few digit places print `#`. Without `S`, `MI` or `PR` a sign place
//! (blank or `-`) goes right before the number.

use driftdb_engine::value::Value;

use super::datetime_format::starts_with_ci;
use crate::error::{Result, SqlError};
use crate::expr::as_numeric;

/// A number's digits rounded to `frac` decimals: (negative, integer
/// digits without leading zeros, `frac` fraction digits).
fn digits(v: &Value, frac: usize) -> Result<(bool, Vec<char>, Vec<char>)> {
    let text = match v {
        // A float rounds from its binary value, as C's printf does.
        Value::Float4(f) => format!("{:.*}", frac, f64::from(*f)),
        Value::Float8(f) => format!("{f:.frac$}"),
        other => match as_numeric(other) {
            Some(n) => n.round_to(i32::try_from(frac).unwrap_or(0))?.to_string(),
            None => {
                return Err(SqlError::new(
                    "42883",
                    format!(
                        "function to_char({}, text) does not exist",
                        crate::expr::type_name(other)
                    ),
                ));
            }
        },
    };
    let negative = text.starts_with('-');
    let magnitude = text.trim_start_matches('-');
    let (int_text, frac_text) = magnitude.split_once('.').unwrap_or((magnitude, ""));
    let int_digits = int_text.trim_start_matches('0').chars().collect();
    let mut frac_digits: Vec<char> = frac_text.chars().collect();
    frac_digits.resize(frac, '0');
    let is_zero = !magnitude.chars().any(|c| matches!(c, '1'..='9'));
    Ok((negative && !is_zero, int_digits, frac_digits))
}

/// The template without every occurrence of `word` (any case).
fn without(template: &str, word: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while !rest.is_empty() {
        if starts_with_ci(rest, word) {
            rest = &rest[word.len()..];
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// `to_char(v, template)` for a number `v`.
pub fn to_char(v: &Value, template: &str) -> Result<String> {
    let fill_mode = starts_with_ci(template, "FM") || template.to_ascii_uppercase().contains("FM");
    let bracket = template.to_ascii_uppercase().contains("PR");
    let body: Vec<char> = without(&without(template, "FM"), "PR").chars().collect();
    let is_place = |c: &char| matches!(c, '9' | '0');
    let point = body.iter().position(|c| matches!(c, '.' | 'D' | 'd'));
    let int_end = point.unwrap_or(body.len());
    let int_places = body[..int_end].iter().filter(|c| is_place(c)).count();
    let frac_places = body[int_end..].iter().filter(|c| is_place(c)).count();
    let first_zero = body[..int_end]
        .iter()
        .filter(|c| is_place(c))
        .position(|c| *c == '0');
    let last_place = body.iter().rposition(is_place).unwrap_or(0);
    let sign_at = body.iter().position(|c| matches!(c, 'S' | 's'));
    let mi_at = (0..body.len()).find(|&i| {
        body[i].eq_ignore_ascii_case(&'M')
            && body
                .get(i + 1)
                .is_some_and(|c| c.eq_ignore_ascii_case(&'I'))
    });

    let (negative, mut int_digits, frac_digits) = digits(v, frac_places)?;
    let is_zero = !negative && int_digits.is_empty() && frac_digits.iter().all(|c| *c == '0');
    if int_digits.is_empty() && (point.is_none() || (fill_mode && is_zero)) {
        int_digits.push('0');
    }
    let overflow = int_digits.len() > int_places;
    // The sign that goes right before the number, if any.
    let mut pending_sign = match sign_at {
        Some(s) if s < last_place => Some(if negative { '-' } else { '+' }),
        Some(_) => None,
        // PR: `<` right before the number (a blank when positive).
        None if bracket && negative => Some('<'),
        None if mi_at.is_some() || bracket => (!fill_mode && bracket).then_some(' '),
        None if negative => Some('-'),
        None if fill_mode => None,
        None => Some(' '),
    };

    let mut out = String::new();
    let mut place = 0usize;
    let mut started = false;
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        i += 1;
        match c {
            '9' | '0' if i <= int_end => {
                let lead = int_places - int_digits.len().min(int_places);
                let digit = if overflow {
                    Some('#')
                } else if place >= lead {
                    int_digits.get(place - lead).copied()
                } else if first_zero.is_some_and(|z| place >= z) {
                    Some('0')
                } else {
                    None
                };
                match digit {
                    Some(d) => {
                        if let Some(s) = pending_sign.take() {
                            out.push(s);
                        }
                        started = true;
                        out.push(d);
                    }
                    None if !fill_mode => out.push(' '),
                    None => {}
                }
                place += 1;
            }
            '9' | '0' => {
                let index = place - int_places;
                out.push(if overflow {
                    '#'
                } else {
                    frac_digits.get(index).copied().unwrap_or('0')
                });
                place += 1;
            }
            '.' | 'D' | 'd' if frac_places > 0 => {
                if let Some(s) = pending_sign.take() {
                    out.push(s);
                }
                started = true;
                out.push('.');
            }
            '.' | 'D' | 'd' => {}
            ',' | 'G' | 'g' if started => out.push(','),
            ',' | 'G' | 'g' if !fill_mode => out.push(' '),
            ',' | 'G' | 'g' => {}
            'S' | 's' if Some(i - 1) == sign_at && (i - 1) >= last_place => {
                out.push(if negative { '-' } else { '+' });
            }
            'S' | 's' => {}
            'M' | 'm' if Some(i - 1) == mi_at => {
                i += 1;
                if negative {
                    out.push('-');
                } else if !fill_mode {
                    out.push(' ');
                }
            }
            other => out.push(other),
        }
    }
    if let Some(s) = pending_sign {
        out.push(s);
    }
    if fill_mode && frac_places > 0 {
        // FM drops the trailing zeros of the `9` places after the point
        // (those after its last `0` place).
        let frac_template: Vec<char> = body[int_end..].iter().copied().filter(is_place).collect();
        let kept = frac_template
            .iter()
            .rposition(|c| *c == '0')
            .map_or(0, |z| z + 1);
        let mut droppable = frac_places - kept;
        while droppable > 0 && out.ends_with('0') {
            out.pop();
            droppable -= 1;
        }
    }
    if bracket && negative {
        out.push('>');
    } else if bracket && !fill_mode {
        out.push(' ');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftdb_engine::numeric::Numeric;

    fn number(n: &str, template: &str) -> Result<String> {
        to_char(&Value::Numeric(Numeric::parse(n)?), template)
    }

    #[test]
    fn numbers_format_as_postgres() -> Result<()> {
        assert_eq!(number("1234.5", "9999.99")?, " 1234.50");
        assert_eq!(number("-12", "9999")?, "  -12");
        assert_eq!(number("1234567", "9,999,999")?, " 1,234,567");
        assert_eq!(number("12", "FM9999")?, "12");
        assert_eq!(number("5", "000")?, " 005");
        assert_eq!(number("12345", "999")?, " ###");
        assert_eq!(number("1.5", "FM999.99")?, "1.5");
        assert_eq!(number("0.5", "9.99")?, "  .50");
        assert_eq!(number("-485", "999MI")?, "485-");
        assert_eq!(number("-485", "999PR")?, "<485>");
        assert_eq!(number("-40506", "9999999PR")?, "  <40506>");
        assert_eq!(number("485", "9999PR")?, "  485 ");
        assert_eq!(number("0", "9999")?, "    0");
        assert_eq!(number("0", "FM9.99")?, "0.");
        assert_eq!(number("12", "S9999")?, "  +12");
        assert_eq!(number("-12", "9999S")?, "  12-");
        assert_eq!(number("100", "999.")?, " 100");
        assert_eq!(number("5", "FM9.09")?, "5.0");
        assert_eq!(to_char(&Value::Float8(1.005), "9.99")?, " 1.00");
        Ok(())
    }
}
