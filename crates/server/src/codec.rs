//! Values on the wire: the type OID and typmod of each SQL type, values in
//! PostgreSQL's text and binary formats, and parameters read back from
//! either.

use bytes::{BufMut, BytesMut};
use driftdb_engine::numeric::Numeric;
use driftdb_engine::text::{format_text, parse_text};
use driftdb_engine::value::{Array, DataType, Interval, Value};
use driftdb_sql::error::SqlError;
use driftdb_sql::system::{self, type_oid};
use pgwire::api::Type;

/// The PostgreSQL type of a result column; a column of no known type (a
/// bare NULL) is `text`, as PostgreSQL reports it.
pub fn pg_type(t: Option<DataType>) -> Type {
    t.and_then(|t| Type::from_oid(type_oid(t)))
        .unwrap_or(Type::TEXT)
}

/// The SQL type a parameter declared with `ty` reads as; `None` for types
/// whose text is taken as an untyped literal (unknown, text, varchar).
fn data_type(ty: &Type) -> Option<DataType> {
    system::data_type_of(ty.oid())
        .filter(|t| !matches!(t, DataType::Text | DataType::Varchar(_) | DataType::Char(_)))
}

/// PostgreSQL's `atttypmod` of a result column (-1 for none).
pub fn type_modifier(t: Option<DataType>) -> i32 {
    t.map_or(-1, system::type_modifier)
}

/// The fixed byte width of a type (`pg_type.typlen`), -1 for variable ones.
pub fn type_size(t: Option<DataType>) -> i16 {
    t.and_then(|t| system::pg_type(type_oid(t)))
        .map_or(-1, |p| p.len)
}

/// Appends one field of a DataRow: its length (-1 for NULL) and its bytes in
/// the text or binary format.
pub fn put_field(out: &mut BytesMut, v: &Value, binary: bool) {
    if binary {
        let start = out.len();
        out.put_i32(0);
        if !put_binary(out, v) {
            out.truncate(start);
            out.put_i32(-1);
            return;
        }
        let len = i32::try_from(out.len() - start - 4).unwrap_or(i32::MAX);
        out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    } else {
        match v {
            Value::Null => out.put_i32(-1),
            // Text is its own text format, and integers print in place:
            // the commonest fields go out without a String of their own.
            Value::Text(text) => put_text(out, text),
            Value::Int2(i) => put_display(out, i),
            Value::Int4(i) => put_display(out, i),
            Value::Int8(i) => put_display(out, i),
            other => match format_text(other) {
                None => out.put_i32(-1),
                Some(text) => put_text(out, &text),
            },
        }
    }
}

/// Appends a text field: its length and its bytes.
fn put_text(out: &mut BytesMut, text: &str) {
    out.put_i32(i32::try_from(text.len()).unwrap_or(i32::MAX));
    out.put_slice(text.as_bytes());
}

/// Appends a text field printed by `Display` (as `format_text` prints it)
/// straight into `out`, its length filled in after.
fn put_display(out: &mut BytesMut, v: &impl std::fmt::Display) {
    use std::fmt::Write;
    let start = out.len();
    out.put_i32(0);
    // Writing into a BytesMut cannot fail (it grows).
    let _ = write!(out, "{v}");
    let len = i32::try_from(out.len() - start - 4).unwrap_or(i32::MAX);
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

/// Appends `v` in PostgreSQL's binary format; false for NULL.
fn put_binary(out: &mut BytesMut, v: &Value) -> bool {
    match v {
        Value::Null => return false,
        Value::Bool(b) => out.put_u8(u8::from(*b)),
        Value::Int2(i) => out.put_i16(*i),
        Value::Int4(i) => out.put_i32(*i),
        Value::Int8(i) => out.put_i64(*i),
        Value::Float4(f) => out.put_f32(*f),
        Value::Float8(f) => out.put_f64(*f),
        Value::Numeric(n) => put_numeric(out, n),
        Value::Text(s) => out.put_slice(s.as_bytes()),
        Value::Bytea(b) => out.put_slice(b),
        Value::Date(d) => out.put_i32(*d),
        Value::Time(t) | Value::Timestamp(t) | Value::Timestamptz(t) => out.put_i64(*t),
        Value::Interval(iv) => {
            out.put_i64(iv.micros);
            out.put_i32(iv.days);
            out.put_i32(iv.months);
        }
        Value::Uuid(u) => out.put_slice(u),
        Value::Array(a) => put_array(out, a),
        Value::Json(s) => out.put_slice(s.as_bytes()),
        // jsonb's binary form is a version byte (1) and the text.
        Value::Jsonb(j) => {
            out.put_u8(1);
            out.put_slice(j.to_string().as_bytes());
        }
    }
    true
}

/// The binary array format: dimensions (0 for an empty array, else 1), a
/// has-NULLs flag, the element type's OID, the length and lower bound of the
/// dimension, then each element as a length (-1 for NULL) and its bytes.
fn put_array(out: &mut BytesMut, a: &Array) {
    let items = a.items();
    out.put_i32(i32::from(!items.is_empty()));
    out.put_i32(i32::from(items.iter().any(Value::is_null)));
    out.put_u32(type_oid(a.element()));
    if !items.is_empty() {
        out.put_i32(i32::try_from(items.len()).unwrap_or(i32::MAX));
        out.put_i32(i32::try_from(a.lower()).unwrap_or(1));
    }
    for item in items {
        put_field(out, item, true);
    }
}

/// Sign words of the binary `numeric` format.
const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;

/// The binary `numeric` format: digit count, weight, sign and display scale
/// (each 16 bits), then base-10000 digits.
fn put_numeric(out: &mut BytesMut, n: &Numeric) {
    if n.is_nan() {
        out.put_slice(&[0, 0, 0, 0]);
        out.put_u16(NUMERIC_NAN);
        out.put_u16(0);
        return;
    }
    let text = n.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    // Pad the integer part on the left and the fraction on the right to
    // whole groups of four decimal digits.
    let int_pad = (4 - int.len() % 4) % 4;
    let frac_pad = (4 - frac.len() % 4) % 4;
    let padded: Vec<u8> = std::iter::repeat_n(b'0', int_pad)
        .chain(int.bytes())
        .chain(frac.bytes())
        .chain(std::iter::repeat_n(b'0', frac_pad))
        .collect();
    let mut groups: Vec<i16> = padded
        .chunks(4)
        .map(|c| c.iter().fold(0i16, |acc, d| acc * 10 + i16::from(d - b'0')))
        .collect();
    let mut weight = i32::try_from((int.len() + int_pad) / 4).unwrap_or(0) - 1;
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    out.put_i16(i16::try_from(groups.len()).unwrap_or(i16::MAX));
    out.put_i16(i16::try_from(weight).unwrap_or(0));
    out.put_u16(if negative && !groups.is_empty() {
        NUMERIC_NEG
    } else {
        NUMERIC_POS
    });
    out.put_u16(u16::try_from(frac.len()).unwrap_or(u16::MAX));
    for g in groups {
        out.put_i16(g);
    }
}

/// A Bind parameter as a value: text of an untyped (or text) parameter stays
/// an untyped literal that takes the type its place needs; text of a typed
/// one is read as that type; binary of a typed one is read as that type,
/// and binary of an untyped one is bytea.
pub fn decode_param(
    bytes: Option<&[u8]>,
    ty: Option<&Type>,
    binary: bool,
) -> Result<Value, SqlError> {
    let Some(bytes) = bytes else {
        return Ok(Value::Null);
    };
    let target = ty.and_then(data_type);
    if !binary {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| SqlError::new("22021", "invalid byte sequence for encoding \"UTF8\""))?;
        return match target {
            Some(t) => Ok(parse_text(text, t)?),
            None => Ok(Value::Text(text.to_string())),
        };
    }
    decode_binary(bytes, target, ty)
}

/// 22P03: binary data that is not of the declared type.
fn bad(what: &str) -> SqlError {
    SqlError::new(
        "22P03",
        format!("incorrect binary data format in bind parameter ({what})"),
    )
}

/// A value in the binary format of type `target` (`None`: a parameter of
/// type `ty`, or of no declared type, whose bytes are taken as they are).
fn decode_binary(
    bytes: &[u8],
    target: Option<DataType>,
    ty: Option<&Type>,
) -> Result<Value, SqlError> {
    let fixed = |n: usize| -> Result<&[u8], SqlError> {
        if bytes.len() == n {
            Ok(bytes)
        } else {
            Err(bad(&format!("expected {n} bytes, got {}", bytes.len())))
        }
    };
    let be8 = |b: &[u8]| -> [u8; 8] {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        a
    };
    Ok(match target {
        Some(DataType::Bool) => Value::Bool(fixed(1)?[0] != 0),
        Some(DataType::Int2) => Value::Int2(i16::from_be_bytes([fixed(2)?[0], bytes[1]])),
        Some(DataType::Int4) => {
            let b = fixed(4)?;
            Value::Int4(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }
        Some(DataType::Date) => {
            let b = fixed(4)?;
            Value::Date(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }
        Some(DataType::Float4) => {
            let b = fixed(4)?;
            Value::Float4(f32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }
        Some(DataType::Int8) => Value::Int8(i64::from_be_bytes(be8(fixed(8)?))),
        Some(DataType::Float8) => Value::Float8(f64::from_be_bytes(be8(fixed(8)?))),
        Some(DataType::Time) => Value::Time(i64::from_be_bytes(be8(fixed(8)?))),
        Some(DataType::Timestamp) => Value::Timestamp(i64::from_be_bytes(be8(fixed(8)?))),
        Some(DataType::Timestamptz) => Value::Timestamptz(i64::from_be_bytes(be8(fixed(8)?))),
        Some(DataType::Interval) => {
            let b = fixed(16)?;
            Value::Interval(Interval {
                micros: i64::from_be_bytes(be8(b)),
                days: i32::from_be_bytes([b[8], b[9], b[10], b[11]]),
                months: i32::from_be_bytes([b[12], b[13], b[14], b[15]]),
            })
        }
        Some(DataType::Uuid) => {
            let mut u = [0u8; 16];
            u.copy_from_slice(fixed(16)?);
            Value::Uuid(u)
        }
        Some(DataType::Bytea) => Value::Bytea(bytes.to_vec()),
        Some(DataType::Numeric(_)) => {
            Value::Numeric(read_numeric(bytes).ok_or_else(|| bad("numeric"))?)
        }
        Some(DataType::Array(t)) => Value::Array(read_array(bytes, DataType::Array(t))?),
        Some(t @ DataType::Json) => parse_text(&utf8(bytes)?, t)?,
        Some(t @ DataType::Jsonb) => match bytes.split_first() {
            Some((1, text)) => parse_text(&utf8(text)?, t)?,
            _ => return Err(bad("jsonb: unsupported jsonb version number")),
        },
        // The binary form of text is UTF-8.
        Some(DataType::Text | DataType::Varchar(_) | DataType::Char(_)) => {
            Value::Text(utf8(bytes)?)
        }
        // Text parameters are not in `data_type` (they stay untyped).
        None => match ty {
            // Binary data of no declared type is taken as bytea
            // (node-postgres sends a Buffer so).
            None => Value::Bytea(bytes.to_vec()),
            Some(t) if *t == Type::UNKNOWN => Value::Bytea(bytes.to_vec()),
            Some(t) if is_text(t) => Value::Text(utf8(bytes)?),
            Some(t) => {
                return Err(SqlError::new(
                    "0A000",
                    format!("not supported yet: binary parameters of type {}", t.name()),
                ));
            }
        },
    })
}

/// UTF-8 bytes as a string (22021 when they are not).
fn utf8(bytes: &[u8]) -> Result<String, SqlError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| SqlError::new("22021", "invalid byte sequence for encoding \"UTF8\""))
}

/// Reads the binary array format ([`put_array`]) as an array of type `t`;
/// the elements are read as the header's element type when DriftDB has it,
/// then cast to `t`'s, and more than one dimension is 0A000.
fn read_array(bytes: &[u8], t: DataType) -> Result<Array, SqlError> {
    let mut r = Cursor { bytes, pos: 0 };
    let dims = r.i32()?;
    let _has_nulls = r.i32()?;
    let element_oid = u32::from_ne_bytes(r.i32()?.to_ne_bytes());
    let element = t.element().ok_or_else(|| bad("array"))?;
    let sent = system::data_type_of(element_oid).unwrap_or(element);
    let count = match dims {
        0 => 0,
        1 => {
            let n = usize::try_from(r.i32()?).map_err(|_| bad("array length"))?;
            let _lower = r.i32()?;
            n
        }
        _ => {
            return Err(SqlError::new(
                "0A000",
                "not supported yet: multidimensional arrays",
            ));
        }
    };
    if count > bytes.len() {
        return Err(bad("array length"));
    }
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        let len = r.i32()?;
        items.push(match usize::try_from(len) {
            Err(_) => Value::Null,
            Ok(n) => {
                let v = decode_binary(r.take(n)?, Some(sent), None)?;
                driftdb_sql::expr::cast(v, element)?
            }
        });
    }
    if r.pos != bytes.len() {
        return Err(bad("trailing bytes after the array"));
    }
    Ok(Array::of_type(t, items)?)
}

/// Reads the binary array format front to back.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8], SqlError> {
        let end = self.pos.checked_add(n).ok_or_else(|| bad("array"))?;
        let s = self.bytes.get(self.pos..end).ok_or_else(|| bad("array"))?;
        self.pos = end;
        Ok(s)
    }

    /// The next big-endian i32.
    fn i32(&mut self) -> Result<i32, SqlError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Whether a parameter of type `t` carries text (in either format).
fn is_text(t: &Type) -> bool {
    matches!(*t, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME)
}

/// Reads the binary `numeric` format back into a value.
fn read_numeric(b: &[u8]) -> Option<Numeric> {
    let word = |i: usize| -> Option<u16> { Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])) };
    let ndigits = usize::from(word(0)?);
    let weight = i32::from(word(2)? as i16);
    let sign = word(4)?;
    let dscale = usize::from(word(6)?);
    if b.len() != 8 + 2 * ndigits {
        return None;
    }
    if sign == NUMERIC_NAN {
        return Numeric::parse("NaN").ok();
    }
    let mut int = String::new();
    let mut frac = String::new();
    for i in 0..ndigits {
        let d = word(8 + 2 * i)?;
        if d > 9999 {
            return None;
        }
        let pos = weight - i32::try_from(i).ok()?;
        if pos >= 0 {
            int.push_str(&format!("{d:04}"));
        } else {
            frac.push_str(&format!("{d:04}"));
        }
    }
    // Groups between the last digit and the decimal point are zeros.
    let last = weight - i32::try_from(ndigits).ok()? + 1;
    for _ in 0..last.max(0) {
        int.push_str("0000");
    }
    // Groups between the decimal point and the first digit too.
    let lead = if weight < -1 {
        (-1 - weight) as usize
    } else {
        0
    };
    let frac = format!("{}{}", "0000".repeat(lead), frac);
    let mut frac: String = frac.chars().take(dscale).collect();
    while frac.len() < dscale {
        frac.push('0');
    }
    let int = int.trim_start_matches('0');
    let text = format!(
        "{}{}{}{}",
        if sign == NUMERIC_NEG { "-" } else { "" },
        if int.is_empty() { "0" } else { int },
        if dscale > 0 { "." } else { "" },
        frac
    );
    Numeric::parse(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_round_trip(text: &str) -> Result<String, SqlError> {
        let n = Numeric::parse(text)?;
        let mut out = BytesMut::new();
        put_numeric(&mut out, &n);
        let back = read_numeric(&out).ok_or_else(|| SqlError::new("XX000", "unreadable"))?;
        Ok(back.to_string())
    }

    #[test]
    fn text_fields_are_format_text() {
        for v in [
            Value::Null,
            Value::Int2(i16::MIN),
            Value::Int4(-42),
            Value::Int4(0),
            Value::Int8(i64::MAX),
            Value::Text("h\u{e9}llo, world".into()),
            Value::Text(String::new()),
            Value::Bool(true),
            Value::Float8(1.5),
        ] {
            let mut expected = BytesMut::new();
            match format_text(&v) {
                None => expected.put_i32(-1),
                Some(text) => {
                    expected.put_i32(i32::try_from(text.len()).unwrap_or(i32::MAX));
                    expected.put_slice(text.as_bytes());
                }
            }
            let mut out = BytesMut::new();
            put_field(&mut out, &v, false);
            assert_eq!(out, expected, "{v:?}");
        }
    }

    #[test]
    fn numeric_binary_format_round_trips() -> Result<(), SqlError> {
        for text in [
            "0",
            "1",
            "-1",
            "12345.678",
            "0.0001",
            "0.00001234",
            "-99999999.99",
            "10000",
            "100000000",
            "3.14159265358979323846",
            "0.50",
            "NaN",
        ] {
            assert_eq!(numeric_round_trip(text)?, Numeric::parse(text)?.to_string());
        }
        Ok(())
    }

    #[test]
    fn numeric_binary_layout_matches_postgresql() -> Result<(), SqlError> {
        // 12345.678 = [1][2345].[6780]: 3 digits, weight 1, scale 3.
        let mut out = BytesMut::new();
        put_numeric(&mut out, &Numeric::parse("12345.678")?);
        assert_eq!(
            out.as_ref(),
            &[0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1A, 0x7C]
        );
        Ok(())
    }

    #[test]
    fn typmods_follow_postgresql() {
        assert_eq!(type_modifier(Some(DataType::Varchar(Some(10)))), 14);
        assert_eq!(
            type_modifier(Some(DataType::Numeric(Some((10, 2))))),
            655_366
        );
        assert_eq!(type_modifier(Some(DataType::Int4)), -1);
    }

    #[test]
    fn arrays_round_trip_in_the_binary_format() -> Result<(), SqlError> {
        let t = DataType::array_of(DataType::Int4)?;
        let a = Array::of_type(t, vec![Value::Int4(7), Value::Null])?;
        let mut out = BytesMut::new();
        put_array(&mut out, &a);
        // 1 dimension, has NULLs, int4, length 2 from 1, then 7 and NULL.
        assert_eq!(
            out.as_ref(),
            &[
                0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0,
                7, 0xff, 0xff, 0xff, 0xff
            ]
        );
        assert_eq!(read_array(&out, t)?, a);
        assert!(read_array(&out[..out.len() - 1], t).is_err());
        let empty = Array::of_type(t, Vec::new())?;
        let mut out = BytesMut::new();
        put_array(&mut out, &empty);
        assert_eq!(read_array(&out, t)?, empty);
        Ok(())
    }

    #[test]
    fn binary_params_need_the_right_length() {
        assert!(decode_param(Some(&[0, 1]), Some(&Type::INT4), true).is_err());
        assert_eq!(
            decode_param(Some(&[0, 0, 0, 7]), Some(&Type::INT4), true).ok(),
            Some(Value::Int4(7))
        );
        assert_eq!(
            decode_param(Some(b"42"), None, false).ok(),
            Some(Value::Text("42".into()))
        );
        assert!(decode_param(Some(&[0xff]), None, false).is_err());
    }
}
