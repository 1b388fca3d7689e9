//! The window operator ([`Rel::Window`](crate::rel::Rel::Window)): the input
//! rows are gathered, sorted once per distinct window (partition keys, then
//! the window's `ORDER BY`), cut into partitions and peer groups, and each
//! call's value is computed per row, as PostgreSQL's WindowAgg does. The rows
//! come out in the order of the last window sorted.

use std::cmp::Ordering;

use driftdb_engine::value::{DataType, Value};

use crate::agg::Accumulator;
use crate::error::{Result, SqlError};
use crate::expr::{BinOp, Env, arithmetic, as_i64, cast};
use crate::rel::window::{FrameBound, FrameUnits, Window, WindowCall, WindowFunc, WindowKind};
use crate::rel::{AggCall, AggFunc, SortKey};
use crate::run::{compare_keys, run};

/// The rows of `w`: each input row followed by the values of its calls.
pub fn window(w: &Window, env: &Env<'_, '_>) -> Result<Vec<Vec<Value>>> {
    let rows: Vec<Vec<Value>> = run(&w.input, env)?.collect::<Result<_>>()?;
    let mut values = vec![vec![Value::Null; w.calls.len()]; rows.len()];
    let mut done = vec![false; w.calls.len()];
    let mut order: Vec<usize> = (0..rows.len()).collect();
    for (i, lead) in w.calls.iter().enumerate() {
        if done[i] {
            continue;
        }
        let keys = window_keys(lead);
        let key_values = rows
            .iter()
            .map(|row| keys.iter().map(|k| k.expr.eval(row, env)).collect())
            .collect::<Result<Vec<Vec<Value>>>>()?;
        order = sorted(&key_values, &keys)?;
        let partitions = partitions(&key_values, &order, &keys, lead.partition.len())?;
        for (j, call) in w.calls.iter().enumerate().skip(i) {
            if done[j] || !call.same_window(lead) {
                continue;
            }
            for p in &partitions {
                for (pos, v) in compute(call, p, &rows, env)?.into_iter().enumerate() {
                    values[p.rows[pos]][j] = v;
                }
            }
            done[j] = true;
        }
    }
    let mut rows: Vec<Option<Vec<Value>>> = rows.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|i| {
            let mut row = rows[i].take()?;
            row.extend(std::mem::take(&mut values[i]));
            Some(row)
        })
        .collect())
}

/// The sort keys of a window: the partition keys (ascending), then its
/// `ORDER BY`.
fn window_keys(call: &WindowCall) -> Vec<SortKey> {
    call.partition
        .iter()
        .map(|e| SortKey {
            expr: e.clone(),
            asc: true,
            nulls_first: false,
        })
        .chain(call.order.iter().cloned())
        .collect()
}

/// The positions of the rows whose window keys (`keys`) have `values`, in
/// the window's order.
fn sorted(values: &[Vec<Value>], keys: &[SortKey]) -> Result<Vec<usize>> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    let mut failure = None;
    order.sort_by(|&a, &b| {
        compare_keys(&values[a], &values[b], keys).unwrap_or_else(|e| {
            failure.get_or_insert(e);
            Ordering::Equal
        })
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(order),
    }
}

/// One partition, in the window's order.
struct Partition<'o> {
    /// Positions of its rows in the input.
    rows: &'o [usize],
    /// Each row's `ORDER BY` values.
    keys: Vec<Vec<Value>>,
    /// Each row's peer group.
    group: Vec<usize>,
    /// Each peer group's rows, `[start, end)` in the partition.
    groups: Vec<(usize, usize)>,
}

/// The partitions of the `order`ed rows, with their peer groups; `values`
/// are each row's values of the window `keys`, the first `width` of them
/// the partition's.
fn partitions<'o>(
    values: &[Vec<Value>],
    order: &'o [usize],
    keys: &[SortKey],
    width: usize,
) -> Result<Vec<Partition<'o>>> {
    let (pkeys, okeys) = keys.split_at(width);
    let mut out: Vec<Partition<'o>> = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let head = &values[order[start]][..pkeys.len()];
        let mut end = start + 1;
        while end < order.len()
            && compare_keys(head, &values[order[end]][..pkeys.len()], pkeys)? == Ordering::Equal
        {
            end += 1;
        }
        let part_keys: Vec<Vec<Value>> = order[start..end]
            .iter()
            .map(|&i| values[i][pkeys.len()..].to_vec())
            .collect();
        let mut group = Vec::with_capacity(part_keys.len());
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for (pos, k) in part_keys.iter().enumerate() {
            let peer = match groups.last_mut() {
                Some(g) if compare_keys(&part_keys[g.0], k, okeys)? == Ordering::Equal => {
                    g.1 = pos + 1;
                    true
                }
                _ => false,
            };
            if !peer {
                groups.push((pos, pos + 1));
            }
            group.push(groups.len() - 1);
        }
        out.push(Partition {
            rows: &order[start..end],
            keys: part_keys,
            group,
            groups,
        });
        start = end;
    }
    Ok(out)
}

/// The values of `call` for each row of partition `p`.
fn compute(
    call: &WindowCall,
    p: &Partition<'_>,
    rows: &[Vec<Value>],
    env: &Env<'_, '_>,
) -> Result<Vec<Value>> {
    let m = p.rows.len();
    let row = |pos: usize| &rows[p.rows[pos]];
    let float = |n: usize, d: usize| Value::Float8(n as f64 / d as f64);
    let (func, args) = match &call.kind {
        WindowKind::Agg(agg) => return aggregate(call, agg, p, rows, env),
        WindowKind::Func(func, args) => (func, args),
    };
    let arg = |k: usize, pos: usize| -> Result<Value> {
        args.get(k)
            .map_or(Ok(Value::Null), |e| e.eval(row(pos), env))
    };
    let mut out = Vec::with_capacity(m);
    for pos in 0..m {
        let g = p.group[pos];
        let (peer_start, peer_end) = p.groups[g];
        out.push(match func {
            WindowFunc::RowNumber => Value::Int8(pos as i64 + 1),
            WindowFunc::Rank => Value::Int8(peer_start as i64 + 1),
            WindowFunc::DenseRank => Value::Int8(g as i64 + 1),
            WindowFunc::PercentRank if m > 1 => float(peer_start, m - 1),
            WindowFunc::PercentRank => Value::Float8(0.0),
            WindowFunc::CumeDist => float(peer_end, m),
            WindowFunc::Ntile => ntile(&arg(0, 0)?, pos, m)?,
            WindowFunc::Lag | WindowFunc::Lead => {
                let offset = if args.len() > 1 {
                    arg(1, pos)?
                } else {
                    Value::Int8(1)
                };
                let Some(offset) = as_i64(&offset) else {
                    out.push(Value::Null);
                    continue;
                };
                let target = if *func == WindowFunc::Lag {
                    (pos as i64).checked_sub(offset)
                } else {
                    (pos as i64).checked_add(offset)
                };
                match target
                    .and_then(|t| usize::try_from(t).ok())
                    .filter(|&t| t < m)
                {
                    Some(t) => arg(0, t)?,
                    None => arg(2, pos)?,
                }
            }
            WindowFunc::FirstValue | WindowFunc::LastValue | WindowFunc::NthValue => {
                let (s, e) = frame(call, p, pos)?;
                let at = match func {
                    WindowFunc::FirstValue => Some(s),
                    WindowFunc::LastValue => e.checked_sub(1),
                    _ => match arg(1, pos)? {
                        Value::Null => None,
                        n => match as_i64(&n) {
                            Some(n) if n > 0 => {
                                usize::try_from(n - 1).ok().and_then(|k| s.checked_add(k))
                            }
                            _ => {
                                return Err(SqlError::new(
                                    "22016",
                                    "argument of nth_value must be greater than zero",
                                ));
                            }
                        },
                    },
                };
                match at.filter(|&k| k >= s && k < e) {
                    Some(k) => arg(0, k)?,
                    None => Value::Null,
                }
            }
        });
    }
    Ok(out)
}

/// `ntile(n)` of the row at `pos` of `m`: the first `m % n` buckets hold one
/// row more than the others.
fn ntile(n: &Value, pos: usize, m: usize) -> Result<Value> {
    if n.is_null() {
        return Ok(Value::Null);
    }
    let buckets = match as_i64(n).and_then(|n| usize::try_from(n).ok()) {
        Some(b) if b > 0 => b,
        _ => {
            return Err(SqlError::new(
                "22014",
                "argument of ntile must be greater than zero",
            ));
        }
    };
    let (per, extra) = (m / buckets, m % buckets);
    let big = extra * (per + 1);
    let bucket = if pos < big {
        pos / (per + 1)
    } else {
        extra + (pos - big) / per.max(1)
    };
    Ok(Value::Int4(i32::try_from(bucket + 1).unwrap_or(i32::MAX)))
}

/// An aggregate over each row's frame: a frame that keeps its start and
/// grows adds its new rows to the running state. A frame running to the
/// partition's end whose start moves (`CURRENT ROW AND UNBOUNDED
/// FOLLOWING`) is computed from the last row back, its state growing at
/// the front, when the aggregate does not depend on the order of its
/// rows; any other frame starts afresh.
fn aggregate(
    call: &WindowCall,
    agg: &AggCall,
    p: &Partition<'_>,
    rows: &[Vec<Value>],
    env: &Env<'_, '_>,
) -> Result<Vec<Value>> {
    let m = p.rows.len();
    let backward = call.frame.end == FrameBound::UnboundedFollowing
        && call.frame.start != FrameBound::UnboundedPreceding
        && order_free(agg, p, rows, env)?;
    let positions: Box<dyn Iterator<Item = usize>> = if backward {
        Box::new((0..m).rev())
    } else {
        Box::new(0..m)
    };
    let mut state: Option<(Accumulator, usize, usize)> = None;
    let mut out = vec![Value::Null; m];
    for pos in positions {
        // A frame that starts afresh per row costs the frame's rows: the
        // statement's cancel and timeout are checked per row.
        env.txn.check_interrupt()?;
        let (s, e) = frame(call, p, pos)?;
        let e = e.max(s);
        let (mut acc, new) = match state.take() {
            Some((acc, s0, e0)) if s0 == s && e0 <= e => (acc, e0..e),
            Some((acc, s0, e0)) if backward && e0 == e && s <= s0 => (acc, s..s0),
            _ => (Accumulator::new(agg), s..e),
        };
        for k in new {
            acc.add(agg, &rows[p.rows[k]], env)?;
        }
        out[pos] = acc.clone().finish(agg, env)?;
        state = Some((acc, s, e));
    }
    Ok(out)
}

/// Whether `agg`'s value over the rows of `p` is the same in any order of
/// the rows: not for `string_agg` and `array_agg`, nor for sums of floats
/// (rounding) or the min or max of values that can be equal yet print
/// differently (`1.5` and `1.50`, `0` and `-0`).
fn order_free(
    agg: &AggCall,
    p: &Partition<'_>,
    rows: &[Vec<Value>],
    env: &Env<'_, '_>,
) -> Result<bool> {
    let exact = |inexact: fn(&Value) -> bool| -> Result<bool> {
        let Some(arg) = agg.args.first() else {
            return Ok(true);
        };
        for &i in p.rows {
            if inexact(&arg.eval(&rows[i], env)?) {
                return Ok(false);
            }
        }
        Ok(true)
    };
    match agg.func {
        AggFunc::Count | AggFunc::BoolAnd | AggFunc::BoolOr => Ok(true),
        AggFunc::Sum | AggFunc::Avg => exact(|v| matches!(v, Value::Float4(_) | Value::Float8(_))),
        AggFunc::Min | AggFunc::Max => {
            exact(|v| matches!(v, Value::Float4(_) | Value::Float8(_) | Value::Numeric(_)))
        }
        _ => Ok(false),
    }
}

/// The frame of the row at `pos`: `[start, end)` in the partition (empty
/// when `end <= start`).
fn frame(call: &WindowCall, p: &Partition<'_>, pos: usize) -> Result<(usize, usize)> {
    let f = &call.frame;
    Ok((
        bound(call, &f.start, p, pos, true)?,
        bound(call, &f.end, p, pos, false)?,
    ))
}

/// Where one end of a frame falls: the first row in for the start, the
/// first row after for the end.
fn bound(
    call: &WindowCall,
    b: &FrameBound,
    p: &Partition<'_>,
    pos: usize,
    start: bool,
) -> Result<usize> {
    let m = p.rows.len();
    let g = p.group[pos];
    let (peer_start, peer_end) = p.groups[g];
    let rows = |v: &Value| as_i64(v).and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
    Ok(match (b, call.frame.units) {
        (FrameBound::UnboundedPreceding, _) => 0,
        (FrameBound::UnboundedFollowing, _) => m,
        (FrameBound::CurrentRow, FrameUnits::Rows) => pos + usize::from(!start),
        (FrameBound::CurrentRow, _) if start => peer_start,
        (FrameBound::CurrentRow, _) => peer_end,
        (FrameBound::Preceding(n), FrameUnits::Rows) => {
            (pos + usize::from(!start)).saturating_sub(rows(n))
        }
        (FrameBound::Following(n), FrameUnits::Rows) => pos
            .saturating_add(rows(n))
            .saturating_add(usize::from(!start))
            .min(m),
        (FrameBound::Preceding(n), FrameUnits::Groups) => match g.checked_sub(rows(n)) {
            Some(t) if start => p.groups[t].0,
            Some(t) => p.groups[t].1,
            None => 0,
        },
        (FrameBound::Following(n), FrameUnits::Groups) => {
            match p.groups.get(g.saturating_add(rows(n))) {
                Some(t) if start => t.0,
                Some(t) => t.1,
                None => m,
            }
        }
        (FrameBound::Preceding(n) | FrameBound::Following(n), FrameUnits::Range) => {
            match call.order.first() {
                Some(key) => range_bound(b, n, key, p, pos, start)?,
                None if start => peer_start,
                None => peer_end,
            }
        }
    })
}

/// A `RANGE` offset bound: the rows whose key lies within `offset` of the
/// current row's key, in the window's order (`key`, its one `ORDER BY`);
/// a row with a NULL key has its peers as the bound.
fn range_bound(
    b: &FrameBound,
    offset: &Value,
    key: &SortKey,
    p: &Partition<'_>,
    pos: usize,
    start: bool,
) -> Result<usize> {
    let (peer_start, peer_end) = p.groups[p.group[pos]];
    let Some(v) = p.keys[pos].first().filter(|v| !v.is_null()) else {
        return Ok(if start { peer_start } else { peer_end });
    };
    let toward_start = matches!(b, FrameBound::Preceding(_));
    let op = if toward_start == key.asc {
        BinOp::Minus
    } else {
        BinOp::Plus
    };
    // Past the type's range the target lies beyond every value, as
    // PostgreSQL's in_range has it.
    let target = match arithmetic(op, v, offset) {
        Ok(t) => Some(t),
        Err(e) if e.sqlstate == "22003" || e.sqlstate == "22008" => None,
        Err(e) => return Err(e),
    };
    let beyond = if op == BinOp::Plus {
        Ordering::Less
    } else {
        Ordering::Greater
    };
    let keys = std::slice::from_ref(key);
    let order = |k: &[Value]| -> Result<Ordering> {
        match (&target, k.first()) {
            (Some(t), Some(x)) => {
                // A date moved by an interval is a timestamp: the dates
                // compare as timestamps with it.
                let x = match (x, t) {
                    (Value::Date(_), Value::Timestamp(_)) => cast(x.clone(), DataType::Timestamp)?,
                    _ => x.clone(),
                };
                compare_keys(&[x], std::slice::from_ref(t), keys)
            }
            (None, Some(x)) if !x.is_null() => Ok(if key.asc { beyond } else { beyond.reverse() }),
            _ if key.nulls_first => Ok(Ordering::Less),
            _ => Ok(Ordering::Greater),
        }
    };
    let mut failure = None;
    let at = p.keys.partition_point(|k| {
        let o = order(k).unwrap_or_else(|e| {
            failure.get_or_insert(e);
            Ordering::Equal
        });
        if start {
            o == Ordering::Less
        } else {
            o != Ordering::Greater
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(at),
    }
}
