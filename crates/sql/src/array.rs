//! Array functions and operators with PostgreSQL's NULL rules: `ARRAY[…]`,
//! subscripts and slices, `array_length`, `cardinality`, `array_position`,
//! `array_append`/`array_prepend`/`array_cat` and `||`, `array_to_string`,
//! `@>`, `<@`, `&&`, and `x op ANY/ALL (array)`.
//!
//! An untyped literal argument takes its type from the other arguments: in
//! an array's place it is read as an array (`'{1,2}'`), in an element's
//! place as the element type, as PostgreSQL resolves `anyarray` and
//! `anyelement`.

use std::cmp::Ordering;

use driftdb_engine::text::{format_text, parse_text};
use driftdb_engine::value::{Array, DataType, Value};

use crate::error::{Result, SqlError};
use crate::expr::{BinOp, Env, Expr, as_i64, cast, compare, compare_op, type_error};

/// An array function or operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayFunc {
    /// `ARRAY[a, b, …]` of this element type (each item cast to it).
    Build(DataType),
    /// `a[i]`: the element, NULL out of range.
    Subscript,
    /// `a[lo:hi]` (a missing bound is passed as NULL and means the end).
    Slice,
    /// `array_length(a, dim)`
    Length,
    /// `array_lower(a, dim)`
    Lower,
    /// `array_upper(a, dim)`
    Upper,
    /// `array_ndims(a)`
    Ndims,
    /// `cardinality(a)`
    Cardinality,
    /// `array_position(a, v)`: the first position of `v` (NULL finds NULL).
    Position,
    /// `array_append(a, v)`
    Append,
    /// `array_prepend(v, a)`
    Prepend,
    /// `array_cat(a, b)`
    Cat,
    /// `x || y` where one side is an array: cat, append or prepend.
    Concat,
    /// `array_to_string(a, separator [, null text])`
    ToString,
    /// `a @> b`
    Contains,
    /// `a <@ b`
    ContainedBy,
    /// `a && b`
    Overlap,
    /// `x op ANY (a)` (`all` false) or `x op ALL (a)`.
    Quantified {
        /// The comparison.
        op: BinOp,
        /// `ALL` rather than `ANY`.
        all: bool,
    },
}

/// What an argument is: an array, an element of it, or something else.
#[derive(Clone, Copy, PartialEq)]
enum Arg {
    Array,
    Element,
    Other,
}

impl ArrayFunc {
    /// The function a (lower-cased) name calls, if it is an array function.
    pub fn by_name(name: &str) -> Option<ArrayFunc> {
        Some(match name {
            "array_length" => ArrayFunc::Length,
            "array_lower" => ArrayFunc::Lower,
            "array_upper" => ArrayFunc::Upper,
            "array_ndims" => ArrayFunc::Ndims,
            "cardinality" => ArrayFunc::Cardinality,
            "array_position" => ArrayFunc::Position,
            "array_append" => ArrayFunc::Append,
            "array_prepend" => ArrayFunc::Prepend,
            "array_cat" => ArrayFunc::Cat,
            "array_to_string" => ArrayFunc::ToString,
            _ => return None,
        })
    }

    /// The SQL name, for error messages and column names.
    pub fn name(self) -> &'static str {
        match self {
            ArrayFunc::Build(_) => "array",
            ArrayFunc::Subscript | ArrayFunc::Slice => "array_subscript",
            ArrayFunc::Length => "array_length",
            ArrayFunc::Lower => "array_lower",
            ArrayFunc::Upper => "array_upper",
            ArrayFunc::Ndims => "array_ndims",
            ArrayFunc::Cardinality => "cardinality",
            ArrayFunc::Position => "array_position",
            ArrayFunc::Append => "array_append",
            ArrayFunc::Prepend => "array_prepend",
            ArrayFunc::Cat | ArrayFunc::Concat => "array_cat",
            ArrayFunc::ToString => "array_to_string",
            ArrayFunc::Contains => "arraycontains",
            ArrayFunc::ContainedBy => "arraycontained",
            ArrayFunc::Overlap => "arrayoverlap",
            ArrayFunc::Quantified { .. } => "any",
        }
    }

    /// Whether `n` arguments are accepted.
    pub fn accepts(self, n: usize) -> bool {
        match self {
            ArrayFunc::Build(_) => true,
            ArrayFunc::ToString => n == 2 || n == 3,
            ArrayFunc::Slice => n == 3,
            _ => n == self.signature().len(),
        }
    }

    /// The kinds of the arguments, in order.
    fn signature(self) -> &'static [Arg] {
        use Arg::{Array as A, Element as E, Other as O};
        match self {
            ArrayFunc::Build(_) => &[],
            ArrayFunc::Subscript | ArrayFunc::Length | ArrayFunc::Lower | ArrayFunc::Upper => {
                &[A, O]
            }
            ArrayFunc::Slice => &[A, O, O],
            ArrayFunc::Ndims | ArrayFunc::Cardinality => &[A],
            ArrayFunc::Position | ArrayFunc::Append => &[A, E],
            ArrayFunc::Prepend | ArrayFunc::Quantified { .. } => &[E, A],
            ArrayFunc::Cat
            | ArrayFunc::Concat
            | ArrayFunc::Contains
            | ArrayFunc::ContainedBy
            | ArrayFunc::Overlap => &[A, A],
            ArrayFunc::ToString => &[A, O, O],
        }
    }

    /// The result type, given the argument types (`None`: not known before
    /// running).
    pub fn result_type(self, args: &[Option<DataType>]) -> Option<DataType> {
        let array_arg = || {
            self.signature()
                .iter()
                .zip(args)
                .find_map(|(k, t)| (*k == Arg::Array).then_some(*t)?)
                .filter(|t| t.element().is_some())
        };
        match self {
            ArrayFunc::Build(e) => DataType::array_of(e).ok(),
            ArrayFunc::Subscript => array_arg().and_then(DataType::element),
            ArrayFunc::Slice
            | ArrayFunc::Append
            | ArrayFunc::Prepend
            | ArrayFunc::Cat
            | ArrayFunc::Concat => array_arg(),
            ArrayFunc::Length
            | ArrayFunc::Lower
            | ArrayFunc::Upper
            | ArrayFunc::Ndims
            | ArrayFunc::Cardinality
            | ArrayFunc::Position => Some(DataType::Int4),
            ArrayFunc::ToString => Some(DataType::Text),
            ArrayFunc::Contains
            | ArrayFunc::ContainedBy
            | ArrayFunc::Overlap
            | ArrayFunc::Quantified { .. } => Some(DataType::Bool),
        }
    }
}

/// The element type `ARRAY[items]` has: the highest number type when all
/// typed items are numbers, `text` when none is typed, else the common
/// type of the typed ones (42804 when they differ).
pub fn common_element_type(types: &[Option<DataType>]) -> Result<DataType> {
    let typed: Vec<DataType> = types.iter().flatten().copied().collect();
    let Some(first) = typed.first().copied() else {
        return Ok(DataType::Text);
    };
    if typed.iter().all(|t| t.numeric_rank().is_some()) {
        return Ok(typed
            .iter()
            .copied()
            .max_by_key(|t| t.numeric_rank())
            .unwrap_or(first));
    }
    let text_like = |t: &DataType| matches!(t, DataType::Text | DataType::Varchar(_));
    if typed.iter().all(text_like) {
        return Ok(if typed.iter().all(|t| *t == first) {
            first
        } else {
            DataType::Text
        });
    }
    match typed.iter().find(|t| **t != first) {
        None => Ok(first),
        Some(other) => Err(SqlError::new(
            "42804",
            format!(
                "ARRAY types {} and {} cannot be matched",
                driftdb_engine::text::type_name(first),
                driftdb_engine::text::type_name(*other)
            ),
        )),
    }
}

/// The value of `func(args)` for `row`.
pub fn call(func: ArrayFunc, args: &[Expr], row: &[Value], env: &Env<'_, '_>) -> Result<Value> {
    let values = resolve(func, args, row, env)?;
    let arg = |i: usize| values.get(i).unwrap_or(&Value::Null);
    let array = |i: usize| -> Result<Option<&Array>> {
        match arg(i) {
            Value::Null => Ok(None),
            Value::Array(a) => Ok(Some(a)),
            other => Err(type_error(func.name(), other)),
        }
    };
    let strict = !matches!(
        func,
        ArrayFunc::Build(_)
            | ArrayFunc::Slice
            | ArrayFunc::Append
            | ArrayFunc::Prepend
            | ArrayFunc::Cat
            | ArrayFunc::Concat
            | ArrayFunc::Position
            | ArrayFunc::ToString
            | ArrayFunc::Quantified { .. }
    );
    if strict && values.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let int = |i: usize| as_i64(arg(i));
    Ok(match func {
        ArrayFunc::Build(element) => {
            let items = values
                .into_iter()
                .map(|v| cast(v, element))
                .collect::<Result<Vec<_>>>()?;
            Value::Array(Array::new(element, items)?)
        }
        ArrayFunc::Subscript => match (array(0)?, int(1)) {
            (Some(a), Some(i)) => index(a, i)
                .and_then(|i| a.items().get(i).cloned())
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
        ArrayFunc::Slice => match array(0)? {
            None => Value::Null,
            Some(a) => {
                // Bounds as indexes into the items: from `lo`, before `hi`.
                let len = a.items().len();
                let offset = |i: i64| {
                    usize::try_from(i.saturating_sub(a.lower()).max(0)).map_or(len, |i| i.min(len))
                };
                let lo = if arg(1).is_null() {
                    0
                } else {
                    int(1).map_or(len, offset)
                };
                let hi = if arg(2).is_null() {
                    len
                } else {
                    int(2).map_or(0, |i| offset(i.saturating_add(1)))
                };
                let items = a
                    .items()
                    .get(lo..hi)
                    .map_or_else(Vec::new, <[Value]>::to_vec);
                Value::Array(Array::new(a.element(), items)?)
            }
        },
        ArrayFunc::Length => match (array(0)?, int(1)) {
            (Some(a), Some(1)) if !a.items().is_empty() => int4(a.items().len()),
            _ => Value::Null,
        },
        ArrayFunc::Lower | ArrayFunc::Upper => match (array(0)?, int(1)) {
            (Some(a), Some(1)) if !a.items().is_empty() => {
                let len = i64::try_from(a.items().len()).unwrap_or(i64::MAX);
                let bound = if func == ArrayFunc::Lower {
                    a.lower()
                } else {
                    a.lower() + len - 1
                };
                Value::Int4(i32::try_from(bound).unwrap_or(i32::MAX))
            }
            _ => Value::Null,
        },
        ArrayFunc::Ndims => match array(0)? {
            Some(a) if !a.items().is_empty() => Value::Int4(1),
            _ => Value::Null,
        },
        ArrayFunc::Cardinality => array(0)?.map_or(Value::Null, |a| int4(a.items().len())),
        ArrayFunc::Position => match array(0)? {
            None => Value::Null,
            Some(a) => {
                let wanted = arg(1);
                let mut found = Value::Null;
                for (i, item) in a.items().iter().enumerate() {
                    if not_distinct(item, wanted)? {
                        found = int4(i + 1);
                        break;
                    }
                }
                found
            }
        },
        ArrayFunc::Append => append(array(0)?, arg(1), false)?,
        ArrayFunc::Prepend => append(array(1)?, arg(0), true)?,
        ArrayFunc::Cat => cat(array(0)?, array(1)?)?,
        ArrayFunc::Concat => match (arg(0), arg(1)) {
            (Value::Array(_) | Value::Null, Value::Array(_) | Value::Null) => {
                cat(array(0)?, array(1)?)?
            }
            (Value::Array(a), v) => append(Some(a), v, false)?,
            (v, Value::Array(a)) => append(Some(a), v, true)?,
            (v, _) => return Err(type_error("||", v)),
        },
        ArrayFunc::ToString => match (array(0)?, arg(1)) {
            (Some(a), Value::Text(sep)) => {
                let null = match arg(2) {
                    Value::Text(n) => Some(n.as_str()),
                    _ => None,
                };
                let parts: Vec<String> = a
                    .items()
                    .iter()
                    .filter_map(|v| format_text(v).or_else(|| null.map(str::to_string)))
                    .collect();
                Value::Text(parts.join(sep))
            }
            _ => Value::Null,
        },
        ArrayFunc::Contains | ArrayFunc::ContainedBy | ArrayFunc::Overlap => {
            let (Some(a), Some(b)) = (array(0)?, array(1)?) else {
                return Ok(Value::Null);
            };
            Value::Bool(match func {
                ArrayFunc::Contains => contains(a, b)?,
                ArrayFunc::ContainedBy => contains(b, a)?,
                _ => overlaps(a, b)?,
            })
        }
        ArrayFunc::Quantified { op, all } => match array(1)? {
            None => Value::Null,
            Some(a) => quantified(op, all, arg(0), a)?,
        },
    })
}

/// The argument values, an untyped literal read as an array or an element
/// as its place wants (the array type taken from the other arguments, else
/// `text[]`).
fn resolve(func: ArrayFunc, args: &[Expr], row: &[Value], env: &Env<'_, '_>) -> Result<Vec<Value>> {
    let kinds = func.signature();
    let kind = |i: usize| kinds.get(i).copied().unwrap_or(Arg::Other);
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        values.push(match a {
            Expr::Unknown(_) => None,
            e => Some(e.eval(row, env)?),
        });
    }
    let array_type = values
        .iter()
        .enumerate()
        .find_map(|(i, v)| match (kind(i), v) {
            (Arg::Array, Some(Value::Array(a))) => Some(a.data_type()),
            _ => None,
        })
        .or_else(|| {
            values
                .iter()
                .enumerate()
                .find_map(|(i, v)| match (kind(i), v) {
                    (Arg::Element, Some(v)) => {
                        v.data_type().and_then(|t| DataType::array_of(t).ok())
                    }
                    _ => None,
                })
        })
        .map_or_else(|| DataType::array_of(DataType::Text), Ok)?;
    let element = array_type.element().unwrap_or(DataType::Text);
    args.iter()
        .zip(values)
        .enumerate()
        .map(|(i, (a, v))| match (v, a, kind(i)) {
            (Some(v), ..) => Ok(v),
            (None, Expr::Unknown(s), Arg::Array) => Ok(parse_text(s, array_type)?),
            (None, Expr::Unknown(s), Arg::Element) => Ok(parse_text(s, element)?),
            (None, e, _) => e.eval(row, env),
        })
        .collect()
}

/// The index into `a`'s items of SQL subscript `i` (arrays count from 1,
/// vectors from 0); `None` out of range.
fn index(a: &Array, i: i64) -> Option<usize> {
    let i = usize::try_from(i.checked_sub(a.lower())?).ok()?;
    (i < a.items().len()).then_some(i)
}

fn int4(n: usize) -> Value {
    Value::Int4(i32::try_from(n).unwrap_or(i32::MAX))
}

/// `a IS NOT DISTINCT FROM b`.
fn not_distinct(a: &Value, b: &Value) -> Result<bool> {
    Ok(match (a.is_null(), b.is_null()) {
        (true, true) => true,
        (false, false) => compare(a, b)? == Ordering::Equal,
        _ => false,
    })
}

/// `array_append` (`prepend` false) or `array_prepend`: a NULL array counts
/// as empty; the element is cast to the array's element type.
fn append(a: Option<&Array>, v: &Value, prepend: bool) -> Result<Value> {
    let element = match (a, v.data_type()) {
        (Some(a), _) => a.element(),
        (None, Some(t)) => t,
        (None, None) => DataType::Text,
    };
    let v = cast(v.clone(), element)?;
    let mut items = a.map_or_else(Vec::new, |a| a.items().to_vec());
    if prepend {
        items.insert(0, v);
    } else {
        items.push(v);
    }
    Ok(Value::Array(Array::new(element, items)?))
}

/// `array_cat`: NULL when both are NULL, else the items of both.
fn cat(a: Option<&Array>, b: Option<&Array>) -> Result<Value> {
    Ok(match (a, b) {
        (None, None) => Value::Null,
        (Some(x), None) | (None, Some(x)) => Value::Array(x.clone()),
        (Some(x), Some(y)) => {
            let element = x.element();
            let items = x
                .items()
                .iter()
                .cloned()
                .chain(
                    y.items()
                        .iter()
                        .map(|v| cast(v.clone(), element))
                        .collect::<Result<Vec<_>>>()?,
                )
                .collect();
            Value::Array(Array::new(element, items)?)
        }
    })
}

/// Whether every element of `b` equals an element of `a` (a NULL element
/// equals nothing).
fn contains(a: &Array, b: &Array) -> Result<bool> {
    for wanted in b.items() {
        if !member(a, wanted)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `a` and `b` have an element in common.
fn overlaps(a: &Array, b: &Array) -> Result<bool> {
    for v in b.items() {
        if member(a, v)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether non-NULL `v` equals an element of `a`.
fn member(a: &Array, v: &Value) -> Result<bool> {
    if v.is_null() {
        return Ok(false);
    }
    for item in a.items() {
        if !item.is_null() && compare(item, v)? == Ordering::Equal {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `v op ANY (a)` / `v op ALL (a)` under SQL's three-valued logic: an
/// empty array is false for ANY and true for ALL, even for a NULL `v`.
fn quantified(op: BinOp, all: bool, v: &Value, a: &Array) -> Result<Value> {
    let mut saw_null = false;
    for item in a.items() {
        match compare_op(op, v, item)? {
            Value::Bool(b) if b != all => return Ok(Value::Bool(b)),
            Value::Bool(_) => {}
            _ => saw_null = true,
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(all)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_elements_take_a_common_type() -> Result<()> {
        let t = |types: &[Option<DataType>]| common_element_type(types);
        assert_eq!(t(&[None, None])?, DataType::Text);
        assert_eq!(
            t(&[Some(DataType::Int4), None, Some(DataType::Numeric(None))])?,
            DataType::Numeric(None)
        );
        assert_eq!(
            t(&[Some(DataType::Int2), Some(DataType::Int8)])?,
            DataType::Int8
        );
        assert_eq!(
            t(&[Some(DataType::Varchar(None)), Some(DataType::Text)])?,
            DataType::Text
        );
        assert_eq!(
            t(&[Some(DataType::Int4), Some(DataType::Text)])
                .err()
                .map(|e| e.sqlstate),
            Some("42804")
        );
        Ok(())
    }

    #[test]
    fn functions_know_their_arity_and_result() -> Result<()> {
        let ints = DataType::array_of(DataType::Int4)?;
        assert!(ArrayFunc::ToString.accepts(3) && !ArrayFunc::Cardinality.accepts(2));
        assert_eq!(
            ArrayFunc::Subscript.result_type(&[Some(ints), Some(DataType::Int4)]),
            Some(DataType::Int4)
        );
        assert_eq!(
            ArrayFunc::Prepend.result_type(&[Some(DataType::Int4), Some(ints)]),
            Some(ints)
        );
        Ok(())
    }
}
