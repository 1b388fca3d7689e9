//! `NUMERIC`: PostgreSQL's exact decimal numbers, digit for digit. Each
//! operation gives the scale (digits after the point) PostgreSQL gives, a
//! quotient keeps at least 16 significant digits as in PostgreSQL's
//! `select_div_scale`, rounding is half away from zero, and `NaN` equals
//! itself and sorts above every number.
//!
//! A finite value is an integer `unscaled` and a display `scale`, meaning
//! `unscaled × 10^-scale`: `1.50` is (150, 2) and prints its two decimals, yet
//! compares equal to `1.5` under [`Numeric::sql_cmp`]. The derived `==` is
//! structural (it tells `1.50` from `1.5`); SQL equality is `sql_cmp`.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::{BigInt, Sign};
use num_traits::{Signed, Zero};

/// Most digits after the point (PostgreSQL's `NUMERIC_DSCALE_MAX`).
const MAX_SCALE: u32 = 16_383;
/// Most digits before the point (PostgreSQL's 32768 base-10000 digits).
const MAX_INTEGER_DIGITS: i64 = 131_072;
/// Most digits after the point a quotient gets (`NUMERIC_MAX_DISPLAY_SCALE`).
const MAX_DIV_SCALE: i64 = 1_000;
/// Fewest significant digits of a quotient (`NUMERIC_MIN_SIG_DIGITS`).
const MIN_SIG_DIGITS: i64 = 16;
/// Largest precision (and scale) of `NUMERIC(p, s)`.
pub const MAX_PRECISION: u32 = 1_000;

/// An exact decimal number or `NaN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numeric(Repr);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    NaN,
    Finite { unscaled: BigInt, scale: u32 },
}

/// Why a `NUMERIC` operation failed, with PostgreSQL's message and SQLSTATE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumericError {
    /// Text that is not a number (22P02).
    #[error("invalid input syntax for type numeric: \"{0}\"")]
    InvalidText(String),
    /// A result beyond NUMERIC's 131072 digits before or 16383 after the point (22003).
    #[error("value overflows numeric format")]
    Overflow,
    /// A value too large for the precision of `NUMERIC(p, s)` (22003).
    #[error("numeric field overflow")]
    FieldOverflow,
    /// Division or modulo by zero (22012).
    #[error("division by zero")]
    DivisionByZero,
    /// `sqrt` of a negative number (2201F).
    #[error("cannot take square root of a negative number")]
    NegativeSqrt,
    /// `power(0, negative)` (2201F).
    #[error("zero raised to a negative power is undefined")]
    ZeroToNegativePower,
    /// `power(negative, fraction)` (2201F).
    #[error("a negative number raised to a non-integer power yields a complex result")]
    ComplexPower,
    /// `ln(0)`, `log(0)` (2201E).
    #[error("cannot take logarithm of zero")]
    LogOfZero,
    /// `ln` of a negative number (2201E).
    #[error("cannot take logarithm of a negative number")]
    LogOfNegative,
    /// `NaN` converted to a type without one (0A000).
    #[error("cannot convert NaN to {0}")]
    NaNConversion(&'static str),
    /// A number outside the range of the integer type named (22003).
    #[error("{0} out of range")]
    OutOfRange(&'static str),
    /// Infinity, which PostgreSQL 15's NUMERIC has and DriftDB's does not yet (0A000).
    #[error("not supported yet: numeric Infinity")]
    Infinity,
    /// `NUMERIC(p, s)` with p outside 1..=1000 (22023).
    #[error("NUMERIC precision {0} must be between 1 and 1000")]
    Precision(u32),
    /// `NUMERIC(p, s)` with s above 1000 (22023).
    #[error("NUMERIC scale {0} must be between 0 and 1000")]
    Scale(u32),
}

impl NumericError {
    /// The PostgreSQL SQLSTATE of this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            NumericError::InvalidText(_) => "22P02",
            NumericError::Overflow | NumericError::FieldOverflow | NumericError::OutOfRange(_) => {
                "22003"
            }
            NumericError::DivisionByZero => "22012",
            NumericError::NegativeSqrt
            | NumericError::ZeroToNegativePower
            | NumericError::ComplexPower => "2201F",
            NumericError::LogOfZero | NumericError::LogOfNegative => "2201E",
            NumericError::NaNConversion(_) | NumericError::Infinity => "0A000",
            NumericError::Precision(_) | NumericError::Scale(_) => "22023",
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, NumericError>;

/// A finite value's unscaled integer and scale.
type Parts<'a> = (&'a BigInt, u32);

/// Checks the precision and scale of a `NUMERIC(p, s)` type.
pub fn check_typmod(precision: u32, scale: u32) -> Result<()> {
    if !(1..=MAX_PRECISION).contains(&precision) {
        return Err(NumericError::Precision(precision));
    }
    if scale > MAX_PRECISION {
        return Err(NumericError::Scale(scale));
    }
    Ok(())
}

pub(crate) fn pow10(n: u32) -> BigInt {
    BigInt::from(10u32).pow(n)
}

/// Decimal digits of `|n|` (1 for zero).
pub(crate) fn digit_count(n: &BigInt) -> i64 {
    n.magnitude().to_string().len() as i64
}

/// `num / den` rounded half away from zero.
pub(crate) fn div_round(num: &BigInt, den: &BigInt) -> BigInt {
    let (q, r) = (num / den, num % den);
    if r.abs() * 2u32 >= den.abs() {
        if num.sign() == den.sign() {
            q + 1u32
        } else {
            q - 1u32
        }
    } else {
        q
    }
}

/// `unscaled` (at scale `from`) at scale `to`, rounded half away from zero.
fn rescale(unscaled: &BigInt, from: u32, to: u32) -> BigInt {
    match to.cmp(&from) {
        Ordering::Equal => unscaled.clone(),
        Ordering::Greater => unscaled * pow10(to - from),
        Ordering::Less => div_round(unscaled, &pow10(from - to)),
    }
}

/// Two finite values at their common (larger) scale.
fn align(a: &BigInt, sa: u32, b: &BigInt, sb: u32) -> (BigInt, BigInt, u32) {
    let s = sa.max(sb);
    (rescale(a, sa, s), rescale(b, sb, s), s)
}

impl Numeric {
    /// `NaN`.
    pub const NAN: Numeric = Numeric(Repr::NaN);

    /// A finite value, rounded to [`MAX_SCALE`] digits after the point (as
    /// PostgreSQL rounds a product), or `Overflow` past the digits NUMERIC holds.
    pub(crate) fn finite(unscaled: BigInt, scale: u32) -> Result<Numeric> {
        let (unscaled, scale) = if scale > MAX_SCALE {
            (rescale(&unscaled, scale, MAX_SCALE), MAX_SCALE)
        } else {
            (unscaled, scale)
        };
        if !unscaled.is_zero() && digit_count(&unscaled) - i64::from(scale) > MAX_INTEGER_DIGITS {
            return Err(NumericError::Overflow);
        }
        Ok(Numeric(Repr::Finite { unscaled, scale }))
    }

    /// The value `unscaled × 10^-scale`, as stored; `Overflow` when out of
    /// NUMERIC's range.
    pub(crate) fn from_parts(unscaled: BigInt, scale: u32) -> Result<Numeric> {
        if scale > MAX_SCALE {
            return Err(NumericError::Overflow);
        }
        Numeric::finite(unscaled, scale)
    }

    /// `(unscaled, scale)` of a finite value; `None` for `NaN`.
    pub(crate) fn parts(&self) -> Option<Parts<'_>> {
        match &self.0 {
            Repr::NaN => None,
            Repr::Finite { unscaled, scale } => Some((unscaled, *scale)),
        }
    }

    /// For the order-preserving key: `None` for `NaN`, else the sign, the
    /// significant decimal digits without trailing zeros (none for zero) and
    /// the exponent `e` such that the value is `±0.d1d2… × 10^e`. Numerically
    /// equal values (`1.5`, `1.50`) give the same triple.
    pub(crate) fn key_form(&self) -> Option<(Sign, Vec<u8>, i64)> {
        let (unscaled, scale) = self.parts()?;
        let digits = unscaled.magnitude().to_string();
        let exponent = digits.len() as i64 - i64::from(scale);
        let significant: Vec<u8> = digits
            .trim_end_matches('0')
            .bytes()
            .map(|b| b - b'0')
            .collect();
        Some((unscaled.sign(), significant, exponent))
    }

    /// Whether this is `NaN`.
    pub fn is_nan(&self) -> bool {
        matches!(self.0, Repr::NaN)
    }

    /// Reads PostgreSQL's `numeric` input: optional spaces, a sign, digits
    /// with an optional point, an optional exponent (`1.5e3`), or `NaN` in
    /// any case. The scale is the digits after the point less the exponent.
    pub fn parse(text: &str) -> Result<Numeric> {
        let invalid = || NumericError::InvalidText(text.to_string());
        let s = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
        if s.eq_ignore_ascii_case("nan") {
            return Ok(Numeric::NAN);
        }
        if matches!(
            s.to_ascii_lowercase().as_str(),
            "infinity" | "+infinity" | "-infinity" | "inf" | "+inf" | "-inf"
        ) {
            return Err(NumericError::Infinity);
        }
        let (negative, rest) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
            Some((m, e)) => (m, Some(e)),
            None => (rest, None),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part)
        {
            return Err(invalid());
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !all_digits(digits) {
                    return Err(invalid());
                }
                match e.parse::<i64>() {
                    Ok(x) if x.abs() < i64::from(i32::MAX / 2) => x,
                    _ => return Err(NumericError::Overflow),
                }
            }
        };
        let significant = format!("{int_part}{frac_part}");
        let significant = significant.trim_start_matches('0');
        let scale = frac_part.len() as i64 - exponent;
        if !significant.is_empty() && significant.len() as i64 - scale.max(0) > MAX_INTEGER_DIGITS {
            return Err(NumericError::Overflow);
        }
        let display_scale = u32::try_from(scale.max(0)).map_err(|_| NumericError::Overflow)?;
        if display_scale > MAX_SCALE {
            return Err(NumericError::Overflow);
        }
        let mut unscaled: BigInt = if significant.is_empty() {
            BigInt::zero()
        } else {
            significant.parse().map_err(|_| invalid())?
        };
        if scale < 0 {
            // Bounded by the integer-digit check above.
            unscaled *= pow10(u32::try_from(-scale).map_err(|_| NumericError::Overflow)?);
        }
        if negative {
            unscaled = -unscaled;
        }
        Numeric::finite(unscaled, display_scale)
    }

    /// The nearest `NUMERIC` to a `DOUBLE PRECISION`, through its 15
    /// significant digits as PostgreSQL's `float8_numeric` does.
    pub fn from_f64(f: f64) -> Result<Numeric> {
        Numeric::from_float(f, 15)
    }

    /// The nearest `NUMERIC` to a `REAL`, through its 6 significant digits.
    pub fn from_f32(f: f32) -> Result<Numeric> {
        Numeric::from_float(f64::from(f), 6)
    }

    /// `f` printed as C's `%.{digits}g` and read back.
    fn from_float(f: f64, digits: usize) -> Result<Numeric> {
        if f.is_nan() {
            return Ok(Numeric::NAN);
        }
        if f.is_infinite() {
            return Err(NumericError::Infinity);
        }
        let sci = format!("{f:.*e}", digits - 1);
        let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        Numeric::parse(&format!("{mantissa}e{exponent}"))
    }

    /// The value as the nearest `DOUBLE PRECISION` (infinite beyond its range).
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The value as the nearest `REAL` (infinite beyond its range).
    pub fn to_f32(&self) -> f32 {
        self.to_string().parse().unwrap_or(f32::NAN)
    }

    /// The value rounded half away from zero to an integer; `target` names
    /// the integer type in the errors.
    pub fn to_i64(&self, target: &'static str) -> Result<i64> {
        let (unscaled, scale) = self.parts().ok_or(NumericError::NaNConversion(target))?;
        i64::try_from(&rescale(unscaled, scale, 0)).map_err(|_| NumericError::OutOfRange(target))
    }

    /// Orders as PostgreSQL does: by value (`1.5` = `1.50`), `NaN` equal to
    /// itself and above every number.
    pub fn sql_cmp(&self, other: &Numeric) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::NaN, Repr::NaN) => Ordering::Equal,
            (Repr::NaN, _) => Ordering::Greater,
            (_, Repr::NaN) => Ordering::Less,
            (
                Repr::Finite {
                    unscaled: a,
                    scale: sa,
                },
                Repr::Finite {
                    unscaled: b,
                    scale: sb,
                },
            ) => {
                let (x, y, _) = align(a, *sa, b, *sb);
                x.cmp(&y)
            }
        }
    }

    /// Both operands when finite; `None` when either is `NaN`.
    fn pair<'a>(&'a self, other: &'a Numeric) -> Option<(Parts<'a>, Parts<'a>)> {
        Some((self.parts()?, other.parts()?))
    }

    /// `self + other`, at the larger of the two scales.
    pub fn add(&self, other: &Numeric) -> Result<Numeric> {
        let Some(((a, sa), (b, sb))) = self.pair(other) else {
            return Ok(Numeric::NAN);
        };
        let (x, y, s) = align(a, sa, b, sb);
        Numeric::finite(x + y, s)
    }

    /// `self - other`, at the larger of the two scales.
    pub fn sub(&self, other: &Numeric) -> Result<Numeric> {
        self.add(&other.neg())
    }

    /// `self × other`, at the sum of the two scales.
    pub fn mul(&self, other: &Numeric) -> Result<Numeric> {
        let Some(((a, sa), (b, sb))) = self.pair(other) else {
            return Ok(Numeric::NAN);
        };
        Numeric::finite(a * b, sa + sb)
    }

    /// `self / other`, rounded at the scale PostgreSQL's `select_div_scale`
    /// picks: at least 16 significant digits, no fewer decimals than either
    /// operand, at most 1000.
    pub fn div(&self, other: &Numeric) -> Result<Numeric> {
        let Some(((a, sa), (b, sb))) = self.pair(other) else {
            return Ok(Numeric::NAN);
        };
        if b.is_zero() {
            return Err(NumericError::DivisionByZero);
        }
        let rscale = div_scale((a, sa), (b, sb));
        // a/b × 10^rscale = (a × 10^(rscale + sb - sa)) / b
        let shift = i64::from(rscale) + i64::from(sb) - i64::from(sa);
        let magnitude =
            |n: i64| u32::try_from(n.unsigned_abs()).map_err(|_| NumericError::Overflow);
        let q = if shift >= 0 {
            div_round(&(a * pow10(magnitude(shift)?)), b)
        } else {
            div_round(a, &(b * pow10(magnitude(shift)?)))
        };
        Numeric::finite(q, rscale)
    }

    /// `self % other`: the remainder of the quotient truncated toward zero
    /// (the sign of `self`), at the larger of the two scales.
    pub fn rem(&self, other: &Numeric) -> Result<Numeric> {
        let Some(((a, sa), (b, sb))) = self.pair(other) else {
            return Ok(Numeric::NAN);
        };
        if b.is_zero() {
            return Err(NumericError::DivisionByZero);
        }
        let (x, y, s) = align(a, sa, b, sb);
        Numeric::finite(x % y, s)
    }

    /// `-self`.
    pub fn neg(&self) -> Numeric {
        match &self.0 {
            Repr::NaN => Numeric::NAN,
            Repr::Finite { unscaled, scale } => Numeric(Repr::Finite {
                unscaled: -unscaled,
                scale: *scale,
            }),
        }
    }

    /// `abs(self)`.
    pub fn abs(&self) -> Numeric {
        match &self.0 {
            Repr::Finite { unscaled, .. } if unscaled.is_negative() => self.neg(),
            _ => self.clone(),
        }
    }

    /// The value stored into `NUMERIC(precision, scale)`: rounded half away
    /// from zero to `scale` digits, then `FieldOverflow` if it needs more than
    /// `precision` digits in all. `NaN` passes.
    pub fn apply_typmod(&self, precision: u32, scale: u32) -> Result<Numeric> {
        let Some((unscaled, from)) = self.parts() else {
            return Ok(Numeric::NAN);
        };
        let unscaled = rescale(unscaled, from, scale);
        if !unscaled.is_zero() && digit_count(&unscaled) > i64::from(precision) {
            return Err(NumericError::FieldOverflow);
        }
        Ok(Numeric(Repr::Finite { unscaled, scale }))
    }
}

/// The scale of `a / b` (PostgreSQL's `select_div_scale`): the quotient's
/// weight is estimated in base-10000 digits from each operand's first
/// base-10000 digit, as PostgreSQL stores numbers, so results match it.
fn div_scale(a: Parts<'_>, b: Parts<'_>) -> u32 {
    let (w1, d1) = base10000_lead(a.0, a.1);
    let (w2, d2) = base10000_lead(b.0, b.1);
    let mut qweight = w1 - w2;
    if d1 <= d2 {
        qweight -= 1;
    }
    let rscale = (MIN_SIG_DIGITS - qweight * 4)
        .max(i64::from(a.1))
        .max(i64::from(b.1))
        .clamp(0, MAX_DIV_SCALE);
    u32::try_from(rscale).unwrap_or(0)
}

/// The weight (power of 10000) and value of the first non-zero base-10000
/// digit of `unscaled × 10^-scale`; `(0, 0)` for zero.
fn base10000_lead(unscaled: &BigInt, scale: u32) -> (i64, u32) {
    if unscaled.is_zero() {
        return (0, 0);
    }
    let digits = unscaled.magnitude().to_string();
    // Power of ten of the leading decimal digit.
    let top = digits.len() as i64 - 1 - i64::from(scale);
    let weight = top.div_euclid(4);
    // The leading group holds the decimal digits from `top` down to 4 × weight.
    let width = (top - 4 * weight + 1) as usize;
    let lead = digits
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(width)
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    (weight, lead)
}

impl From<i64> for Numeric {
    fn from(i: i64) -> Self {
        Numeric(Repr::Finite {
            unscaled: BigInt::from(i),
            scale: 0,
        })
    }
}

impl From<i128> for Numeric {
    fn from(i: i128) -> Self {
        Numeric(Repr::Finite {
            unscaled: BigInt::from(i),
            scale: 0,
        })
    }
}

/// PostgreSQL's text form: every digit of the scale (`1.50`, `0.0001`),
/// `-` for negatives, `NaN`.
impl fmt::Display for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unscaled, scale) = match &self.0 {
            Repr::NaN => return f.write_str("NaN"),
            Repr::Finite { unscaled, scale } => (unscaled, *scale as usize),
        };
        if unscaled.is_negative() {
            f.write_str("-")?;
        }
        let digits = unscaled.magnitude().to_string();
        if scale == 0 {
            return f.write_str(&digits);
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(s: &str) -> Numeric {
        match Numeric::parse(s) {
            Ok(v) => v,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn parses_and_prints_like_postgresql() {
        let cases = [
            ("1.50", "1.50"),
            ("  -3 ", "-3"),
            ("+0.0001", "0.0001"),
            ("-0.0", "0.0"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1.5e3", "1500"),
            ("1.5E-3", "0.0015"),
            ("1e3", "1000"),
            ("0e99999", "0"),
            ("00012.3400", "12.3400"),
            ("nan", "NaN"),
            (" NaN ", "NaN"),
            ("12345678901234567890123", "12345678901234567890123"),
        ];
        for (text, want) in cases {
            assert_eq!(n(text).to_string(), want, "{text}");
        }
        for bad in [
            "", ".", "1.2.3", "1e", "abc", "1 2", "-NaN", "e5", "0x10", "--1",
        ] {
            assert_eq!(
                Numeric::parse(bad).map_err(|e| e.sqlstate()),
                Err("22P02"),
                "{bad:?}"
            );
        }
        assert_eq!(Numeric::parse("1e-20000"), Err(NumericError::Overflow));
        assert_eq!(Numeric::parse("1e200000"), Err(NumericError::Overflow));
        assert_eq!(Numeric::parse("Infinity"), Err(NumericError::Infinity));
    }

    #[test]
    fn arithmetic_scales_match_postgresql() {
        let op = |a: &str, f: fn(&Numeric, &Numeric) -> Result<Numeric>, b: &str| {
            f(&n(a), &n(b)).map(|v| v.to_string())
        };
        assert_eq!(op("1.5", Numeric::add, "2.25"), Ok("3.75".into()));
        assert_eq!(op("1.50", Numeric::sub, "1.5"), Ok("0.00".into()));
        assert_eq!(op("1.23", Numeric::mul, "4.567"), Ok("5.61741".into()));
        assert_eq!(
            op("7", Numeric::div, "2.0"),
            Ok("3.5000000000000000".into())
        );
        assert_eq!(
            op("1", Numeric::div, "3"),
            Ok("0.33333333333333333333".into())
        );
        assert_eq!(
            op("2", Numeric::div, "3.00"),
            Ok("0.66666666666666666667".into())
        );
        assert_eq!(op("10", Numeric::div, "2"), Ok("5.0000000000000000".into()));
        assert_eq!(
            op("-1", Numeric::div, "3"),
            Ok("-0.33333333333333333333".into())
        );
        assert_eq!(
            op("123456789", Numeric::div, "0.001"),
            Ok("123456789000.00000000".into())
        );
        assert_eq!(op("10", Numeric::rem, "3.5"), Ok("3.0".into()));
        assert_eq!(op("-7.5", Numeric::rem, "2"), Ok("-1.5".into()));
        assert_eq!(
            op("1", Numeric::div, "0"),
            Err(NumericError::DivisionByZero)
        );
        assert_eq!(
            op("1", Numeric::rem, "0.0"),
            Err(NumericError::DivisionByZero)
        );
        assert_eq!(op("NaN", Numeric::div, "0"), Ok("NaN".into()));
        assert_eq!(op("1", Numeric::add, "NaN"), Ok("NaN".into()));
    }

    #[test]
    fn typmod_rounds_half_away_and_overflows() {
        let t = |s: &str, p, sc| n(s).apply_typmod(p, sc).map(|v| v.to_string());
        assert_eq!(t("12.345", 4, 2), Ok("12.35".into()));
        assert_eq!(t("-12.345", 4, 2), Ok("-12.35".into()));
        assert_eq!(t("1.5", 5, 2), Ok("1.50".into()));
        assert_eq!(t("999.95", 5, 1), Ok("1000.0".into()));
        assert_eq!(t("99.95", 3, 1), Err(NumericError::FieldOverflow));
        assert_eq!(t("NaN", 3, 1), Ok("NaN".into()));
        assert_eq!(n("2.5").to_i64("integer"), Ok(3));
        assert_eq!(n("-2.5").to_i64("integer"), Ok(-3));
        assert_eq!(
            n("NaN").to_i64("integer"),
            Err(NumericError::NaNConversion("integer"))
        );
    }

    #[test]
    fn floats_convert_through_their_significant_digits() {
        let f = |x: f64| Numeric::from_f64(x).map(|v| v.to_string());
        assert_eq!(f(0.1), Ok("0.1".into()));
        assert_eq!(f(1e-5), Ok("0.00001".into()));
        assert_eq!(f(1.0 / 3.0), Ok("0.333333333333333".into()));
        assert_eq!(f(1e20), Ok("100000000000000000000".into()));
        assert_eq!(f(-0.0), Ok("0".into()));
        assert_eq!(
            Numeric::from_f32(1.1).map(|v| v.to_string()),
            Ok("1.1".into())
        );
        assert_eq!(n("0.1").to_f64(), 0.1);
        assert!(n("NaN").to_f64().is_nan());
    }

    proptest! {
        #[test]
        fn printed_values_read_back(unscaled in any::<i64>(), scale in 0u32..30) {
            let v = Numeric::from_parts(BigInt::from(unscaled), scale)?;
            prop_assert_eq!(Numeric::parse(&v.to_string())?, v);
        }

        #[test]
        fn order_is_exact(a in any::<i64>(), sa in 0u32..12, b in any::<i64>(), sb in 0u32..12) {
            let x = Numeric::from_parts(BigInt::from(a), sa)?;
            let y = Numeric::from_parts(BigInt::from(b), sb)?;
            // a/10^sa vs b/10^sb, compared exactly in i128 (both < 2^63 × 10^12).
            let (l, r) = (i128::from(a) * 10i128.pow(sb), i128::from(b) * 10i128.pow(sa));
            prop_assert_eq!(x.sql_cmp(&y), l.cmp(&r));
        }

        #[test]
        fn any_text_parses_or_fails_cleanly(s in "[ +\\-0-9.eEnaN]{0,12}") {
            let _ = Numeric::parse(&s);
        }
    }
}
