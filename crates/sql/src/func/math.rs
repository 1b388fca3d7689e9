//! Math functions with PostgreSQL's overloads: a `numeric` argument gives
//! an exact `numeric` result, anything else runs in `double precision` (as
//! PostgreSQL resolves `round(5)` to `round(double precision)`); `mod`,
//! `gcd` and `lcm` keep their integer type. Errors are PostgreSQL's:
//! 2201F for `sqrt` of a negative and the undefined powers, 2201E for
//! logarithms of zero or a negative, 22003 for overflow, 22012 for
//! division by zero. Also `random()`, `setseed()` and `gen_random_uuid()`.

use std::cell::RefCell;

use driftdb_engine::numeric::Numeric;
use driftdb_engine::value::{DataType, Value};
use rand::{RngExt, SeedableRng};

use super::args::{float, int, numeric};
use crate::error::{Result, SqlError};
use crate::expr::{BinOp, arithmetic, as_i64, out_of_range};

/// A math function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathFunc {
    /// `acos(x)`
    Acos,
    /// `asin(x)`
    Asin,
    /// `atan(x)`
    Atan,
    /// `atan2(y, x)`
    Atan2,
    /// `cbrt(x)`
    Cbrt,
    /// `ceil(x)`, `ceiling(x)`
    Ceil,
    /// `cos(x)`
    Cos,
    /// `degrees(x)`
    Degrees,
    /// `div(y, x)`: the truncated quotient, as `numeric`.
    Div,
    /// `exp(x)`
    Exp,
    /// `floor(x)`
    Floor,
    /// `gcd(a, b)`
    Gcd,
    /// `gen_random_uuid()`: a version 4 UUID.
    GenRandomUuid,
    /// `lcm(a, b)`
    Lcm,
    /// `ln(x)`
    Ln,
    /// `log(x)` (base 10) or `log(b, x)`
    Log,
    /// `log10(x)`
    Log10,
    /// `mod(y, x)`
    Mod,
    /// `pi()`
    Pi,
    /// `power(a, b)`, `pow(a, b)`
    Power,
    /// `radians(x)`
    Radians,
    /// `random()`
    Random,
    /// `round(x [, decimals])`
    Round,
    /// `scale(numeric)`
    Scale,
    /// `setseed(x)`
    Setseed,
    /// `sign(x)`
    Sign,
    /// `sin(x)`
    Sin,
    /// `sqrt(x)`
    Sqrt,
    /// `tan(x)`
    Tan,
    /// `trunc(x [, decimals])`
    Trunc,
    /// `width_bucket(operand, low, high, count)`
    WidthBucket,
}

impl MathFunc {
    /// Whether PostgreSQL has a `numeric` version (the others take
    /// `double precision` only).
    fn has_numeric_version(self) -> bool {
        use MathFunc as F;
        matches!(
            self,
            F::Round
                | F::Trunc
                | F::Ceil
                | F::Floor
                | F::Sign
                | F::Sqrt
                | F::Exp
                | F::Ln
                | F::Log
                | F::Log10
                | F::Power
        )
    }

    /// The result type for arguments of types `args`.
    pub fn result_type(self, args: &[Option<DataType>]) -> Option<DataType> {
        use MathFunc as F;
        let numeric = args.iter().any(|t| matches!(t, Some(DataType::Numeric(_))))
            && !args
                .iter()
                .any(|t| matches!(t, Some(DataType::Float4 | DataType::Float8)));
        let widest_int = || {
            args.iter()
                .flatten()
                .copied()
                .max_by_key(|t| t.numeric_rank())
                .map(|t| {
                    if t == DataType::Int2 {
                        DataType::Int4
                    } else {
                        t
                    }
                })
        };
        Some(match self {
            F::GenRandomUuid => DataType::Uuid,
            F::Setseed => DataType::Text,
            F::Scale | F::WidthBucket => DataType::Int4,
            F::Div => DataType::Numeric(None),
            F::Mod => args
                .iter()
                .flatten()
                .copied()
                .max_by_key(|t| t.numeric_rank())?,
            F::Gcd | F::Lcm => widest_int()?,
            F::Round | F::Trunc | F::Log if args.len() == 2 => DataType::Numeric(None),
            f if numeric && f.has_numeric_version() => DataType::Numeric(None),
            _ => DataType::Float8,
        })
    }
}

/// The value of `func(args)` (`name` is the name it was called by).
pub fn call(func: MathFunc, name: &str, args: &[Value]) -> Result<Value> {
    use MathFunc as F;
    match func {
        F::Pi => return Ok(Value::Float8(std::f64::consts::PI)),
        F::Random => return Ok(Value::Float8(random())),
        F::Setseed => return setseed(float(name, args.first())?),
        F::GenRandomUuid => return Ok(Value::Uuid(random_uuid())),
        F::Mod => return two(args, |a, b| arithmetic(BinOp::Modulo, a, b)),
        F::Gcd | F::Lcm => return two(args, |a, b| gcd_lcm(func == F::Gcd, a, b)),
        F::Scale => {
            return Ok(numeric(name, args.first())?
                .scale()
                .map_or(Value::Null, |s| {
                    Value::Int4(i32::try_from(s).unwrap_or(i32::MAX))
                }));
        }
        F::Div => {
            let (a, b) = (numeric(name, args.first())?, numeric(name, args.get(1))?);
            return Ok(Value::Numeric(a.div_trunc(&b)?));
        }
        F::WidthBucket => return width_bucket(name, args),
        _ => {}
    }
    let exact = func.has_numeric_version()
        && args.iter().any(|v| matches!(v, Value::Numeric(_)))
        && !args
            .iter()
            .any(|v| matches!(v, Value::Float4(_) | Value::Float8(_)));
    if exact || (matches!(func, F::Round | F::Trunc | F::Log) && args.len() == 2) {
        return numeric_call(func, name, args);
    }
    let x = float(name, args.first())?;
    let f = match func {
        F::Round => x.round_ties_even(),
        F::Trunc => x.trunc(),
        F::Ceil => x.ceil(),
        F::Floor => x.floor(),
        F::Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        F::Sqrt if x < 0.0 => return Err(negative_sqrt()),
        F::Sqrt => x.sqrt(),
        F::Cbrt => cbrt(x),
        F::Exp => x.exp(),
        F::Ln | F::Log | F::Log10 => {
            log_domain(x)?;
            if func == F::Ln { x.ln() } else { x.log10() }
        }
        F::Power => power(x, float(name, args.get(1))?)?,
        F::Degrees => x.to_degrees(),
        F::Radians => x.to_radians(),
        F::Sin => x.sin(),
        F::Cos => x.cos(),
        F::Tan => x.tan(),
        F::Asin | F::Acos if !(-1.0..=1.0).contains(&x) => {
            return Err(SqlError::new("22003", "input is out of range"));
        }
        F::Asin => x.asin(),
        F::Acos => x.acos(),
        F::Atan => x.atan(),
        F::Atan2 => x.atan2(float(name, args.get(1))?),
        _ => {
            return Err(SqlError::new(
                "XX000",
                format!("{name}() is not a float function"),
            ));
        }
    };
    checked_float(x, f)
}

/// The `numeric` versions.
fn numeric_call(func: MathFunc, name: &str, args: &[Value]) -> Result<Value> {
    use MathFunc as F;
    let n = numeric(name, args.first())?;
    let decimals = || -> Result<i32> {
        let d = args.get(1).and_then(as_i64).unwrap_or(0);
        i32::try_from(d).map_err(|_| out_of_range("integer"))
    };
    Ok(Value::Numeric(match func {
        F::Round => n.round_to(decimals()?)?,
        F::Trunc => n.trunc_to(decimals()?)?,
        F::Ceil => n.ceil()?,
        F::Floor => n.floor()?,
        F::Sign => n.sign(),
        F::Sqrt => n.sqrt()?,
        F::Exp => n.exp()?,
        F::Ln => n.ln()?,
        F::Log10 => n.log(&Numeric::from(10i64))?,
        F::Log if args.len() == 1 => n.log(&Numeric::from(10i64))?,
        F::Log => numeric(name, args.get(1))?.log(&n)?,
        F::Power => n.power(&numeric(name, args.get(1))?)?,
        _ => {
            return Err(SqlError::new(
                "XX000",
                format!("{name}() is not a numeric function"),
            ));
        }
    }))
}

fn two(args: &[Value], f: impl Fn(&Value, &Value) -> Result<Value>) -> Result<Value> {
    match args {
        [a, b] => f(a, b),
        _ => Err(SqlError::new("42883", "function needs two arguments")),
    }
}

fn negative_sqrt() -> SqlError {
    SqlError::new("2201F", "cannot take square root of a negative number")
}

fn log_domain(x: f64) -> Result<()> {
    if x == 0.0 {
        return Err(SqlError::new("2201E", "cannot take logarithm of zero"));
    }
    if x < 0.0 {
        return Err(SqlError::new(
            "2201E",
            "cannot take logarithm of a negative number",
        ));
    }
    Ok(())
}

/// `x ^ y` in `double precision`, with PostgreSQL's undefined cases.
fn power(x: f64, y: f64) -> Result<f64> {
    if x == 0.0 && y < 0.0 {
        return Err(SqlError::new(
            "2201F",
            "zero raised to a negative power is undefined",
        ));
    }
    if x < 0.0 && y.fract() != 0.0 {
        return Err(SqlError::new(
            "2201F",
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    Ok(x.powf(y))
}

/// `result` of a function of `x`: 22003 when it overflowed to infinity or
/// underflowed to zero from finite, non-zero input.
fn checked_float(x: f64, result: f64) -> Result<Value> {
    if result.is_infinite() && x.is_finite() {
        return Err(SqlError::new("22003", "value out of range: overflow"));
    }
    Ok(Value::Float8(result))
}

/// The cube root as glibc's `cbrt` computes it (a polynomial guess and
/// one rational refinement), so results match PostgreSQL's on Linux to the
/// last digit: `cbrt(27)` is `3.0000000000000004` there too.
fn cbrt(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x + x;
    }
    const CBRT2: f64 = 1.259_921_049_894_873_2;
    const SQR_CBRT2: f64 = 1.587_401_051_968_199_6;
    const FACTOR: [f64; 5] = [1.0 / SQR_CBRT2, 1.0 / CBRT2, 1.0, CBRT2, SQR_CBRT2];
    let (xm, xe) = frexp(x.abs());
    let u = 0.354_895_765_043_919_84
        + (1.508_191_937_815_849
            + (-2.114_994_941_673_713
                + (2.446_931_225_635_344_4
                    + (-1.834_692_774_836_130_8
                        + (0.784_932_344_976_639_2 - 0.145_263_899_385_486_37 * xm) * xm)
                        * xm)
                    * xm)
                * xm)
            * xm;
    let t2 = u * u * u;
    let factor = FACTOR[usize::try_from(2 + xe % 3).unwrap_or(2)];
    let ym = u * (t2 + 2.0 * xm) / (2.0 * t2 + xm) * factor;
    let root = ym * 2f64.powi(xe / 3);
    if x > 0.0 { root } else { -root }
}

/// `x` as `m × 2^e` with `m` in [0.5, 1) (C's `frexp`), for finite non-zero `x`.
fn frexp(x: f64) -> (f64, i32) {
    let (x, bias) = if x.abs() < f64::MIN_POSITIVE {
        (x * 2f64.powi(54), -54)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1022;
    let mantissa = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (mantissa, exponent + bias)
}

fn gcd_lcm(gcd: bool, a: &Value, b: &Value) -> Result<Value> {
    let (Some(x), Some(y)) = (as_i64(a), as_i64(b)) else {
        return Err(SqlError::unsupported("gcd() and lcm() of non-integers"));
    };
    let wide = matches!(a, Value::Int8(_)) || matches!(b, Value::Int8(_));
    let name = if wide { "bigint" } else { "integer" };
    let (mut p, mut q) = (i128::from(x).abs(), i128::from(y).abs());
    while q != 0 {
        (p, q) = (q, p % q);
    }
    let v = if gcd {
        p
    } else if p == 0 {
        0
    } else {
        (i128::from(x) / p * i128::from(y)).abs()
    };
    Ok(if wide {
        Value::Int8(i64::try_from(v).map_err(|_| out_of_range(name))?)
    } else {
        Value::Int4(i32::try_from(v).map_err(|_| out_of_range(name))?)
    })
}

/// `width_bucket(operand, low, high, count)`: which of `count` equal
/// buckets between the bounds holds the operand (0 below, count + 1 above).
fn width_bucket(name: &str, args: &[Value]) -> Result<Value> {
    let (x, lo, hi) = (
        float(name, args.first())?,
        float(name, args.get(1))?,
        float(name, args.get(2))?,
    );
    let count = int(name, args.get(3))?;
    if count <= 0 {
        return Err(SqlError::new("2201G", "count must be greater than zero"));
    }
    if lo == hi {
        return Err(SqlError::new(
            "2201G",
            "lower bound cannot equal upper bound",
        ));
    }
    if x.is_nan() || lo.is_nan() || hi.is_nan() {
        return Err(SqlError::new(
            "2201G",
            "operand, lower bound, and upper bound cannot be NaN",
        ));
    }
    let n = count as f64;
    let bucket = if lo < hi {
        if x < lo {
            0
        } else if x >= hi {
            count + 1
        } else {
            ((n * (x - lo) / (hi - lo)) as i64 + 1).min(count)
        }
    } else if x > lo {
        0
    } else if x <= hi {
        count + 1
    } else {
        ((n * (lo - x) / (lo - hi)) as i64 + 1).min(count)
    };
    i32::try_from(bucket)
        .map(Value::Int4)
        .map_err(|_| out_of_range("integer"))
}

thread_local! {
    /// The session's generator once `setseed` has seeded it (a session
    /// runs on one thread); before that `random()` uses the thread's own.
    static SEEDED: RefCell<Option<rand::rngs::StdRng>> = const { RefCell::new(None) };
}

fn random() -> f64 {
    SEEDED.with(|seeded| match seeded.borrow_mut().as_mut() {
        Some(rng) => rng.random::<f64>(),
        None => rand::random::<f64>(),
    })
}

fn setseed(seed: f64) -> Result<Value> {
    if !(-1.0..=1.0).contains(&seed) {
        return Err(SqlError::new(
            "22023",
            format!("setseed parameter {seed} is out of allowed range [-1,1]"),
        ));
    }
    let rng = rand::rngs::StdRng::seed_from_u64(seed.to_bits());
    SEEDED.with(|seeded| *seeded.borrow_mut() = Some(rng));
    Ok(Value::Text(String::new()))
}

/// Random bytes with the version (4) and variant (RFC 4122) bits set.
fn random_uuid() -> [u8; 16] {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cube_roots_are_glibc_s() {
        assert_eq!(cbrt(27.0), 3.000_000_000_000_000_4);
        assert_eq!(cbrt(-64.0), -4.0);
        assert_eq!(cbrt(0.001), 0.1);
        assert_eq!(frexp(8.0), (0.5, 4));
    }
}
