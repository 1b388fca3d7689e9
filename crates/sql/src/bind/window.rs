//! Binding window functions: `f(…) OVER (PARTITION BY … ORDER BY … frame)`
//! or `OVER w` with `WINDOW w AS (…)`, kept as `Expr::Window` until the
//! select list is planned, then computed by a window operator below the
//! projection ([`plan_windows`]).

use sqlparser::ast;

use driftdb_engine::text::parse_text;
use driftdb_engine::value::{DataType, Value};

use super::expr::{CallArgs, agg_func, no_function};
use super::scope::Level;
use super::types::type_of;
use super::{Binder, ident};
use crate::error::{Result, SqlError};
use crate::expr::{Expr, as_i64, compare};
use crate::rel::window::{
    Frame, FrameBound, FrameUnits, Window, WindowCall, WindowFunc, WindowKind,
};
use crate::rel::{Rel, SortKey};

/// Whether a window function call is anywhere in `e` (outside subqueries).
pub(crate) fn contains_window(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |n| found |= matches!(n, Expr::Window(_)));
    found
}

/// 42P20 when `e` calls a window function, which `clause` does not allow.
pub(super) fn no_window_in(e: &Expr, clause: &str) -> Result<()> {
    if contains_window(e) {
        return Err(SqlError::new(
            "42P20",
            format!("window functions are not allowed in {clause}"),
        ));
    }
    Ok(())
}

/// 42809 when `name` is a window function called without `OVER`.
pub(super) fn needs_over(name: &str) -> Result<()> {
    match WindowFunc::by_name(name) {
        Some(_) => Err(SqlError::new(
            "42809",
            format!("window function {name} requires an OVER clause"),
        )),
        None => Ok(()),
    }
}

/// Replaces every window call in `exprs` (the select list and `ORDER BY`
/// over the rows of `rel`, whose columns have `types`) by a column after
/// `rel`'s, computed by a window operator over `rel`; `types` gains the
/// calls' types. Without window calls, `rel` is returned as it is.
pub(super) fn plan_windows(
    rel: Rel,
    exprs: Vec<&mut Expr>,
    types: &mut Vec<Option<DataType>>,
) -> Result<Rel> {
    let base = types.len();
    let mut calls: Vec<WindowCall> = Vec::new();
    for e in exprs {
        let taken = std::mem::replace(e, Expr::Const(Value::Null));
        *e = taken.rewrite(&mut |n| match n {
            Expr::Window(w) => {
                let j = match calls.iter().position(|c| *c == *w) {
                    Some(j) => j,
                    None => {
                        calls.push(*w);
                        calls.len() - 1
                    }
                };
                Ok(Expr::Column(base + j))
            }
            other => Ok(other),
        })?;
    }
    if calls.is_empty() {
        return Ok(rel);
    }
    let input_types = types.clone();
    types.extend(
        calls
            .iter()
            .map(|c| type_of(&Expr::Window(Box::new(c.clone())), &input_types)),
    );
    Ok(Rel::Window(Box::new(Window { input: rel, calls })))
}

impl Binder<'_, '_> {
    /// The named windows of a `SELECT` (`WINDOW w AS (…)`), each resolved
    /// against the ones before it.
    pub(super) fn named_windows(
        &self,
        defs: &[ast::NamedWindowDefinition],
    ) -> Result<Vec<(String, ast::WindowSpec)>> {
        let mut out: Vec<(String, ast::WindowSpec)> = Vec::new();
        for ast::NamedWindowDefinition(name, def) in defs {
            let name = ident(name);
            if out.iter().any(|(n, _)| *n == name) {
                return Err(SqlError::new(
                    "42P20",
                    format!("window \"{name}\" is already defined"),
                ));
            }
            let spec = match def {
                ast::NamedWindowExpr::NamedWindow(base) => find_window(&out, base)?.clone(),
                ast::NamedWindowExpr::WindowSpec(spec) => resolve_spec(&out, spec)?,
            };
            out.push((name, spec));
        }
        Ok(out)
    }

    /// A call `f` (named `name`) with `OVER over`.
    pub(super) fn window_function(
        &self,
        f: &ast::Function,
        over: &ast::WindowType,
        name: &str,
        call: &CallArgs<'_>,
        level: &Level<'_>,
    ) -> Result<Expr> {
        let kind = self.window_kind(f, name, call, level)?;
        let spec = match over {
            ast::WindowType::NamedWindow(w) => find_window(&self.windows.borrow(), w)?.clone(),
            ast::WindowType::WindowSpec(spec) => resolve_spec(&self.windows.borrow(), spec)?,
        };
        let partition = spec
            .partition_by
            .iter()
            .map(|e| self.expr(e, level))
            .collect::<Result<Vec<_>>>()?;
        let order = spec
            .order_by
            .iter()
            .map(|item| Ok(super::query::sort_key(self.expr(&item.expr, level)?, item)))
            .collect::<Result<Vec<_>>>()?;
        let frame = self.frame(spec.window_frame.as_ref(), &order, level)?;
        let call = WindowCall {
            kind,
            partition,
            order,
            frame,
        };
        if call.exprs().into_iter().any(contains_window) {
            return Err(SqlError::new(
                "42P20",
                "window function calls cannot be nested",
            ));
        }
        Ok(Expr::Window(Box::new(call)))
    }

    /// What the window call `f` (named `name`) computes: an aggregate (not
    /// an ordered-set one, without DISTINCT or ORDER BY) or a window
    /// function, its arguments bound at `level`.
    fn window_kind(
        &self,
        f: &ast::Function,
        name: &str,
        call: &CallArgs<'_>,
        level: &Level<'_>,
    ) -> Result<WindowKind> {
        Ok(if let Some(func) = agg_func(name) {
            if func.is_ordered_set() {
                return Err(SqlError::new(
                    "0A000",
                    format!("OVER is not supported for ordered-set aggregate {name}"),
                ));
            }
            let agg = self.aggregate_call(f, func, name, call, level)?;
            if agg.distinct {
                return Err(SqlError::new(
                    "0A000",
                    "DISTINCT is not implemented for window functions",
                ));
            }
            if !agg.order.is_empty() {
                return Err(SqlError::new(
                    "0A000",
                    "aggregate ORDER BY is not implemented for window functions",
                ));
            }
            WindowKind::Agg(agg)
        } else if let Some((func, arity)) = WindowFunc::by_name(name) {
            if call.distinct || call.star || !arity.contains(&call.args.len()) {
                return Err(no_function(name, call.args.len()));
            }
            if f.filter.is_some() {
                return Err(SqlError::new(
                    "0A000",
                    "FILTER is not implemented for non-aggregate window functions",
                ));
            }
            let mut args = call
                .args
                .iter()
                .map(|a| self.expr(a, level))
                .collect::<Result<Vec<_>>>()?;
            // lag/lead's value and default take their common type (an
            // untyped default the value's), as PostgreSQL's anycompatible.
            if let [value, _, default] = args.as_mut_slice() {
                let types = level.scope.types();
                let value_type = type_of(value, &types).map(unmodified);
                let default_type = match &*default {
                    Expr::Unknown(_) => None,
                    d => type_of(d, &types),
                };
                if let Some(t) = super::query::unify(name, value_type, default_type)? {
                    for e in [value, default] {
                        if type_of(e, &types).map(unmodified) != Some(t) {
                            let inner = std::mem::replace(e, Expr::Const(Value::Null));
                            *e = Expr::Cast(Box::new(inner), t);
                        }
                    }
                }
            }
            WindowKind::Func(func, args)
        } else {
            return Err(SqlError::new(
                "42809",
                format!(
                    "OVER specified, but {name} is not a window function nor an aggregate function"
                ),
            ));
        })
    }

    /// A window's frame clause (PostgreSQL's default without one), checked
    /// as PostgreSQL checks it.
    fn frame(
        &self,
        frame: Option<&ast::WindowFrame>,
        order: &[SortKey],
        level: &Level<'_>,
    ) -> Result<Frame> {
        let Some(f) = frame else {
            return Ok(Frame::default());
        };
        let units = match f.units {
            ast::WindowFrameUnits::Rows => FrameUnits::Rows,
            ast::WindowFrameUnits::Range => FrameUnits::Range,
            ast::WindowFrameUnits::Groups => FrameUnits::Groups,
        };
        if units == FrameUnits::Groups && order.is_empty() {
            return Err(SqlError::new(
                "42P20",
                "GROUPS mode requires an ORDER BY clause",
            ));
        }
        let start = self.frame_bound(&f.start_bound, units, order, level, "starting")?;
        let end = match &f.end_bound {
            Some(b) => self.frame_bound(b, units, order, level, "ending")?,
            None => FrameBound::CurrentRow,
        };
        let problem = match (&start, &end) {
            (FrameBound::UnboundedFollowing, _) => "frame start cannot be UNBOUNDED FOLLOWING",
            (_, FrameBound::UnboundedPreceding) => "frame end cannot be UNBOUNDED PRECEDING",
            (FrameBound::CurrentRow, FrameBound::Preceding(_)) => {
                "frame starting from current row cannot have preceding rows"
            }
            (FrameBound::Following(_), FrameBound::Preceding(_) | FrameBound::CurrentRow) => {
                "frame starting from following row cannot have preceding rows"
            }
            _ => return Ok(Frame { units, start, end }),
        };
        Err(SqlError::new("42P20", problem))
    }

    /// One end of a frame; `which` is "starting" or "ending", for messages.
    fn frame_bound(
        &self,
        b: &ast::WindowFrameBound,
        units: FrameUnits,
        order: &[SortKey],
        level: &Level<'_>,
        which: &str,
    ) -> Result<FrameBound> {
        let (offset, preceding) = match b {
            ast::WindowFrameBound::CurrentRow => return Ok(FrameBound::CurrentRow),
            ast::WindowFrameBound::Preceding(None) => return Ok(FrameBound::UnboundedPreceding),
            ast::WindowFrameBound::Following(None) => return Ok(FrameBound::UnboundedFollowing),
            ast::WindowFrameBound::Preceding(Some(e)) => (e, true),
            ast::WindowFrameBound::Following(Some(e)) => (e, false),
        };
        let unit = match units {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
            FrameUnits::Groups => "GROUPS",
        };
        let key_type = order
            .first()
            .and_then(|k| type_of(&k.expr, &level.scope.types()));
        if units == FrameUnits::Range {
            if order.len() != 1 {
                return Err(SqlError::new(
                    "42P20",
                    "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
                ));
            }
            if let Some(t) = key_type
                && t.numeric_rank().is_none()
                && offset_type(t) != DataType::Interval
            {
                return Err(SqlError::new(
                    "0A000",
                    format!(
                        "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {}",
                        driftdb_engine::text::type_name(t)
                    ),
                ));
            }
        }
        let mut bound = match offset.as_ref() {
            // The parser reads a quoted offset as an interval; PostgreSQL
            // reads it as an untyped literal of the offset's type.
            ast::Expr::Interval(iv)
                if iv.leading_field.is_none()
                    && iv.last_field.is_none()
                    && let ast::Expr::Value(v) = iv.value.as_ref()
                    && let ast::Value::SingleQuotedString(s) = &v.value =>
            {
                Expr::Unknown(s.clone())
            }
            e => self.expr(e, level)?,
        };
        if let Expr::Unknown(s) = &bound {
            let t = match units {
                FrameUnits::Range => key_type.map(offset_type),
                FrameUnits::Rows | FrameUnits::Groups => Some(DataType::Int8),
            };
            bound = Expr::Const(parse_text(s, t.unwrap_or(DataType::Text))?);
        }
        if !bound.is_constant() {
            return Err(SqlError::new(
                "42P10",
                format!("argument of {unit} must not contain variables"),
            ));
        }
        let value = self.fold(&bound)?;
        if value.is_null() {
            return Err(SqlError::new(
                "22004",
                format!("frame {which} offset must not be null"),
            ));
        }
        let value = match units {
            FrameUnits::Range => {
                if compare(&value, &Value::Int4(0)).is_ok_and(|o| o.is_lt()) {
                    return Err(SqlError::new(
                        "22013",
                        "invalid preceding or following size in window function",
                    ));
                }
                value
            }
            FrameUnits::Rows | FrameUnits::Groups => match as_i64(&value) {
                Some(n) if n >= 0 => Value::Int8(n),
                Some(_) => {
                    return Err(SqlError::new(
                        "22013",
                        format!("frame {which} offset must not be negative"),
                    ));
                }
                None => {
                    return Err(SqlError::new(
                        "42804",
                        format!("argument of {unit} must be type bigint"),
                    ));
                }
            },
        };
        Ok(if preceding {
            FrameBound::Preceding(value)
        } else {
            FrameBound::Following(value)
        })
    }
}

/// The type of a `RANGE` offset over a key of type `t`: an interval for
/// dates and times, else the key's own type.
fn offset_type(t: DataType) -> DataType {
    match t {
        DataType::Date
        | DataType::Time
        | DataType::Timestamp
        | DataType::Timestamptz
        | DataType::Interval => DataType::Interval,
        t => unmodified(t),
    }
}

/// `t` without a length or precision (a `char(n)` as text), as
/// PostgreSQL resolves a polymorphic function's type.
fn unmodified(t: DataType) -> DataType {
    match t {
        DataType::Numeric(_) => DataType::Numeric(None),
        DataType::Varchar(_) => DataType::Varchar(None),
        DataType::Char(_) => DataType::Text,
        t => t,
    }
}

/// The named window `name` among `windows` (42704 when there is none).
fn find_window<'w>(
    windows: &'w [(String, ast::WindowSpec)],
    name: &ast::Ident,
) -> Result<&'w ast::WindowSpec> {
    let name = ident(name);
    windows
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .ok_or_else(|| SqlError::new("42704", format!("window \"{name}\" does not exist")))
}

/// `spec` with the named window it starts from (`OVER (w ORDER BY …)`)
/// merged in, as PostgreSQL allows: it adds an `ORDER BY` the named window
/// lacks and a frame, never a `PARTITION BY`.
fn resolve_spec(
    windows: &[(String, ast::WindowSpec)],
    spec: &ast::WindowSpec,
) -> Result<ast::WindowSpec> {
    let Some(base_name) = &spec.window_name else {
        return Ok(spec.clone());
    };
    let base = find_window(windows, base_name)?;
    let name = ident(base_name);
    let problem = if !spec.partition_by.is_empty() {
        format!("cannot override PARTITION BY clause of window \"{name}\"")
    } else if !spec.order_by.is_empty() && !base.order_by.is_empty() {
        format!("cannot override ORDER BY clause of window \"{name}\"")
    } else if base.window_frame.is_some() {
        format!("cannot copy window \"{name}\" because it has a frame clause")
    } else {
        return Ok(ast::WindowSpec {
            window_name: None,
            partition_by: base.partition_by.clone(),
            order_by: if base.order_by.is_empty() {
                spec.order_by.clone()
            } else {
                base.order_by.clone()
            },
            window_frame: spec.window_frame.clone(),
        });
    };
    Err(SqlError::new("42P20", problem))
}
