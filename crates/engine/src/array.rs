//! Arrays: one-dimensional lists of values of one element type, with NULL
//! elements, as PostgreSQL's `anyarray` behaves for them.
//!
//! - Array types are the ones of [`ARRAY_TYPES`]: an array of each of
//!   DriftDB's column types without a length or precision (`varchar(10)[]`
//!   holds `varchar[]`), so `DataType::Array` points at a `'static` entry and
//!   stays `Copy`; and the catalog's `int2vector` and `oidvector`, whose
//!   subscripts start at 0 and whose text form is `1 2`.
//! - Text form (`array_in`/`array_out`): `{1,2,NULL}`; an element is quoted
//!   when it is empty, spells `NULL`, or holds `{`, `}`, `,`, `"`, `\` or
//!   white space, with `"` and `\` escaped by a backslash.
//! - Order (`array_cmp`): element by element, a NULL element above any
//!   value; when one array is a prefix of the other, the shorter first.
//! - Only one dimension: a nested `{…}` or a `[1:2]=` bound is 0A000.

use std::cmp::Ordering;

use crate::error::{EngineError, Result};
use crate::text::{format_text, parse_text};
use crate::value::{DataType, Value};

/// An array type: its element type, its name as PostgreSQL's messages spell
/// it, and whether it is a catalog vector (`int2vector`, `oidvector`).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ArrayType {
    /// The type of the elements.
    pub element: DataType,
    /// `integer[]`, `int2vector` …
    pub name: &'static str,
    /// A vector: subscripts from 0, text form `1 2`, no NULL elements.
    pub vector: bool,
}

const fn array(element: DataType, name: &'static str) -> ArrayType {
    ArrayType {
        element,
        name,
        vector: false,
    }
}

/// The array types there are.
pub static ARRAY_TYPES: [ArrayType; 20] = [
    array(DataType::Bool, "boolean[]"),
    array(DataType::Int2, "smallint[]"),
    array(DataType::Int4, "integer[]"),
    array(DataType::Int8, "bigint[]"),
    array(DataType::Float4, "real[]"),
    array(DataType::Float8, "double precision[]"),
    array(DataType::Numeric(None), "numeric[]"),
    array(DataType::Text, "text[]"),
    array(DataType::Varchar(None), "character varying[]"),
    array(DataType::Bytea, "bytea[]"),
    array(DataType::Date, "date[]"),
    array(DataType::Time, "time without time zone[]"),
    array(DataType::Timestamp, "timestamp without time zone[]"),
    array(DataType::Timestamptz, "timestamp with time zone[]"),
    array(DataType::Interval, "interval[]"),
    array(DataType::Uuid, "uuid[]"),
    array(DataType::Json, "json[]"),
    array(DataType::Jsonb, "jsonb[]"),
    ArrayType {
        element: DataType::Int2,
        name: "int2vector",
        vector: true,
    },
    // OIDs are held as bigints.
    ArrayType {
        element: DataType::Int8,
        name: "oidvector",
        vector: true,
    },
];

/// The array type of `element` (a vector when `vector`; a length or
/// precision of the element dropped); 0A000 for types arrays do not hold.
pub(crate) fn array_type(element: DataType, vector: bool) -> Result<&'static ArrayType> {
    let plain = match element {
        DataType::Varchar(_) => DataType::Varchar(None),
        DataType::Numeric(_) => DataType::Numeric(None),
        other => other,
    };
    ARRAY_TYPES
        .iter()
        .find(|t| t.element == plain && t.vector == vector)
        .ok_or_else(|| {
            EngineError::Unsupported(match element {
                DataType::Array(_) => "multidimensional arrays".to_string(),
                other => format!("arrays of {}", crate::text::type_name(other)),
            })
        })
}

/// A one-dimensional array value: its type and its elements (`Value::Null`
/// for a NULL element).
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    ty: &'static ArrayType,
    items: Vec<Value>,
}

impl Array {
    /// An array of `element` values; 0A000 for an element type arrays do
    /// not hold. The items must be of the element type or NULL.
    pub fn new(element: DataType, items: Vec<Value>) -> Result<Array> {
        Ok(Array {
            ty: array_type(element, false)?,
            items,
        })
    }

    /// An array of type `t` (an array type, else 0A000).
    pub fn of_type(t: DataType, items: Vec<Value>) -> Result<Array> {
        match t {
            DataType::Array(ty) => Ok(Array { ty, items }),
            other => Err(EngineError::Unsupported(format!(
                "{} as an array",
                crate::text::type_name(other)
            ))),
        }
    }

    /// The element type.
    pub fn element(&self) -> DataType {
        self.ty.element
    }

    /// The array's type (`element[]`, or a vector type).
    pub fn data_type(&self) -> DataType {
        DataType::Array(self.ty)
    }

    /// The subscript of the first element: 1, or 0 for a vector.
    pub fn lower(&self) -> i64 {
        if self.ty.vector { 0 } else { 1 }
    }

    /// The elements, NULLs included.
    pub fn items(&self) -> &[Value] {
        &self.items
    }

    /// The elements, taken.
    pub fn into_items(self) -> Vec<Value> {
        self.items
    }

    /// PostgreSQL's `array_cmp` for one dimension: element by element (a
    /// NULL element after every value), then the shorter array first.
    /// `None` when elements of the two cannot be compared.
    pub fn sql_cmp(&self, other: &Array) -> Option<Ordering> {
        for (a, b) in self.items.iter().zip(&other.items) {
            let ord = match (a.is_null(), b.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => a.sql_cmp(b)?,
            };
            if ord != Ordering::Equal {
                return Some(ord);
            }
        }
        Some(self.items.len().cmp(&other.items.len()))
    }

    /// The text form PostgreSQL prints (`{1,NULL,"a b"}`; a vector `1 2`).
    pub fn to_text(&self) -> String {
        if self.ty.vector {
            let items: Vec<String> = self.items.iter().filter_map(format_text).collect();
            return items.join(" ");
        }
        let mut out = String::from("{");
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match format_text(item) {
                None => out.push_str("NULL"),
                Some(s) if needs_quotes(&s) => {
                    out.push('"');
                    for c in s.chars() {
                        if matches!(c, '"' | '\\') {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                }
                Some(s) => out.push_str(&s),
            }
        }
        out.push('}');
        out
    }

    /// Reads an array of type `t` from its text form, as `array_in` does
    /// (a vector's as `int2vectorin`: elements separated by spaces): 22P02
    /// for a malformed literal or a bad element, 0A000 for more than one
    /// dimension.
    pub fn parse(text: &str, t: &'static ArrayType) -> Result<Array> {
        let items = if t.vector {
            text.split_ascii_whitespace()
                .map(|s| parse_text(s, t.element))
                .collect::<Result<Vec<_>>>()?
        } else {
            split_literal(text)?
                .into_iter()
                .map(|item| match item {
                    None => Ok(Value::Null),
                    Some(s) => parse_text(&s, t.element),
                })
                .collect::<Result<Vec<_>>>()?
        };
        Ok(Array { ty: t, items })
    }
}

/// Whether an element's text must be quoted in an array's text form.
fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || is_array_space(c))
}

/// White space as `array_in` skips it.
fn is_array_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}')
}

/// The elements of an array literal as text (`None` for an unquoted
/// `NULL`), unquoted and unescaped.
fn split_literal(text: &str) -> Result<Vec<Option<String>>> {
    let malformed = || EngineError::MalformedArray(text.to_string());
    let body = text.trim_start_matches(is_array_space);
    if body.starts_with('[') {
        return Err(EngineError::Unsupported(
            "array literals with dimension bounds".into(),
        ));
    }
    let mut chars = body.strip_prefix('{').ok_or_else(malformed)?.chars();
    let mut items = Vec::new();
    loop {
        // One element: leading space, then quoted or unquoted text.
        let mut item = String::new();
        let mut quoted = false;
        let mut trailing_space = 0;
        let mut started = false;
        let end = loop {
            let c = chars.next().ok_or_else(malformed)?;
            match c {
                '{' if !started => {
                    return Err(EngineError::Unsupported("multidimensional arrays".into()));
                }
                '"' if !started => {
                    quoted = true;
                    started = true;
                    loop {
                        match chars.next().ok_or_else(malformed)? {
                            '\\' => item.push(chars.next().ok_or_else(malformed)?),
                            '"' => break,
                            c => item.push(c),
                        }
                    }
                }
                ',' | '}' => break c,
                c if is_array_space(c) => {
                    if started && !quoted {
                        item.push(c);
                        trailing_space += c.len_utf8();
                    }
                }
                _ if quoted => return Err(malformed()),
                '{' | '"' => return Err(malformed()),
                '\\' => {
                    started = true;
                    item.push(chars.next().ok_or_else(malformed)?);
                    trailing_space = 0;
                }
                c => {
                    started = true;
                    item.push(c);
                    trailing_space = 0;
                }
            }
        };
        item.truncate(item.len() - trailing_space);
        if !started {
            // `{}` is the empty array; an empty element anywhere else is malformed.
            if end == '}' && items.is_empty() {
                break;
            }
            return Err(malformed());
        }
        items.push(if !quoted && item.eq_ignore_ascii_case("null") {
            None
        } else {
            Some(item)
        });
        if end == '}' {
            break;
        }
    }
    if !chars.as_str().chars().all(is_array_space) {
        return Err(malformed());
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(items: &[Option<i32>]) -> Result<Array> {
        Array::new(
            DataType::Int4,
            items
                .iter()
                .map(|i| i.map_or(Value::Null, Value::Int4))
                .collect(),
        )
    }

    #[test]
    fn text_form_quotes_as_postgres() -> Result<()> {
        let a = Array::new(
            DataType::Text,
            ["a", "b c", "", "NULL", "q\"\\", "x,y", "{}"]
                .iter()
                .map(|s| Value::Text((*s).into()))
                .chain([Value::Null])
                .collect(),
        )?;
        let text = a.to_text();
        assert_eq!(text, r#"{a,"b c","","NULL","q\"\\","x,y","{}",NULL}"#);
        assert_eq!(Array::parse(&text, array_type(DataType::Text, false)?)?, a);
        assert_eq!(ints(&[])?.to_text(), "{}");
        Ok(())
    }

    fn parse(text: &str, element: DataType) -> Result<Array> {
        Array::parse(text, array_type(element, false)?)
    }

    #[test]
    fn input_accepts_space_and_escapes() -> Result<()> {
        assert_eq!(
            parse(" { 1 , NULL,3 } ", DataType::Int4)?,
            ints(&[Some(1), None, Some(3)])?
        );
        assert_eq!(
            parse(r#"{ a b ,\,c,"d"}"#, DataType::Text)?.to_text(),
            r#"{"a b",",c",d}"#
        );
        assert_eq!(parse("{}", DataType::Int4)?, ints(&[])?);
        Ok(())
    }

    #[test]
    fn bad_literals_fail_with_their_sqlstate() {
        let code = |s: &str| parse(s, DataType::Int4).err().map(|e| e.sqlstate());
        for bad in ["1,2", "{1,2", "{1,,2}", "{,}", "{1} x", "{\"1\"x}", "{1,}"] {
            assert_eq!(code(bad), Some("22P02"), "{bad}");
        }
        assert_eq!(code("{a}"), Some("22P02"));
        assert_eq!(code("{{1},{2}}"), Some("0A000"));
        assert_eq!(code("[1:2]={1,2}"), Some("0A000"));
    }

    #[test]
    fn order_is_element_wise_with_nulls_last() -> Result<()> {
        let cmp = |a: &[Option<i32>], b: &[Option<i32>]| -> Result<Option<Ordering>> {
            Ok(ints(a)?.sql_cmp(&ints(b)?))
        };
        assert_eq!(
            cmp(&[Some(1), Some(2)], &[Some(1), Some(3)])?,
            Some(Ordering::Less)
        );
        assert_eq!(cmp(&[Some(1)], &[Some(1), Some(0)])?, Some(Ordering::Less));
        assert_eq!(cmp(&[None], &[Some(9)])?, Some(Ordering::Greater));
        assert_eq!(cmp(&[], &[])?, Some(Ordering::Equal));
        Ok(())
    }

    #[test]
    fn vectors_count_from_zero_and_print_with_spaces() -> Result<()> {
        let v = Array::parse(" 1  2 ", array_type(DataType::Int2, true)?)?;
        assert_eq!(v.items(), &[Value::Int2(1), Value::Int2(2)]);
        assert_eq!((v.lower(), v.to_text()), (0, "1 2".to_string()));
        Ok(())
    }

    #[test]
    fn element_types_drop_modifiers_and_refuse_nesting() -> Result<()> {
        assert_eq!(
            array_type(DataType::Varchar(Some(3)), false)?.element,
            DataType::Varchar(None)
        );
        assert!(array_type(DataType::Char(2), false).is_err());
        let ints = DataType::Array(array_type(DataType::Int4, false)?);
        assert!(array_type(ints, false).is_err());
        Ok(())
    }
}
