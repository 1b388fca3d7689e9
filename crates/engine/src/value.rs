//! SQL types and values as the engine stores and compares them.
//!
//! Representations follow PostgreSQL's: dates are days and timestamps are
//! microseconds since 2000-01-01, an interval is months, days and microseconds,
//! a `NUMERIC` an exact decimal ([`Numeric`]), an array a one-dimensional
//! list of elements of one type ([`Array`]).

use std::cmp::Ordering;

pub use crate::array::{Array, ArrayType};
pub use crate::json::Json;
use crate::numeric::Numeric;

/// Microseconds in a day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A column's SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `BOOLEAN`
    Bool,
    /// `SMALLINT`
    Int2,
    /// `INTEGER`
    Int4,
    /// `BIGINT`
    Int8,
    /// `REAL`
    Float4,
    /// `DOUBLE PRECISION`
    Float8,
    /// `NUMERIC(precision, scale)`; `None` for plain `NUMERIC` (any precision and scale).
    Numeric(Option<(u32, u32)>),
    /// `TEXT`
    Text,
    /// `VARCHAR(n)`; `None` when unbounded.
    Varchar(Option<u32>),
    /// `CHAR(n)`, blank-padded to n.
    Char(u32),
    /// `BYTEA`
    Bytea,
    /// `DATE`
    Date,
    /// `TIME` (without time zone)
    Time,
    /// `TIMESTAMP` (without time zone)
    Timestamp,
    /// `TIMESTAMPTZ`
    Timestamptz,
    /// `INTERVAL`
    Interval,
    /// `UUID`
    Uuid,
    /// `element[]`: a one-dimensional array, or a catalog vector. The type
    /// is an entry of [`crate::array::ARRAY_TYPES`] (elements have no length
    /// or precision of their own), so `DataType` stays a small `Copy` value.
    Array(&'static ArrayType),
    /// `JSON`: text, checked to be JSON and kept as given.
    Json,
    /// `JSONB`: a normalized JSON tree.
    Jsonb,
}

impl DataType {
    /// The array type whose elements are `element` (a length or precision
    /// of the element is not kept); 0A000 for element types arrays do not
    /// hold (arrays, `char(n)`).
    pub fn array_of(element: DataType) -> crate::error::Result<DataType> {
        crate::array::array_type(element, false).map(DataType::Array)
    }

    /// The catalog vector type of `element`: `int2vector` of `Int2`,
    /// `oidvector` of `Int8` (OIDs are held as bigints).
    pub fn vector_of(element: DataType) -> crate::error::Result<DataType> {
        crate::array::array_type(element, true).map(DataType::Array)
    }

    /// The element type of an array type; `None` for other types.
    pub fn element(self) -> Option<DataType> {
        match self {
            DataType::Array(t) => Some(t.element),
            _ => None,
        }
    }

    /// The type's rank in PostgreSQL's implicit promotions of numbers
    /// (smallint < integer < bigint < numeric < real < double precision): a
    /// mixed operation runs in the higher one. `None` for other types.
    pub fn numeric_rank(self) -> Option<u8> {
        Some(match self {
            DataType::Int2 => 1,
            DataType::Int4 => 2,
            DataType::Int8 => 3,
            DataType::Numeric(_) => 4,
            DataType::Float4 => 5,
            DataType::Float8 => 6,
            _ => return None,
        })
    }
}

/// An `INTERVAL`: kept in three parts, as PostgreSQL does, because a month has
/// no fixed number of days and a day (across a DST change) no fixed length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Interval {
    /// Whole months.
    pub months: i32,
    /// Whole days.
    pub days: i32,
    /// Microseconds.
    pub micros: i64,
}

impl Interval {
    /// The span PostgreSQL compares intervals by: a month counts 30 days and a
    /// day 24 hours, so `'1 month'` equals `'30 days'`.
    pub fn comparable_micros(&self) -> i128 {
        (i128::from(self.months) * 30 + i128::from(self.days)) * i128::from(MICROS_PER_DAY)
            + i128::from(self.micros)
    }
}

/// A SQL value, typed; `Null` is the SQL NULL of any type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// `BOOLEAN`
    Bool(bool),
    /// `SMALLINT`
    Int2(i16),
    /// `INTEGER`
    Int4(i32),
    /// `BIGINT`
    Int8(i64),
    /// `REAL`
    Float4(f32),
    /// `DOUBLE PRECISION`
    Float8(f64),
    /// `NUMERIC`
    Numeric(Numeric),
    /// `TEXT`, `VARCHAR`, `CHAR`
    Text(String),
    /// `BYTEA`
    Bytea(Vec<u8>),
    /// `DATE`: days since 2000-01-01.
    Date(i32),
    /// `TIME`: microseconds since midnight.
    Time(i64),
    /// `TIMESTAMP`: microseconds since 2000-01-01 00:00:00.
    Timestamp(i64),
    /// `TIMESTAMPTZ`: microseconds since 2000-01-01 00:00:00 UTC.
    Timestamptz(i64),
    /// `INTERVAL`
    Interval(Interval),
    /// `UUID`
    Uuid([u8; 16]),
    /// An array (`int[]`, `text[]` …).
    Array(Array),
    /// `JSON`: the text as given.
    Json(String),
    /// `JSONB`
    Jsonb(Json),
}

impl Value {
    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The type of a non-NULL value (`TEXT` for text of any declared length).
    pub fn data_type(&self) -> Option<DataType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => DataType::Bool,
            Value::Int2(_) => DataType::Int2,
            Value::Int4(_) => DataType::Int4,
            Value::Int8(_) => DataType::Int8,
            Value::Float4(_) => DataType::Float4,
            Value::Float8(_) => DataType::Float8,
            Value::Numeric(_) => DataType::Numeric(None),
            Value::Text(_) => DataType::Text,
            Value::Bytea(_) => DataType::Bytea,
            Value::Date(_) => DataType::Date,
            Value::Time(_) => DataType::Time,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::Timestamptz(_) => DataType::Timestamptz,
            Value::Interval(_) => DataType::Interval,
            Value::Uuid(_) => DataType::Uuid,
            Value::Array(a) => a.data_type(),
            Value::Json(_) => DataType::Json,
            Value::Jsonb(_) => DataType::Jsonb,
        })
    }

    /// Orders two non-NULL values of the same type as PostgreSQL's default
    /// B-tree operator class does (NaN above every number, -0 equal to 0,
    /// `1.5` equal to `1.50`, intervals by their comparable span, text by
    /// bytes as under the C collation, arrays element by element, `jsonb` as
    /// `jsonb_cmp`; `json` has no order).
    /// `None` for NULL or for values of different types.
    pub fn sql_cmp(&self, other: &Value) -> Option<Ordering> {
        use Value as V;
        Some(match (self, other) {
            (V::Bool(a), V::Bool(b)) => a.cmp(b),
            (V::Int2(a), V::Int2(b)) => a.cmp(b),
            (V::Int4(a), V::Int4(b)) => a.cmp(b),
            (V::Int8(a), V::Int8(b)) => a.cmp(b),
            (V::Float4(a), V::Float4(b)) => float_cmp(f64::from(*a), f64::from(*b)),
            (V::Float8(a), V::Float8(b)) => float_cmp(*a, *b),
            (V::Numeric(a), V::Numeric(b)) => a.sql_cmp(b),
            (V::Text(a), V::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (V::Bytea(a), V::Bytea(b)) => a.cmp(b),
            (V::Date(a), V::Date(b)) => a.cmp(b),
            (V::Time(a), V::Time(b))
            | (V::Timestamp(a), V::Timestamp(b))
            | (V::Timestamptz(a), V::Timestamptz(b)) => a.cmp(b),
            (V::Interval(a), V::Interval(b)) => a.comparable_micros().cmp(&b.comparable_micros()),
            (V::Uuid(a), V::Uuid(b)) => a.cmp(b),
            (V::Array(a), V::Array(b)) => a.sql_cmp(b)?,
            (V::Jsonb(a), V::Jsonb(b)) => a.sql_cmp(b),
            _ => return None,
        })
    }
}

/// PostgreSQL's float order: NaN equals NaN and sorts above everything.
fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}
