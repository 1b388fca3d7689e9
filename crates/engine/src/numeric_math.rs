//! `NUMERIC`'s functions with PostgreSQL's result scales: `round` and
//! `trunc` to a number of decimals (negative: to tens, hundreds …),
//! `ceil`, `floor`, `sign`, `scale`, `div`, and `sqrt`, `exp`, `ln`,
//! `log` and `power` computed in fixed point with guard digits, rounded to
//! the scale PostgreSQL picks (at least 16 significant digits).

use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use crate::numeric::{Numeric, NumericError, Result, digit_count, div_round, pow10};

/// Fewest significant digits of an inexact result (`NUMERIC_MIN_SIG_DIGITS`).
const MIN_SIG_DIGITS: i64 = 16;
/// The range of `round`/`trunc` scales (PostgreSQL 15's
/// `NUMERIC_DSCALE_MAX` and the digits before the point it holds).
const RESULT_SCALES: std::ops::RangeInclusive<i64> = -131_072..=16_383;
/// Most decimals of an inexact result (`NUMERIC_MAX_DISPLAY_SCALE`).
const MAX_DISPLAY_SCALE: i64 = 1000;

impl Numeric {
    /// `round(self, decimals)`: half away from zero; the result shows
    /// `max(decimals, 0)` decimals.
    pub fn round_to(&self, decimals: i32) -> Result<Numeric> {
        self.to_decimals(decimals, div_round)
    }

    /// `trunc(self, decimals)`: toward zero.
    pub fn trunc_to(&self, decimals: i32) -> Result<Numeric> {
        self.to_decimals(decimals, |n, d| n / d)
    }

    /// `ceil(self)`: the smallest integer not below it.
    pub fn ceil(&self) -> Result<Numeric> {
        self.to_decimals(0, |n, d| {
            let q = n / d;
            if n.is_positive() && !(n % d).is_zero() {
                q + 1u32
            } else {
                q
            }
        })
    }

    /// `floor(self)`: the largest integer not above it.
    pub fn floor(&self) -> Result<Numeric> {
        self.to_decimals(0, |n, d| {
            let q = n / d;
            if n.is_negative() && !(n % d).is_zero() {
                q - 1u32
            } else {
                q
            }
        })
    }

    /// `sign(self)`: -1, 0 or 1 (NaN stays NaN).
    pub fn sign(&self) -> Numeric {
        match self.parts() {
            None => Numeric::NAN,
            Some((n, _)) if n.is_zero() => Numeric::from(0i64),
            Some((n, _)) if n.is_negative() => Numeric::from(-1i64),
            Some(_) => Numeric::from(1i64),
        }
    }

    /// `scale(self)`: the digits shown after the point; `None` for NaN.
    pub fn scale(&self) -> Option<u32> {
        self.parts().map(|(_, s)| s)
    }

    /// `div(self, other)`: the quotient truncated toward zero (22012 for zero).
    pub fn div_trunc(&self, other: &Numeric) -> Result<Numeric> {
        let (Some((a, sa)), Some((b, sb))) = (self.parts(), other.parts()) else {
            return Ok(Numeric::NAN);
        };
        if b.is_zero() {
            return Err(NumericError::DivisionByZero);
        }
        // a × 10^-sa / (b × 10^-sb) = (a × 10^sb) / (b × 10^sa)
        Numeric::finite((a * pow10(sb)) / (b * pow10(sa)), 0)
    }

    /// `sqrt(self)`, exact to PostgreSQL's scale: at least 16 significant
    /// digits and no fewer decimals than the argument; 2201F when negative.
    pub fn sqrt(&self) -> Result<Numeric> {
        let Some((n, scale)) = self.parts() else {
            return Ok(Numeric::NAN);
        };
        if n.is_negative() {
            return Err(NumericError::NegativeSqrt);
        }
        // PostgreSQL estimates the result's weight from the argument's
        // base-10000 weight.
        let weight = (decimal_exponent(n, scale) + 4).div_euclid(4) - 1;
        let sweight = (weight + 1) * 4 / 2 - 1;
        let rscale = (MIN_SIG_DIGITS - sweight)
            .max(i64::from(scale))
            .clamp(0, MAX_DISPLAY_SCALE);
        let rscale = u32::try_from(rscale).unwrap_or(0);
        // sqrt(n × 10^-scale) × 10^(rscale+1) = sqrt(n × 10^(2rscale+2-scale)),
        // one digit more than wanted, then rounded.
        let shift = 2 * rscale + 2;
        let radicand = if shift >= scale {
            n * pow10(shift - scale)
        } else {
            n / pow10(scale - shift)
        };
        let root = radicand.sqrt();
        Numeric::finite(div_round(&root, &BigInt::from(10)), rscale)
    }

    /// `exp(self)`, at PostgreSQL's scale: 16 significant digits, no
    /// fewer decimals than the argument.
    pub fn exp(&self) -> Result<Numeric> {
        let Some((n, scale)) = self.parts() else {
            return Ok(Numeric::NAN);
        };
        let approx = self.to_f64();
        if approx > MAX_EXP_ARGUMENT {
            return Err(NumericError::Overflow);
        }
        let weight = (approx * LOG10_E) as i64;
        let rscale = display_scale(MIN_SIG_DIGITS - weight, scale);
        // A large result needs its integer digits computed exactly too.
        let p = rscale + guard_digits(approx.abs()) + u32::try_from(weight.max(0)).unwrap_or(0);
        let x = fixed(n, scale, p);
        round_fixed(&exp_fixed(&x, p), p, rscale)
    }

    /// `ln(self)`: 2201E for zero or a negative.
    pub fn ln(&self) -> Result<Numeric> {
        let Some((n, scale)) = self.parts() else {
            return Ok(Numeric::NAN);
        };
        log_domain(n)?;
        let rscale = display_scale(MIN_SIG_DIGITS - ln_dweight(n, scale), scale);
        let p = rscale + guard_digits(decimal_exponent(n, scale).abs() as f64);
        round_fixed(&ln_fixed(n, scale, p), p, rscale)
    }

    /// `log(base, self)`: 2201E for zero or a negative, 22012 for base 1.
    pub fn log(&self, base: &Numeric) -> Result<Numeric> {
        let (Some((n, ns)), Some((b, bs))) = (self.parts(), base.parts()) else {
            return Ok(Numeric::NAN);
        };
        log_domain(n)?;
        log_domain(b)?;
        let dweight = ln_dweight(n, ns) - ln_dweight(b, bs);
        let rscale = display_scale(MIN_SIG_DIGITS - dweight, ns.max(bs));
        let p = rscale
            + 2 * guard_digits(
                decimal_exponent(n, ns).abs() as f64 + decimal_exponent(b, bs).abs() as f64,
            );
        let (ln_n, ln_b) = (ln_fixed(n, ns, p), ln_fixed(b, bs, p));
        if ln_b.is_zero() {
            return Err(NumericError::DivisionByZero);
        }
        round_fixed(&div_fixed(&ln_n, &ln_b, p), p, rscale)
    }

    /// `power(self, exponent)`: exact for an integer exponent; 2201F for
    /// zero to a negative power or a negative to a fractional one.
    pub fn power(&self, exponent: &Numeric) -> Result<Numeric> {
        let (Some((b, bs)), Some((e, es))) = (self.parts(), exponent.parts()) else {
            return Ok(Numeric::NAN);
        };
        let integral = (e % pow10(es)).is_zero();
        if b.is_zero() && e.is_negative() {
            return Err(NumericError::ZeroToNegativePower);
        }
        if b.is_negative() && !integral {
            return Err(NumericError::ComplexPower);
        }
        if integral && let Ok(k) = i32::try_from(&(e / pow10(es))) {
            let rscale = display_scale(MIN_SIG_DIGITS, bs);
            return power_int(b, bs, k, rscale);
        }
        if b.is_zero() {
            return Numeric::finite(BigInt::zero(), display_scale(MIN_SIG_DIGITS, bs.max(es)));
        }
        let val = exponent.to_f64() * ln_f64(b, bs);
        if val * LOG10_E > MAX_EXP_ARGUMENT {
            return Err(NumericError::Overflow);
        }
        let rscale = display_scale(MIN_SIG_DIGITS - (val * LOG10_E) as i64, bs.max(es));
        let p = rscale + guard_digits(val.abs()) + (val * LOG10_E).abs() as u32;
        let x = mul_fixed(&ln_fixed(b, bs, p), &fixed(e, es, p), p);
        round_fixed(&exp_fixed(&x, p), p, rscale)
    }

    /// Rounds (or truncates) to `decimals` (clamped as PostgreSQL clamps
    /// it) with `divide`, which divides an unscaled value by a power of ten.
    fn to_decimals(
        &self,
        decimals: i32,
        divide: impl Fn(&BigInt, &BigInt) -> BigInt,
    ) -> Result<Numeric> {
        let Some((n, scale)) = self.parts() else {
            return Ok(Numeric::NAN);
        };
        let target = i64::from(decimals).clamp(*RESULT_SCALES.start(), *RESULT_SCALES.end());
        if target >= i64::from(scale) {
            let to = u32::try_from(target).map_err(|_| NumericError::Overflow)?;
            return Numeric::finite(n * pow10(to - scale), to);
        }
        let drop = u32::try_from(i64::from(scale) - target).map_err(|_| NumericError::Overflow)?;
        let kept = divide(n, &pow10(drop));
        if target >= 0 {
            Numeric::finite(kept, u32::try_from(target).unwrap_or(0))
        } else {
            let up = u32::try_from(-target).map_err(|_| NumericError::Overflow)?;
            Numeric::finite(kept * pow10(up), 0)
        }
    }
}

/// log10(e), to turn a natural logarithm into a decimal weight.
const LOG10_E: f64 = std::f64::consts::LOG10_E;
/// Beyond this, `exp` overflows NUMERIC's 131072 digits before the point.
const MAX_EXP_ARGUMENT: f64 = 131_072.0 * std::f64::consts::LN_10;

/// `rscale` clamped to PostgreSQL's display scales, and no fewer than
/// `arg_scale` decimals.
fn display_scale(rscale: i64, arg_scale: u32) -> u32 {
    u32::try_from(rscale.max(i64::from(arg_scale)).clamp(0, MAX_DISPLAY_SCALE)).unwrap_or(0)
}

/// Extra digits to compute with, so that rounding at the end is right:
/// more when range reduction (halving, square roots) amplifies errors.
fn guard_digits(magnitude: f64) -> u32 {
    12 + (magnitude.max(1.0).log2() / 3.0) as u32
}

fn log_domain(n: &BigInt) -> Result<()> {
    if n.is_zero() {
        return Err(NumericError::LogOfZero);
    }
    if n.is_negative() {
        return Err(NumericError::LogOfNegative);
    }
    Ok(())
}

/// PostgreSQL's `estimate_ln_dweight`: the decimal weight of `ln(x)`.
fn ln_dweight(n: &BigInt, scale: u32) -> i64 {
    let one = pow10(scale);
    let near_one = n * 10u32 >= &one * 9u32 && n * 10u32 <= &one * 11u32;
    if near_one {
        let d = n - &one;
        return if d.is_zero() {
            0
        } else {
            decimal_exponent(&d, scale)
        };
    }
    ln_f64(n, scale).abs().log10() as i64
}

/// ln(n × 10^-scale) in `double precision`, from the leading digits and
/// the decimal exponent (so it does not overflow for huge values).
fn ln_f64(n: &BigInt, scale: u32) -> f64 {
    let digits = n.magnitude().to_string();
    let lead: f64 = digits.get(..15).unwrap_or(&digits).parse().unwrap_or(1.0);
    let lead_exp = digits.len().min(15) as f64 - 1.0;
    (lead.ln() - lead_exp * std::f64::consts::LN_10)
        + decimal_exponent(n, scale) as f64 * std::f64::consts::LN_10
}

/// `n × 10^-scale` in fixed point with `p` decimals (truncated).
fn fixed(n: &BigInt, scale: u32, p: u32) -> BigInt {
    if p >= scale {
        n * pow10(p - scale)
    } else {
        n / pow10(scale - p)
    }
}

fn mul_fixed(a: &BigInt, b: &BigInt, p: u32) -> BigInt {
    (a * b) / pow10(p)
}

fn div_fixed(a: &BigInt, b: &BigInt, p: u32) -> BigInt {
    (a * pow10(p)) / b
}

/// A fixed-point value with `p` decimals rounded to `rscale` decimals.
fn round_fixed(v: &BigInt, p: u32, rscale: u32) -> Result<Numeric> {
    Numeric::finite(div_round(v, &pow10(p - rscale)), rscale)
}

/// e^x in fixed point: x halved until small, the Taylor series, then
/// squared back; a negative x is the inverse of e^-x.
fn exp_fixed(x: &BigInt, p: u32) -> BigInt {
    let one = pow10(p);
    if x.is_negative() {
        let positive = exp_fixed(&-x, p);
        return div_fixed(&one, &positive, p);
    }
    let limit = pow10(p.saturating_sub(2));
    let mut y = x.clone();
    let mut halvings = 0;
    while y > limit {
        y /= 2u32;
        halvings += 1;
    }
    let (mut sum, mut term) = (one.clone(), one);
    let mut i = 1u32;
    loop {
        term = mul_fixed(&term, &y, p) / i;
        if term.is_zero() {
            break;
        }
        sum += &term;
        i += 1;
    }
    for _ in 0..halvings {
        sum = mul_fixed(&sum, &sum, p);
    }
    sum
}

/// ln(n × 10^-scale) in fixed point with `p` decimals, n > 0: below 1 it is
/// -ln(1/x); square roots bring x near 1, then the atanh series.
fn ln_fixed(n: &BigInt, scale: u32, p: u32) -> BigInt {
    let one = pow10(p);
    if n < &pow10(scale) {
        // 1/x = 10^scale / n
        let inverse = (pow10(scale) * pow10(p)) / n;
        return -ln_fixed(&inverse, p, p);
    }
    let mut y = fixed(n, scale, p);
    let mut roots = 0u32;
    while (&y - &one) * 100u32 > one {
        y = (&y * &one).sqrt();
        roots += 1;
    }
    let z = div_fixed(&(&y - &one), &(&y + &one), p);
    let z2 = mul_fixed(&z, &z, p);
    let (mut sum, mut power) = (z.clone(), z);
    let mut k = 1u32;
    loop {
        power = mul_fixed(&power, &z2, p);
        k += 2;
        let term = &power / k;
        if term.is_zero() {
            break;
        }
        sum += term;
    }
    sum * 2u32 * (BigInt::from(1u32) << roots)
}

/// `b × 10^-bs` to the integer power `k`, rounded to `rscale` decimals.
fn power_int(b: &BigInt, bs: u32, k: i32, rscale: u32) -> Result<Numeric> {
    // The exact power has about digits(b) × k digits: refuse what NUMERIC
    // could not hold anyway rather than build it.
    let digits = digit_count(b).saturating_mul(i64::from(k).abs());
    if digits > 2 * 131_072 + 2 * 16_383 {
        return Err(NumericError::Overflow);
    }
    let exp = k.unsigned_abs();
    let num_scale = bs.checked_mul(exp).ok_or(NumericError::Overflow)?;
    let num = b.pow(exp);
    if k >= 0 {
        // num × 10^-num_scale at rscale decimals
        let v = if rscale >= num_scale {
            num * pow10(rscale - num_scale)
        } else {
            div_round(&num, &pow10(num_scale - rscale))
        };
        return Numeric::finite(v, rscale);
    }
    // 10^num_scale / num at rscale decimals
    Numeric::finite(div_round(&pow10(num_scale + rscale), &num), rscale)
}

/// The power of ten of the leading digit of `n × 10^-scale` (0 for zero).
fn decimal_exponent(n: &BigInt, scale: u32) -> i64 {
    if n.is_zero() {
        return 0;
    }
    n.magnitude().to_string().len() as i64 - 1 - i64::from(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Result<Numeric> {
        Numeric::parse(s)
    }

    #[test]
    fn rounds_and_truncates() -> Result<()> {
        assert_eq!(num("2.5")?.round_to(0)?.to_string(), "3");
        assert_eq!(num("-2.5")?.round_to(0)?.to_string(), "-3");
        assert_eq!(num("1234.5678")?.round_to(2)?.to_string(), "1234.57");
        assert_eq!(num("1234.5678")?.round_to(-2)?.to_string(), "1200");
        assert_eq!(num("1.5")?.round_to(3)?.to_string(), "1.500");
        assert_eq!(num("-1.99")?.trunc_to(1)?.to_string(), "-1.9");
        assert_eq!(num("-1.5")?.ceil()?.to_string(), "-1");
        assert_eq!(num("-1.5")?.floor()?.to_string(), "-2");
        assert_eq!(num("7")?.div_trunc(&num("-2")?)?.to_string(), "-3");
        Ok(())
    }

    #[test]
    fn square_roots_have_postgres_scale() -> Result<()> {
        assert_eq!(num("2")?.sqrt()?.to_string(), "1.414213562373095");
        assert_eq!(num("16")?.sqrt()?.to_string(), "4.000000000000000");
        assert_eq!(num("100")?.sqrt()?.to_string(), "10.000000000000000");
        assert!(num("-1")?.sqrt().is_err());
        Ok(())
    }

    #[test]
    fn transcendental_functions_match_postgres() -> Result<()> {
        assert_eq!(num("1.0")?.exp()?.to_string(), "2.7182818284590452");
        assert_eq!(num("10.0")?.exp()?.to_string(), "22026.465794806717");
        assert_eq!(num("-10.0")?.exp()?.to_string(), "0.00004539992976248485");
        assert_eq!(num("10.0")?.ln()?.to_string(), "2.3025850929940457");
        assert_eq!(num("1e-10")?.ln()?.to_string(), "-23.025850929940457");
        assert_eq!(num("0.5")?.ln()?.to_string(), "-0.6931471805599453");
        assert_eq!(
            num("8.0")?.log(&num("2.0")?)?.to_string(),
            "3.0000000000000000"
        );
        assert_eq!(
            num("10")?.log(&num("2.0")?)?.to_string(),
            "3.3219280948873623"
        );
        assert_eq!(
            num("2")?.power(&num("0.5")?)?.to_string(),
            "1.4142135623730950"
        );
        assert_eq!(
            num("0.5")?.power(&num("0.5")?)?.to_string(),
            "0.7071067811865475"
        );
        assert_eq!(
            num("2.0")?.power(&num("-2")?)?.to_string(),
            "0.2500000000000000"
        );
        assert_eq!(
            num("-2.0")?.power(&num("3")?)?.to_string(),
            "-8.0000000000000000"
        );
        assert_eq!(num("1.5")?.exp()?.to_string(), "4.4816890703380648");
        assert_eq!(
            num("100.0")?.exp()?.to_string(),
            "26881171418161354484126255515800135873611118.8"
        );
        assert!(num("0")?.ln().is_err());
        Ok(())
    }
}
