//! Order-preserving key encoding: a tuple of values becomes bytes that sort,
//! byte by byte, the way the tuple sorts under [`Value::sql_cmp`] column by
//! column, with NULL after every value (PostgreSQL's `NULLS LAST` for an
//! ascending index). Primary keys and index keys are stored this way, so a
//! range of values is a range of keys in the store.
//!
//! ```text
//! NULL      02
//! value     01 | payload
//! bool      00 | 01
//! integers  big-endian with the sign bit flipped (i16, i32, i64)
//! floats    as f64: IEEE bits, all flipped when negative, else sign bit set;
//!           -0 as 0, NaN as all ones (above +inf)
//! text      bytes with 00 escaped as 00 FF, then 00 00
//! bytea     likewise
//! date      i32; time, timestamp, timestamptz: i64
//! interval  i128 of its comparable span (so '1 month' = '30 days', as in PostgreSQL)
//! uuid      16 bytes
//! numeric   class: 01 negative, 02 zero, 03 positive, 04 NaN (above all);
//!           a non-zero value ±0.d1d2…dn × 10^e (dn ≠ 0, so 1.5 and 1.50
//!           encode alike) continues with e as i32 (sign bit flipped), the
//!           digits in pairs, one byte 1 + 10·d1 + d2 each (an odd last digit
//!           paired with 0), then 00; every byte after a negative's class is
//!           inverted, so a larger magnitude sorts lower
//! array     each element as a value above (NULL 02 after every value),
//!           then 00, so a prefix sorts first (PostgreSQL's array order)
//! json      as text (json has no order of its own)
//! jsonb     `Json::key_bytes`: jsonb_cmp's order
//! ```

use num_bigint::Sign;

use crate::numeric::Numeric;
use crate::value::Value;

const PRESENT: u8 = 0x01;
const NULL: u8 = 0x02;

/// Appends the key encoding of `values` to `out`.
pub fn encode_key(values: &[Value], out: &mut Vec<u8>) {
    for v in values {
        encode_one(v, out);
    }
}

fn encode_one(v: &Value, out: &mut Vec<u8>) {
    if v.is_null() {
        out.push(NULL);
        return;
    }
    out.push(PRESENT);
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::Int2(i) => out.extend_from_slice(&((*i as u16) ^ (1 << 15)).to_be_bytes()),
        Value::Int4(i) | Value::Date(i) => {
            out.extend_from_slice(&((*i as u32) ^ (1 << 31)).to_be_bytes());
        }
        Value::Int8(i) | Value::Time(i) | Value::Timestamp(i) | Value::Timestamptz(i) => {
            out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes());
        }
        // f32 widens to f64 exactly and in order: one encoding serves both.
        Value::Float4(f) => out.extend_from_slice(&float_key(f64::from(*f)).to_be_bytes()),
        Value::Float8(f) => out.extend_from_slice(&float_key(*f).to_be_bytes()),
        Value::Text(s) | Value::Json(s) => escaped(s.as_bytes(), out),
        Value::Jsonb(j) => j.key_bytes(out),
        Value::Bytea(b) => escaped(b, out),
        Value::Interval(iv) => {
            let span = iv.comparable_micros();
            out.extend_from_slice(&((span as u128) ^ (1 << 127)).to_be_bytes());
        }
        Value::Uuid(u) => out.extend_from_slice(u),
        Value::Numeric(n) => numeric_key(n, out),
        Value::Array(a) => {
            for item in a.items() {
                encode_one(item, out);
            }
            out.push(0x00);
        }
    }
}

fn numeric_key(n: &Numeric, out: &mut Vec<u8>) {
    let Some((sign, digits, exponent)) = n.key_form() else {
        out.push(0x04);
        return;
    };
    let (class, invert) = match sign {
        Sign::NoSign => return out.push(0x02),
        Sign::Minus => (0x01, 0xFF),
        Sign::Plus => (0x03, 0x00),
    };
    out.push(class);
    // |e| is bounded by NUMERIC's digit limits, far inside i32.
    let e = exponent.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    for b in ((e as u32) ^ (1 << 31)).to_be_bytes() {
        out.push(b ^ invert);
    }
    for pair in digits.chunks(2) {
        let (hi, lo) = (pair[0], pair.get(1).copied().unwrap_or(0));
        out.push((1 + 10 * hi + lo) ^ invert);
    }
    out.push(invert);
}

fn float_key(f: f64) -> u64 {
    if f.is_nan() {
        return u64::MAX;
    }
    let bits = if f == 0.0 { 0 } else { f.to_bits() };
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

fn escaped(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// The text of a key that encodes one non-NULL text value.
pub fn decode_text_key(key: &[u8]) -> Option<String> {
    let body = key.strip_prefix(&[PRESENT])?.strip_suffix(&[0, 0])?;
    let mut out = Vec::with_capacity(body.len());
    let mut bytes = body.iter();
    while let Some(&b) = bytes.next() {
        out.push(b);
        if b == 0 && bytes.next() != Some(&0xFF) {
            return None;
        }
    }
    String::from_utf8(out).ok()
}

/// The smallest key above every key that starts with `prefix` (`None` when
/// there is none: the prefix is all 0xFF).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Array, DataType, Interval};
    use proptest::prelude::*;
    use std::cmp::Ordering;

    fn key(values: &[Value]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key(values, &mut out);
        out
    }

    /// Tuple order: column by column, NULL after every value.
    fn tuple_cmp(a: &[Value], b: &[Value]) -> Ordering {
        for (x, y) in a.iter().zip(b) {
            let o = match (x.is_null(), y.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => x.sql_cmp(y).unwrap_or(Ordering::Equal),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }

    /// Numerics of varied sign, magnitude and scale, trailing zeros and NaN.
    fn numeric() -> impl Strategy<Value = Value> {
        let finite = (
            prop_oneof![
                any::<i64>().prop_map(i128::from),
                -1000i128..1000,
                any::<i128>()
            ],
            0u32..25,
        )
            .prop_map(|(u, scale)| {
                Numeric::from_parts(num_bigint::BigInt::from(u), scale).unwrap_or(Numeric::NAN)
            });
        prop_oneof![8 => finite, 1 => Just(Numeric::NAN)].prop_map(Value::Numeric)
    }

    /// Arrays of up to three `element`s, NULL elements among them.
    fn array(element: DataType, item: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
        let item = prop_oneof![1 => Just(Value::Null), 4 => item];
        proptest::collection::vec(item, 0..4)
            .prop_map(move |items| Array::new(element, items).map_or(Value::Null, Value::Array))
            .boxed()
    }

    /// Pairs of values of one type (or NULL), for each type.
    fn same_type_pair() -> impl Strategy<Value = (Value, Value)> {
        let nullable =
            |s: BoxedStrategy<Value>| prop_oneof![1 => Just(Value::Null), 6 => s].boxed();
        let interval =
            (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(months, days, micros)| {
                Value::Interval(Interval {
                    months,
                    days,
                    micros,
                })
            });
        let strategies: Vec<BoxedStrategy<Value>> = vec![
            any::<bool>().prop_map(Value::Bool).boxed(),
            any::<i16>().prop_map(Value::Int2).boxed(),
            any::<i32>().prop_map(Value::Int4).boxed(),
            any::<i64>().prop_map(Value::Int8).boxed(),
            any::<f32>().prop_map(Value::Float4).boxed(),
            prop_oneof![
                any::<f64>(),
                Just(0.0),
                Just(-0.0),
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY)
            ]
            .prop_map(Value::Float8)
            .boxed(),
            "[a\\x00b]{0,4}".prop_map(Value::Text).boxed(),
            proptest::collection::vec(prop_oneof![Just(0u8), Just(0xFF), any::<u8>()], 0..4)
                .prop_map(Value::Bytea)
                .boxed(),
            any::<i32>().prop_map(Value::Date).boxed(),
            any::<i64>().prop_map(Value::Timestamptz).boxed(),
            interval.boxed(),
            any::<[u8; 16]>().prop_map(Value::Uuid).boxed(),
            numeric().boxed(),
            array(DataType::Int4, any::<i32>().prop_map(Value::Int4).boxed()),
            array(
                DataType::Text,
                "[a\\x00]{0,2}".prop_map(Value::Text).boxed(),
            ),
        ];
        proptest::sample::select((0..strategies.len()).collect::<Vec<_>>()).prop_flat_map(
            move |i| {
                let s = strategies[i].clone();
                (nullable(s.clone()), nullable(s))
            },
        )
    }

    proptest! {
        #[test]
        fn keys_sort_like_tuples(
            a in same_type_pair(), b in same_type_pair(),
        ) {
            // Two-column tuples whose columns have matching types.
            let (x, y) = ([a.0, b.0], [a.1, b.1]);
            prop_assert_eq!(key(&x).cmp(&key(&y)), tuple_cmp(&x, &y), "{:?} vs {:?}", x, y);
        }

        #[test]
        fn numeric_keys_sort_like_numbers(a in numeric(), b in numeric(), zeros in 0u32..5) {
            let (x, y) = ([a], [b]);
            prop_assert_eq!(key(&x).cmp(&key(&y)), tuple_cmp(&x, &y));
            // The same number with more trailing zeros has the same key.
            if let [Value::Numeric(n)] = &x
                && let Some((u, scale)) = n.parts()
            {
                let ten = num_bigint::BigInt::from(10u32);
                let padded = Numeric::from_parts(u * ten.pow(zeros), scale + zeros)?;
                prop_assert_eq!(key(&x), key(&[Value::Numeric(padded)]));
            }
        }
    }

    #[test]
    fn numeric_keys_are_laid_out_as_documented() {
        let num = |s: &str| key(&[Value::Numeric(Numeric::parse(s).unwrap_or(Numeric::NAN))]);
        assert_eq!(num("1.50"), [0x01, 0x03, 0x80, 0, 0, 0x01, 0x10, 0x00]);
        assert_eq!(
            num("-1.5"),
            [0x01, 0x01, 0x7f, 0xff, 0xff, 0xfe, 0xef, 0xff]
        );
        assert_eq!(num("0.00"), [0x01, 0x02]);
        assert_eq!(num("NaN"), [0x01, 0x04]);
    }

    #[test]
    fn equal_by_sql_means_equal_keys() {
        assert_eq!(key(&[Value::Float8(-0.0)]), key(&[Value::Float8(0.0)]));
        let month = Interval {
            months: 1,
            days: 0,
            micros: 0,
        };
        let days = Interval {
            months: 0,
            days: 30,
            micros: 0,
        };
        assert_eq!(
            key(&[Value::Interval(month)]),
            key(&[Value::Interval(days)])
        );
        assert!(key(&[Value::Float8(f64::NAN)]) > key(&[Value::Float8(f64::INFINITY)]));
        let num = |s: &str| Value::Numeric(Numeric::parse(s).unwrap_or(Numeric::NAN));
        assert_eq!(key(&[num("1.5")]), key(&[num("1.50")]));
        assert_eq!(key(&[num("-0.0")]), key(&[num("0")]));
        assert_eq!(key(&[num("1e3")]), key(&[num("1000.000")]));
        assert!(key(&[num("NaN")]) > key(&[num("1e100")]));
        assert!(key(&[num("-0.12")]) > key(&[num("-0.123")]));
        assert!(key(&[num("0.12")]) < key(&[num("0.123")]));
        assert!(key(&[Value::Null]) > key(&[Value::Int4(i32::MAX)]));
    }
}
