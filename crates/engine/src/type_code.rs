//! The byte form of a column type, shared by table definitions (a column's
//! type) and rows (an array's element type):
//!
//! ```text
//! type = tag: u8 | payload
//!   1 bool, 2 int2, 3 int4, 4 int8, 5 float4, 6 float8, 7 text,
//!   8 varchar: has length u8 | length u32 LE, 9 char: length u32 LE,
//!   10 bytea, 11 date, 12 time, 13 timestamp, 14 timestamptz, 15 interval,
//!   16 uuid, 17 numeric: has typmod u8 | precision u32 LE | scale u32 LE,
//!   18 array: the element's type, 19 vector (int2vector, oidvector): the
//!   element's type, 20 json, 21 jsonb
//! ```

use crate::bytes::ByteReader;
use crate::value::DataType;

/// Appends the byte form of `t`.
pub(crate) fn put_type(out: &mut Vec<u8>, t: DataType) {
    let tag = match t {
        DataType::Bool => 1,
        DataType::Int2 => 2,
        DataType::Int4 => 3,
        DataType::Int8 => 4,
        DataType::Float4 => 5,
        DataType::Float8 => 6,
        DataType::Text => 7,
        DataType::Varchar(len) => {
            out.push(8);
            out.push(u8::from(len.is_some()));
            out.extend_from_slice(&len.unwrap_or(0).to_le_bytes());
            return;
        }
        DataType::Char(len) => {
            out.push(9);
            out.extend_from_slice(&len.to_le_bytes());
            return;
        }
        DataType::Bytea => 10,
        DataType::Date => 11,
        DataType::Time => 12,
        DataType::Timestamp => 13,
        DataType::Timestamptz => 14,
        DataType::Interval => 15,
        DataType::Uuid => 16,
        DataType::Json => 20,
        DataType::Jsonb => 21,
        DataType::Numeric(typmod) => {
            out.push(17);
            out.push(u8::from(typmod.is_some()));
            let (precision, scale) = typmod.unwrap_or((0, 0));
            out.extend_from_slice(&precision.to_le_bytes());
            out.extend_from_slice(&scale.to_le_bytes());
            return;
        }
        DataType::Array(t) => {
            out.push(if t.vector { 19 } else { 18 });
            return put_type(out, t.element);
        }
    };
    out.push(tag);
}

/// Reads a type written by [`put_type`]; the message says what is wrong.
pub(crate) fn read_type(r: &mut ByteReader<'_>) -> Result<DataType, String> {
    Ok(match r.u8()? {
        1 => DataType::Bool,
        2 => DataType::Int2,
        3 => DataType::Int4,
        4 => DataType::Int8,
        5 => DataType::Float4,
        6 => DataType::Float8,
        7 => DataType::Text,
        8 => {
            let has_len = r.u8()? != 0;
            let len = r.u32()?;
            DataType::Varchar(has_len.then_some(len))
        }
        9 => DataType::Char(r.u32()?),
        10 => DataType::Bytea,
        11 => DataType::Date,
        12 => DataType::Time,
        13 => DataType::Timestamp,
        14 => DataType::Timestamptz,
        15 => DataType::Interval,
        16 => DataType::Uuid,
        17 => {
            let has_typmod = r.u8()? != 0;
            let typmod = (r.u32()?, r.u32()?);
            DataType::Numeric(has_typmod.then_some(typmod))
        }
        // An element is never an array itself, so this reads one level.
        tag @ (18 | 19) => match read_type(r)? {
            DataType::Array(_) => return Err("array of arrays".into()),
            element if tag == 18 => DataType::array_of(element).map_err(|e| e.to_string())?,
            element => DataType::vector_of(element).map_err(|e| e.to_string())?,
        },
        20 => DataType::Json,
        21 => DataType::Jsonb,
        tag => return Err(format!("unknown type tag {tag}")),
    })
}
