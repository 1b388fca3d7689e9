//! The rule-based optimizer: rewrites of a bound plan that keep its result
//! and cut its work. Each rule is one function:
//! - `pushdown`: conjuncts of a filter above a join that read one side only
//!   move below the join (left side of inner and left joins, right side of
//!   inner joins);
//! - `pushdown_set`: conjuncts of a filter above a projection with
//!   set-returning functions (`FROM t, jsonb_each(t.j)`) that read only the
//!   columns it passes through move below it, so the functions run only on
//!   the rows that pass, as PostgreSQL's implicit LATERAL does;
//! - `key_range`: equality and range conjuncts on the primary key of a
//!   scanned table become the scan's key range (a point read for `pk = c`);
//! - `limit_into_sort`: nothing to do yet: limits stream, so a `LIMIT` over a
//!   scan reads only the rows it returns.
//!
//! Filters stay in place above what they narrowed, so a rule only ever
//! removes rows that the filter would have removed.

use std::ops::Bound;

use driftdb_engine::catalog::{IndexDef, TableDef};
use driftdb_engine::index;
use driftdb_engine::keycode::{encode_key, prefix_end};
use driftdb_engine::text::parse_text;
use driftdb_engine::value::{DataType, Value};

use crate::bind::Bound as BoundQuery;
use crate::expr::{BinOp, Expr};
use crate::plan::{InsertSource, Plan};
use crate::rel::{Join, JoinKind, KeyBounds, Rel};

/// The plan with every rule applied; `params` are the values of a generic
/// plan's parameters ([`Expr::Param`]), empty for a plan bound with its values.
pub fn optimize_plan(plan: Plan, params: &[Value]) -> Plan {
    match plan {
        Plan::Query(BoundQuery { rel, columns }) => Plan::Query(BoundQuery {
            rel: optimize(rel, params),
            columns,
        }),
        Plan::Insert {
            table,
            source:
                InsertSource::Query {
                    rel,
                    targets,
                    defaults,
                },
            checks,
            on_conflict,
            returning,
        } => Plan::Insert {
            table,
            source: InsertSource::Query {
                rel: optimize(rel, params),
                targets,
                defaults,
            },
            checks,
            on_conflict,
            returning,
        },
        Plan::CreateTableAs {
            table,
            query: Some(rel),
        } => Plan::CreateTableAs {
            table,
            query: Some(optimize(rel, params)),
        },
        other => other,
    }
}

/// `rel` with every rule applied, bottom up (`params` as for [`optimize_plan`]).
pub fn optimize(rel: Rel, params: &[Value]) -> Rel {
    match rel {
        Rel::Filter(input, pred) => {
            let input = optimize(*input, params);
            match input {
                Rel::Join(j) => pushdown(*j, pred, params),
                Rel::ProjectSet(i, outputs) => pushdown_set(*i, outputs, pred, params),
                Rel::Scan(mut s) if matches!(s.range, (Bound::Unbounded, Bound::Unbounded)) => {
                    s.range = key_range(&s.def, &pred, params);
                    let by_index = matches!(
                        s.versions,
                        None | Some(driftdb_engine::history::VersionFilter::AsOf(_))
                    );
                    if by_index && matches!(s.range, (Bound::Unbounded, Bound::Unbounded)) {
                        s.index = index_range(&s.def, &pred, params);
                    }
                    Rel::Filter(Box::new(Rel::Scan(s)), pred)
                }
                other => Rel::Filter(Box::new(other), pred),
            }
        }
        Rel::Project(i, e) => Rel::Project(Box::new(optimize(*i, params)), e),
        Rel::ProjectSet(i, e) => Rel::ProjectSet(Box::new(optimize(*i, params)), e),
        Rel::Distinct(i) => Rel::Distinct(Box::new(optimize(*i, params))),
        Rel::DistinctOn(i, k) => Rel::DistinctOn(Box::new(optimize(*i, params)), k),
        Rel::Sort(i, k) => Rel::Sort(Box::new(optimize(*i, params)), k),
        Rel::Limit {
            input,
            limit,
            offset,
        } => Rel::Limit {
            input: Box::new(optimize(*input, params)),
            limit,
            offset,
        },
        Rel::Join(mut j) => {
            j.left = optimize(j.left, params);
            j.right = optimize(j.right, params);
            Rel::Join(j)
        }
        Rel::Aggregate(mut a) => {
            a.input = optimize(a.input, params);
            Rel::Aggregate(a)
        }
        Rel::Window(mut w) => {
            w.input = optimize(w.input, params);
            Rel::Window(w)
        }
        Rel::SetOp(mut s) => {
            s.left = optimize(s.left, params);
            s.right = optimize(s.right, params);
            Rel::SetOp(s)
        }
        leaf @ (Rel::Values(_)
        | Rel::Scan(_)
        | Rel::Commits
        | Rel::Diff(_)
        | Rel::System(_)
        | Rel::Series(_)) => leaf,
    }
}

/// Splits `e` at its top-level `AND`s.
pub fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Binary(BinOp::And, l, r) => {
            conjuncts(l, out);
            conjuncts(r, out);
        }
        other => out.push(other),
    }
}

fn and_all(es: Vec<Expr>) -> Option<Expr> {
    es.into_iter()
        .reduce(|a, b| Expr::Binary(BinOp::And, Box::new(a), Box::new(b)))
}

/// The columns `e` reads, or `None` when it reads something that a move
/// below a join would change (a subquery, an aggregate).
fn columns_read(e: &Expr) -> Option<Vec<usize>> {
    let mut cols = Vec::new();
    let mut movable = true;
    e.walk(&mut |n| match n {
        Expr::Column(i) => cols.push(*i),
        Expr::Subquery(_) | Expr::Agg(_) | Expr::Window(_) => movable = false,
        _ => {}
    });
    movable.then_some(cols)
}

fn pushdown(mut j: Join, pred: Expr, params: &[Value]) -> Rel {
    let mut parts = Vec::new();
    conjuncts(&pred, &mut parts);
    let (mut left, mut right, mut keep) = (Vec::new(), Vec::new(), Vec::new());
    for c in parts {
        let side = columns_read(c).map(|cols| {
            (
                cols.iter().all(|&i| i < j.left_width),
                cols.iter().all(|&i| i >= j.left_width),
            )
        });
        match side {
            Some((true, _)) if matches!(j.kind, JoinKind::Inner | JoinKind::Left) => {
                left.push(c.clone());
            }
            Some((false, true)) if j.kind == JoinKind::Inner => {
                right.push(shift_down(c.clone(), j.left_width));
            }
            _ => keep.push(c.clone()),
        }
    }
    if let Some(l) = and_all(left) {
        j.left = optimize(Rel::Filter(Box::new(j.left), l), params);
    }
    if let Some(r) = and_all(right) {
        j.right = optimize(Rel::Filter(Box::new(j.right), r), params);
    }
    let joined = Rel::Join(Box::new(j));
    match and_all(keep) {
        Some(k) => Rel::Filter(Box::new(joined), k),
        None => joined,
    }
}

fn pushdown_set(input: Rel, outputs: Vec<Expr>, pred: Expr, params: &[Value]) -> Rel {
    let passed = outputs
        .iter()
        .enumerate()
        .take_while(|(i, e)| **e == Expr::Column(*i))
        .count();
    let mut parts = Vec::new();
    conjuncts(&pred, &mut parts);
    let (mut below, mut keep) = (Vec::new(), Vec::new());
    for c in parts {
        match columns_read(c) {
            Some(cols) if cols.iter().all(|&i| i < passed) => below.push(c.clone()),
            _ => keep.push(c.clone()),
        }
    }
    let input = match and_all(below) {
        Some(b) => optimize(Rel::Filter(Box::new(input), b), params),
        None => input,
    };
    let set = Rel::ProjectSet(Box::new(input), outputs);
    match and_all(keep) {
        Some(k) => Rel::Filter(Box::new(set), k),
        None => set,
    }
}

/// `v` as a key value of a column of type `t`, when it compares with the
/// column exactly as its key does (same type, or an integer that fits).
fn key_value(e: &Expr, t: DataType, params: &[Value]) -> Option<Value> {
    let v = match e {
        Expr::Const(v) => v.clone(),
        Expr::Param(i, _) => params.get(*i)?.clone(),
        Expr::Unknown(s) => parse_text(s, t).ok()?,
        _ => return None,
    };
    let text = |t: DataType| matches!(t, DataType::Text | DataType::Varchar(_));
    match (&v, t) {
        (Value::Null, _) => None,
        (
            Value::Int2(_) | Value::Int4(_) | Value::Int8(_),
            DataType::Int2 | DataType::Int4 | DataType::Int8,
        ) => crate::expr::cast(v, t).ok(),
        (Value::Text(_), t) if text(t) => Some(v),
        _ if v.data_type() == Some(t) => Some(v),
        _ => None,
    }
}

fn key_of(values: &[Value]) -> Vec<u8> {
    let mut key = Vec::new();
    encode_key(values, &mut key);
    key
}

/// The range of primary keys that rows satisfying `pred` can have.
pub fn key_range(def: &TableDef, pred: &Expr, params: &[Value]) -> KeyBounds {
    let all = (Bound::Unbounded, Bound::Unbounded);
    let positions: Vec<usize> = def
        .primary_key
        .iter()
        .filter_map(|id| def.columns.iter().position(|c| c.id == *id))
        .collect();
    if positions.is_empty() {
        return all;
    }
    let comparisons = comparisons(def, pred, params);
    let equal: Option<Vec<Value>> = positions
        .iter()
        .map(|p| {
            comparisons
                .iter()
                .find(|(c, op, _)| c == p && *op == BinOp::Eq)
                .map(|(_, _, v)| v.clone())
        })
        .collect();
    if let Some(values) = equal {
        let key = key_of(&values);
        return (Bound::Included(key.clone()), Bound::Included(key));
    }
    let [pk] = positions.as_slice() else {
        return all;
    };
    let (mut lo, mut hi) = all;
    for (_, op, v) in comparisons.into_iter().filter(|(c, _, _)| c == pk) {
        let key = key_of(&[v]);
        match op {
            BinOp::Gt => lo = Bound::Excluded(key),
            BinOp::GtEq => lo = Bound::Included(key),
            BinOp::Lt => hi = Bound::Excluded(key),
            BinOp::LtEq => hi = Bound::Included(key),
            _ => {}
        }
    }
    (lo, hi)
}

/// `e` over the right half of a joined row whose left half is `by` wide.
fn shift_down(e: Expr, by: usize) -> Expr {
    e.rewrite(&mut |n| {
        Ok(match n {
            Expr::Column(i) => Expr::Column(i - by),
            other => other,
        })
    })
    .unwrap_or(Expr::Const(Value::Null))
}

/// The conjuncts of `pred` that compare a column of `def` with a constant
/// usable as its key value: (column position, operator, value), column on
/// the left.
fn comparisons(def: &TableDef, pred: &Expr, params: &[Value]) -> Vec<(usize, BinOp, Value)> {
    let mut parts = Vec::new();
    conjuncts(pred, &mut parts);
    let mut out = Vec::new();
    for c in parts {
        let Expr::Binary(op, l, r) = c else { continue };
        if !op.is_comparison() || *op == BinOp::NotEq {
            continue;
        }
        let (col, op, other) = match (&**l, &**r) {
            (Expr::Column(i), o) => (*i, *op, o),
            (o, Expr::Column(i)) => (*i, flip(*op), o),
            _ => continue,
        };
        let Some(t) = def.columns.get(col).map(|c| c.data_type) else {
            continue;
        };
        if let Some(v) = key_value(other, t, params) {
            out.push((col, op, v));
        }
    }
    out
}

/// An index of `def` and the range of its entries that rows satisfying
/// `pred` can have: equalities on a prefix of its columns, or a range on its
/// first column. The longest equality prefix wins.
fn index_range(def: &TableDef, pred: &Expr, params: &[Value]) -> Option<(IndexDef, KeyBounds)> {
    let comps = comparisons(def, pred, params);
    if comps.is_empty() {
        return None;
    }
    let mut best: Option<(usize, IndexDef, KeyBounds)> = None;
    for ix in &def.indexes {
        let positions: Vec<usize> = ix
            .columns
            .iter()
            .filter_map(|id| def.position(*id))
            .collect();
        let mut prefix = Vec::new();
        for p in &positions {
            match comps.iter().find(|(c, op, _)| c == p && *op == BinOp::Eq) {
                Some((_, _, v)) => prefix.push(v.clone()),
                None => break,
            }
        }
        let (score, range) = if !prefix.is_empty() {
            let p = key_of(&prefix);
            (prefix.len() * 2, index::prefix_range(&p))
        } else {
            let Some(first) = positions.first() else {
                continue;
            };
            let (mut lo, mut hi) = (Bound::Unbounded, Bound::Unbounded);
            for (_, op, v) in comps.iter().filter(|(c, _, _)| c == first) {
                let k = key_of(std::slice::from_ref(v));
                let after = prefix_end(&k);
                match op {
                    BinOp::GtEq => lo = Bound::Included(k),
                    BinOp::Gt => lo = after.map_or(Bound::Excluded(k), Bound::Included),
                    BinOp::Lt => hi = Bound::Excluded(k),
                    BinOp::LtEq => hi = after.map_or(Bound::Unbounded, Bound::Excluded),
                    _ => {}
                }
            }
            if matches!((&lo, &hi), (Bound::Unbounded, Bound::Unbounded)) {
                continue;
            }
            (1, (lo, hi))
        };
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, ix.clone(), range));
        }
    }
    best.map(|(_, ix, r)| (ix, r))
}

fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::LtEq => BinOp::GtEq,
        BinOp::Gt => BinOp::Lt,
        BinOp::GtEq => BinOp::LtEq,
        other => other,
    }
}
