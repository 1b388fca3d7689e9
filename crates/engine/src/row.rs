//! Row encoding: the non-NULL values of a row, each tagged with its column's
//! id. Columns are found by id, not position, so a row written under an old
//! schema reads under a new one (an added column is absent, a dropped one is
//! skipped) and a row read as of the past reads under the schema of that time.
//!
//! ```text
//! row    = format: u8 (1) | count: varint | column*
//! column = column_id: varint | type tag: u8 | payload
//! payload: bool u8; int2/int4/int8, date, time, timestamp(tz) little-endian;
//!          float4/float8 IEEE bits LE; text/bytea varint length + bytes;
//!          interval months i32, days i32, micros i64 (LE); uuid 16 bytes;
//!          numeric (tag 15) scale varint | unscaled as varint length +
//!          two's-complement LE bytes (value = unscaled × 10^-scale);
//!          numeric NaN (tag 16) no payload;
//!          array (tag 17) its type (`type_code`) | count varint |
//!          each element: tag 0 for NULL, else its tag and payload as above
//!          (never an array);
//!          json (tag 18) and jsonb (tag 19) varint length + the text
//!          (jsonb's normalized text, read back with `jsonb_in`)
//! ```

use num_bigint::BigInt;

use crate::bytes::ByteReader;
use crate::numeric::Numeric;
use crate::type_code::{put_type, read_type};
use crate::value::{Array, Interval, Value};

/// The tag of an array; its elements never carry it.
const ARRAY_TAG: u8 = 17;
/// The tag of a NULL element inside an array.
const NULL_ELEMENT_TAG: u8 = 0;

const FORMAT: u8 = 1;

/// Why bytes could not be read as a row: the store holds something this
/// build did not write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed row: {0}")]
pub struct RowError(String);

/// Encodes `(column id, value)` pairs; NULLs are left out. The values are
/// borrowed: a row is encoded straight from the values a statement built.
pub fn encode_row<'a>(columns: impl Iterator<Item = (u32, &'a Value)> + Clone) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(FORMAT);
    let present = columns.filter(|(_, v)| !v.is_null());
    put_varint(&mut out, present.clone().count() as u64);
    for (id, v) in present {
        put_varint(&mut out, u64::from(id));
        put_value(&mut out, v);
    }
    out
}

/// Decodes a row into its `(column id, value)` pairs, in the order written.
pub fn decode_row(bytes: &[u8]) -> Result<Vec<(u32, Value)>, RowError> {
    let mut r = Reader(ByteReader::new(bytes));
    let format = r.u8()?;
    if format != FORMAT {
        return Err(RowError(format!("unknown row format {format}")));
    }
    let count = r.varint()?;
    if count > bytes.len() as u64 {
        return Err(RowError(format!(
            "column count {count} exceeds the row's size"
        )));
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let id =
            u32::try_from(r.varint()?).map_err(|_| RowError("column id out of range".into()))?;
        out.push((id, r.value()?));
    }
    if r.0.remaining() != 0 {
        return Err(RowError(format!("{} trailing bytes", r.0.remaining())));
    }
    Ok(out)
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_value(out: &mut Vec<u8>, v: &Value) {
    let (tag, payload): (u8, &[u8]) = match v {
        Value::Null => return,
        Value::Bool(b) => (1, &[u8::from(*b)]),
        Value::Int2(i) => return tagged(out, 2, &i.to_le_bytes()),
        Value::Int4(i) => return tagged(out, 3, &i.to_le_bytes()),
        Value::Int8(i) => return tagged(out, 4, &i.to_le_bytes()),
        Value::Float4(f) => return tagged(out, 5, &f.to_bits().to_le_bytes()),
        Value::Float8(f) => return tagged(out, 6, &f.to_bits().to_le_bytes()),
        Value::Text(s) => return sized(out, 7, s.as_bytes()),
        Value::Bytea(b) => return sized(out, 8, b),
        Value::Date(d) => return tagged(out, 9, &d.to_le_bytes()),
        Value::Time(t) => return tagged(out, 10, &t.to_le_bytes()),
        Value::Timestamp(t) => return tagged(out, 11, &t.to_le_bytes()),
        Value::Timestamptz(t) => return tagged(out, 12, &t.to_le_bytes()),
        Value::Interval(iv) => {
            out.push(13);
            out.extend_from_slice(&iv.months.to_le_bytes());
            out.extend_from_slice(&iv.days.to_le_bytes());
            out.extend_from_slice(&iv.micros.to_le_bytes());
            return;
        }
        Value::Uuid(u) => (14, u),
        Value::Json(s) => return sized(out, 18, s.as_bytes()),
        Value::Jsonb(j) => return sized(out, 19, j.to_string().as_bytes()),
        Value::Numeric(n) => {
            let Some((unscaled, scale)) = n.parts() else {
                return tagged(out, 16, &[]);
            };
            out.push(15);
            put_varint(out, u64::from(scale));
            let bytes = unscaled.to_signed_bytes_le();
            put_varint(out, bytes.len() as u64);
            out.extend_from_slice(&bytes);
            return;
        }
        Value::Array(a) => {
            out.push(ARRAY_TAG);
            put_type(out, a.data_type());
            put_varint(out, a.items().len() as u64);
            for item in a.items() {
                if item.is_null() {
                    out.push(NULL_ELEMENT_TAG);
                } else {
                    put_value(out, item);
                }
            }
            return;
        }
    };
    tagged(out, tag, payload);
}

fn tagged(out: &mut Vec<u8>, tag: u8, payload: &[u8]) {
    out.push(tag);
    out.extend_from_slice(payload);
}

fn sized(out: &mut Vec<u8>, tag: u8, payload: &[u8]) {
    out.push(tag);
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

struct Reader<'a>(ByteReader<'a>);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], RowError> {
        self.0.array().map_err(RowError)
    }

    fn u8(&mut self) -> Result<u8, RowError> {
        self.0.u8().map_err(RowError)
    }

    fn varint(&mut self) -> Result<u64, RowError> {
        self.0.varint().map_err(RowError)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, RowError> {
        let len =
            usize::try_from(self.varint()?).map_err(|_| RowError("length out of range".into()))?;
        Ok(self.0.slice(len).map_err(RowError)?.to_vec())
    }

    fn text(&mut self) -> Result<String, RowError> {
        String::from_utf8(self.bytes()?).map_err(|_| RowError("text is not UTF-8".into()))
    }

    fn value(&mut self) -> Result<Value, RowError> {
        match self.u8()? {
            ARRAY_TAG => self.array(),
            tag => self.scalar(tag),
        }
    }

    /// An array's element type, count and elements.
    fn array(&mut self) -> Result<Value, RowError> {
        let t = read_type(&mut self.0).map_err(RowError)?;
        let count = self.varint()?;
        if count > self.0.remaining() as u64 {
            return Err(RowError(format!(
                "element count {count} exceeds the row's size"
            )));
        }
        let items = (0..count)
            .map(|_| match self.u8()? {
                NULL_ELEMENT_TAG => Ok(Value::Null),
                ARRAY_TAG => Err(RowError("array inside an array".into())),
                tag => self.scalar(tag),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::Array(
            Array::of_type(t, items).map_err(|e| RowError(e.to_string()))?,
        ))
    }

    /// The payload of a value of any type but array, after its tag.
    fn scalar(&mut self, tag: u8) -> Result<Value, RowError> {
        Ok(match tag {
            1 => Value::Bool(self.u8()? != 0),
            2 => Value::Int2(i16::from_le_bytes(self.take()?)),
            3 => Value::Int4(i32::from_le_bytes(self.take()?)),
            4 => Value::Int8(i64::from_le_bytes(self.take()?)),
            5 => Value::Float4(f32::from_bits(u32::from_le_bytes(self.take()?))),
            6 => Value::Float8(f64::from_bits(u64::from_le_bytes(self.take()?))),
            7 => Value::Text(self.text()?),
            8 => Value::Bytea(self.bytes()?),
            9 => Value::Date(i32::from_le_bytes(self.take()?)),
            10 => Value::Time(i64::from_le_bytes(self.take()?)),
            11 => Value::Timestamp(i64::from_le_bytes(self.take()?)),
            12 => Value::Timestamptz(i64::from_le_bytes(self.take()?)),
            13 => Value::Interval(Interval {
                months: i32::from_le_bytes(self.take()?),
                days: i32::from_le_bytes(self.take()?),
                micros: i64::from_le_bytes(self.take()?),
            }),
            14 => Value::Uuid(self.take()?),
            15 => {
                let scale = u32::try_from(self.varint()?)
                    .map_err(|_| RowError("numeric scale out of range".into()))?;
                let unscaled = BigInt::from_signed_bytes_le(&self.bytes()?);
                Value::Numeric(
                    Numeric::from_parts(unscaled, scale).map_err(|e| RowError(e.to_string()))?,
                )
            }
            16 => Value::Numeric(Numeric::NAN),
            18 => Value::Json(self.text()?),
            19 => Value::Jsonb(
                crate::json::parse_jsonb(&self.text()?).map_err(|e| RowError(e.to_string()))?,
            ),
            tag => return Err(RowError(format!("unknown type tag {tag}"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i16>().prop_map(Value::Int2),
            any::<i32>().prop_map(Value::Int4),
            any::<i64>().prop_map(Value::Int8),
            any::<i32>().prop_map(|i| Value::Float4(i as f32 / 7.0)),
            any::<i64>().prop_map(|i| Value::Float8(i as f64 / 3.0)),
            ".{0,12}".prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(Value::Bytea),
            any::<i32>().prop_map(Value::Date),
            any::<i64>().prop_map(Value::Time),
            any::<i64>().prop_map(Value::Timestamp),
            any::<i64>().prop_map(Value::Timestamptz),
            (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(months, days, micros)| {
                Value::Interval(Interval {
                    months,
                    days,
                    micros,
                })
            }),
            any::<[u8; 16]>().prop_map(Value::Uuid),
            (any::<i128>(), 0u32..40).prop_map(|(u, scale)| Value::Numeric(
                Numeric::from_parts(BigInt::from(u), scale).unwrap_or(Numeric::NAN)
            )),
            Just(Value::Numeric(Numeric::NAN)),
            ".{0,8}".prop_map(|s| Value::Json(format!("{s:?}"))),
            proptest::collection::vec("[a-zé\"]{0,3}", 0..4).prop_map(|keys| Value::Jsonb(
                crate::json::Json::object(
                    keys.into_iter()
                        .map(|k| (k.clone(), crate::json::Json::String(k)))
                        .collect()
                )
            )),
            proptest::collection::vec(proptest::option::of(any::<i64>()), 0..5).prop_map(|items| {
                let items = items
                    .into_iter()
                    .map(|i| i.map_or(Value::Null, Value::Int8))
                    .collect();
                Array::new(crate::value::DataType::Int8, items).map_or(Value::Null, Value::Array)
            }),
            proptest::collection::vec(proptest::option::of(".{0,4}"), 0..5).prop_map(|items| {
                let items = items
                    .into_iter()
                    .map(|i| i.map_or(Value::Null, Value::Text))
                    .collect();
                Array::new(crate::value::DataType::Text, items).map_or(Value::Null, Value::Array)
            }),
        ]
    }

    /// `(id, value)` pairs as [`encode_row`] takes them.
    fn pairs(columns: &[(u32, Value)]) -> impl Iterator<Item = (u32, &Value)> + Clone {
        columns.iter().map(|(id, v)| (*id, v))
    }

    #[test]
    fn arrays_are_laid_out_as_documented() -> Result<(), RowError> {
        let a = Array::new(
            crate::value::DataType::Int2,
            vec![Value::Int2(5), Value::Null],
        )
        .map_err(|e| RowError(e.to_string()))?;
        let bytes = encode_row(pairs(&[(1, Value::Array(a.clone()))]));
        assert_eq!(bytes, [1, 1, 1, 17, 18, 2, 2, 2, 5, 0, 0]);
        assert_eq!(decode_row(&bytes)?, vec![(1, Value::Array(a))]);
        Ok(())
    }

    #[test]
    fn jsonb_is_laid_out_as_documented() -> Result<(), RowError> {
        let j = crate::json::parse_jsonb(r#"{"a":1}"#).map_err(|e| RowError(e.to_string()))?;
        let bytes = encode_row(pairs(&[(1, Value::Jsonb(j.clone()))]));
        assert_eq!(bytes[3..], *b"\x13\x08{\"a\": 1}");
        assert_eq!(decode_row(&bytes)?, vec![(1, Value::Jsonb(j))]);
        let mut key = Vec::new();
        crate::keycode::encode_key(
            &[Value::Jsonb(crate::json::Json::Number(Numeric::from(1i64)))],
            &mut key,
        );
        assert_eq!(key, [1, 5, 0, 0, 0, 1, 0, 3, 1, 3, 0x80, 0, 0, 1, 0x0b, 0]);
        Ok(())
    }

    #[test]
    fn numerics_are_laid_out_as_documented() {
        let num = |s: &str| Value::Numeric(Numeric::parse(s).unwrap_or(Numeric::NAN));
        let bytes = encode_row(pairs(&[(3, num("1.50")), (4, num("NaN"))]));
        assert_eq!(bytes, [1, 2, 3, 0x0f, 0x02, 0x02, 0x96, 0x00, 4, 0x10]);
        assert_eq!(
            decode_row(&bytes),
            Ok(vec![(3, num("1.50")), (4, num("NaN"))])
        );
    }

    proptest! {
        #[test]
        fn rows_round_trip(columns in proptest::collection::vec((any::<u32>(), value()), 0..10)) {
            let bytes = encode_row(pairs(&columns));
            let expected: Vec<_> = columns.into_iter().filter(|(_, v)| !v.is_null()).collect();
            prop_assert_eq!(decode_row(&bytes), Ok(expected));
        }

        #[test]
        fn any_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_row(&bytes);
        }
    }
}
