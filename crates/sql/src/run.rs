//! The query executor: runs a relational plan (`rel.rs`) as a stream of rows.
//! Scans, filters, projections, limits and the outer side of joins stream;
//! sorts, aggregation, set operations and the inner side of joins are
//! gathered in memory.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Bound;

use driftdb_engine::commit_meta::CommitMeta;
use driftdb_engine::history;
use driftdb_engine::keycode::encode_key;
use driftdb_engine::numeric::Numeric;
use driftdb_engine::table;
use driftdb_engine::text::parse_text;
use driftdb_engine::value::{DataType, Value};

use crate::agg::Accumulator;
use crate::bind::PG_EPOCH_MICROS;
use crate::error::{Result, SqlError};
use crate::expr::{Env, Expr, Func, as_i64, compare};
use crate::rel::{
    Aggregate, Join, JoinKind, KeyBounds, Rel, Scan, SeriesFunc, SetOp, SetOpKind, SortKey,
};

/// A stream of rows.
pub type Rows<'a> = Box<dyn Iterator<Item = Result<Vec<Value>>> + 'a>;

/// Number of hidden columns every scan appends.
const HIDDEN: usize = 4;

/// Runs `rel` in `env` (measured for `EXPLAIN ANALYZE` when `env` has a
/// profile).
pub fn run<'a>(rel: &'a Rel, env: &'a Env<'a, '_>) -> Result<Rows<'a>> {
    match &env.profile {
        None => run_node(rel, env),
        Some(p) => p.measure(rel, || run_node(rel, env)),
    }
}

fn run_node<'a>(rel: &'a Rel, env: &'a Env<'a, '_>) -> Result<Rows<'a>> {
    Ok(match rel {
        Rel::Values(rows) => Box::new(rows.iter().map(move |r| {
            r.iter()
                .map(|e| e.eval(&[], env))
                .collect::<Result<Vec<_>>>()
        })),
        // Every row read passes a scan: the one place a cancel request or a
        // statement timeout is noticed.
        Rel::Scan(s) => Box::new(scan(s, env, None)?.map(move |r| {
            env.txn.check_interrupt()?;
            r
        })),
        Rel::Filter(input, pred) => match &**input {
            // A locking scan under its filter locks only the rows it passes.
            Rel::Scan(s) if s.lock.is_some() => Box::new(scan(s, env, Some(pred))?.map(move |r| {
                env.txn.check_interrupt()?;
                r
            })),
            _ => Box::new(run(input, env)?.filter_map(move |r| match r {
                Ok(row) => match pred.is_true(&row, env) {
                    Ok(true) => Some(Ok(row)),
                    Ok(false) => None,
                    Err(e) => Some(Err(e)),
                },
                Err(e) => Some(Err(e)),
            })),
        },
        Rel::Project(input, exprs) => Box::new(run(input, env)?.map(move |r| {
            let row = r?;
            exprs.iter().map(|e| e.eval(&row, env)).collect()
        })),
        Rel::ProjectSet(input, exprs) => Box::new(
            run(input, env)?
                .map(move |r| project_set(exprs, &r?, env))
                .flat_map(|rows| match rows {
                    Ok(rows) => rows.into_iter().map(Ok).collect::<Vec<_>>(),
                    Err(e) => vec![Err(e)],
                }),
        ),
        Rel::Limit {
            input,
            limit,
            offset,
        } => {
            let skip = usize::try_from(*offset).unwrap_or(usize::MAX);
            let take = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
            if take == 0 {
                Box::new(std::iter::empty())
            } else {
                Box::new(run(input, env)?.skip(skip).take(take))
            }
        }
        Rel::Sort(input, keys) => Box::new(sort(run(input, env)?, keys, env)?.into_iter().map(Ok)),
        Rel::Distinct(input) => {
            let mut seen = std::collections::HashSet::new();
            Box::new(run(input, env)?.filter(move |r| match r {
                Ok(row) => seen.insert(row_key(row)),
                Err(_) => true,
            }))
        }
        Rel::DistinctOn(input, keys) => {
            let mut seen = std::collections::HashSet::new();
            Box::new(run(input, env)?.filter_map(move |r| {
                let row = match r {
                    Ok(row) => row,
                    Err(e) => return Some(Err(e)),
                };
                match keys
                    .iter()
                    .map(|k| k.eval(&row, env))
                    .collect::<Result<Vec<_>>>()
                {
                    Ok(values) => seen.insert(row_key(&values)).then_some(Ok(row)),
                    Err(e) => Some(Err(e)),
                }
            }))
        }
        Rel::Aggregate(a) => Box::new(aggregate(a, env)?.into_iter().map(Ok)),
        Rel::Window(w) => Box::new(crate::window::window(w, env)?.into_iter().map(Ok)),
        Rel::Join(j) => join(j, env)?,
        Rel::Lateral(j) => crate::lateral::rows(j, env)?,
        Rel::SetOp(s) => Box::new(set_op(s, env)?.into_iter().map(Ok)),
        Rel::Commits => commits(env)?,
        Rel::Diff(d) => Box::new(diff(d, env)?.into_iter().map(Ok)),
        Rel::System(s) => Box::new(crate::system::rows(s, env)?.into_iter().map(Ok)),
        Rel::Series(s) => Box::new(series(s, env)?.into_iter().map(Ok)),
        Rel::Recursive(r) => crate::recursive::rows(r, env),
        Rel::WorkTable(id) => crate::recursive::work_table(*id, env)?,
    })
}

/// The rows one input row makes under a projection with set-returning
/// functions: as many as the longest set, shorter sets padded with NULL.
fn project_set(exprs: &[Expr], row: &[Value], env: &Env<'_, '_>) -> Result<Vec<Vec<Value>>> {
    let mut columns = Vec::with_capacity(exprs.len());
    for e in exprs {
        columns.push(match e {
            Expr::Call(Func::Series(f), args) => {
                let args = args
                    .iter()
                    .map(|a| a.eval(row, env))
                    .collect::<Result<Vec<_>>>()?;
                Err(series_values(*f, &args)?)
            }
            e => Ok(e.eval(row, env)?),
        });
    }
    let n = columns
        .iter()
        .map(|c| c.as_ref().err().map_or(0, Vec::len))
        .max()
        .unwrap_or(0);
    Ok((0..n)
        .map(|i| {
            columns
                .iter()
                .map(|c| match c {
                    Ok(v) => v.clone(),
                    Err(set) => set.get(i).cloned().unwrap_or(Value::Null),
                })
                .collect()
        })
        .collect())
}

/// The rows of a set-returning function in `FROM`.
fn series(s: &crate::rel::Series, env: &Env<'_, '_>) -> Result<Vec<Vec<Value>>> {
    let args = s
        .args
        .iter()
        .map(|a| a.eval(&[], env))
        .collect::<Result<Vec<_>>>()?;
    let values = series_values(s.func, &args)?;
    Ok((1i64..)
        .zip(values)
        .map(|(n, v)| {
            if s.ordinality {
                vec![v, Value::Int8(n)]
            } else {
                vec![v]
            }
        })
        .collect())
}

/// The values of set-returning function `func` over evaluated `args`.
fn series_values(func: SeriesFunc, args: &[Value]) -> Result<Vec<Value>> {
    Ok(match (func, args) {
        (_, a) if a.iter().any(Value::is_null) => Vec::new(),
        (SeriesFunc::Unnest, [Value::Array(a)]) => a.items().to_vec(),
        (SeriesFunc::Unnest, [Value::Text(a)]) => {
            match parse_text(a, DataType::array_of(DataType::Text)?)? {
                Value::Array(a) => a.into_items(),
                _ => Vec::new(),
            }
        }
        (SeriesFunc::GenerateSubscripts, [Value::Array(a), dim]) => match as_i64(dim) {
            Some(1) => (a.lower()..)
                .take(a.items().len())
                .map(|i| Value::Int4(i32::try_from(i).unwrap_or(i32::MAX)))
                .collect(),
            _ => Vec::new(),
        },
        (SeriesFunc::GenerateSeries, [a, b, rest @ ..]) => {
            let int = |v: &Value| crate::expr::as_i64(v);
            let step = rest.first().map_or(Some(1), int);
            let (Some(lo), Some(hi), Some(step)) = (int(a), int(b), step) else {
                return Err(SqlError::unsupported("generate_series over non-integers"));
            };
            if step == 0 {
                return Err(SqlError::new("22023", "step size cannot equal zero"));
            }
            let wide = matches!(a, Value::Int8(_)) || matches!(b, Value::Int8(_));
            let mut out = Vec::new();
            let mut i = lo;
            while (step > 0 && i <= hi) || (step < 0 && i >= hi) {
                out.push(match i32::try_from(i) {
                    Ok(n) if !wide => Value::Int4(n),
                    _ => Value::Int8(i),
                });
                match i.checked_add(step) {
                    Some(n) => i = n,
                    None => break,
                }
            }
            out
        }
        (SeriesFunc::PartitionAncestors, [v]) => vec![v.clone()],
        (SeriesFunc::RegexpMatches, args) => crate::func::string::regexp_matches(args)?,
        (SeriesFunc::Json(j), [v]) => j.values(v)?,
        (f, _) => {
            return Err(SqlError::new(
                "42883",
                format!("function {f:?}() does not exist for these arguments"),
            ));
        }
    })
}

fn seq_value(s: u64) -> Value {
    Value::Int8(i64::try_from(s).unwrap_or(i64::MAX))
}

/// The rows of `drift_commits`.
fn commits<'a>(env: &'a Env<'a, '_>) -> Result<Rows<'a>> {
    let snap = env.txn.snapshot();
    let upto = env.txn.snapshot_seq();
    Ok(Box::new(snap.commits(1..=upto)?.map(|r| {
        let c = r?;
        let meta = if c.meta.is_empty() {
            CommitMeta::default()
        } else {
            CommitMeta::decode(&c.meta)?
        };
        Ok(vec![
            seq_value(c.seq),
            Value::Timestamptz(c.commit_ts - PG_EPOCH_MICROS),
            Value::Text(meta.user_name),
            Value::Text(meta.application_name),
            Value::Text(format!("{{{}}}", meta.tables.join(","))),
        ])
    })))
}

/// The rows of `drift_diff`: op, seq, then `before_c`, `after_c` per column.
fn diff(d: &crate::rel::Diff, env: &Env<'_, '_>) -> Result<Vec<Vec<Value>>> {
    let width = d.def.columns.len();
    Ok(history::diff(env.txn.snapshot(), &d.def, d.from, d.to)?
        .into_iter()
        .map(|row| {
            let op = match row.op {
                history::DiffOp::Insert => "insert",
                history::DiffOp::Update => "update",
                history::DiffOp::Delete => "delete",
            };
            let mut out = vec![Value::Text(op.into()), seq_value(row.seq)];
            let before = row.before.unwrap_or_else(|| vec![Value::Null; width]);
            let after = row.after.unwrap_or_else(|| vec![Value::Null; width]);
            for (b, a) in before.into_iter().zip(after) {
                out.push(b);
                out.push(a);
            }
            out
        })
        .collect())
}

/// The bytes two rows share exactly when SQL's DISTINCT deems them equal.
fn row_key(row: &[Value]) -> Vec<u8> {
    let mut key = Vec::new();
    encode_key(row, &mut key);
    key
}

/// The bytes two rows share exactly when a set operation deems them equal
/// (integers of different widths and whole `NUMERIC`s alike).
pub(crate) fn distinct_key(row: &[Value]) -> Vec<u8> {
    row_key(&normalize(row.to_vec()))
}

/// A key range of owned bounds, borrowed.
pub fn as_ref_range(r: &KeyBounds) -> (Bound<&[u8]>, Bound<&[u8]>) {
    (
        r.0.as_ref().map(Vec::as_slice),
        r.1.as_ref().map(Vec::as_slice),
    )
}

/// The rows of `s` (those `only` is true for, when given), locked when
/// `s` carries a locking clause.
fn scan<'a>(s: &'a Scan, env: &'a Env<'a, '_>, only: Option<&'a Expr>) -> Result<Rows<'a>> {
    let range = as_ref_range(&s.range);
    if let Some(clause) = s.lock
        && env.txn.is_read_only()
    {
        return Err(SqlError::new(
            "25006",
            format!("cannot execute SELECT {clause} in a read-only transaction"),
        ));
    }
    // Whether a row read is passed on, locking it when it is.
    let keep = move |key: &[u8], row: &[Value]| -> Result<bool> {
        if let Some(p) = only
            && !p.is_true(row, env)?
        {
            return Ok(false);
        }
        if s.lock.is_some() {
            env.txn.lock(s.def.id, key)?;
        }
        Ok(true)
    };
    let filter = match (s.versions, s.hidden) {
        (None, false) => {
            let rows = match &s.index {
                Some((ix, r)) => table::scan_by_index(env.txn, &s.def, ix, as_ref_range(r))?,
                None => table::scan(env.txn, &s.def, range, None)?,
            };
            return Ok(Box::new(
                rows.map(move |r| {
                    let (key, mut values) = r?;
                    values.extend(std::iter::repeat_n(Value::Null, HIDDEN));
                    Ok(keep(&key, &values)?.then_some(values))
                })
                .filter_map(Result::transpose),
            ));
        }
        // Hidden columns in the present: the committed versions as of the
        // transaction's snapshot carry them.
        (None, true) => {
            let seq = env.txn.snapshot_seq();
            history::VersionFilter::AsOf(history::Resolved {
                le: seq,
                lt: seq.saturating_sub(1),
            })
        }
        (Some(f), _) => f,
    };
    let snap = env.txn.snapshot();
    let time = move |seq: u64| -> Result<Value> {
        Ok(snap.commit(seq)?.map_or(Value::Null, |c| {
            Value::Timestamptz(c.commit_ts - PG_EPOCH_MICROS)
        }))
    };
    type Versions<'v> =
        Box<dyn Iterator<Item = driftdb_engine::error::Result<history::RowVersion>> + 'v>;
    let versions: Versions<'a> = match (&s.index, filter, &s.range) {
        // A primary-key point of the past: one seek, however deep the history.
        (_, history::VersionFilter::AsOf(p), (Bound::Included(lo), Bound::Included(hi)))
            if lo == hi =>
        {
            Box::new(
                history::version_at(env.txn, &s.def, lo.clone(), p.le)
                    .transpose()
                    .into_iter(),
            )
        }
        (Some((ix, r)), history::VersionFilter::AsOf(p), _) => Box::new(
            history::versions_by_index(env.txn, &s.def, ix, as_ref_range(r), p.le)?,
        ),
        _ => Box::new(history::versions(snap, &s.def, range, filter)?),
    };
    Ok(Box::new(
        versions
            .map(move |r| {
                let v = r?;
                let mut values = v.values;
                values.push(seq_value(v.seq_from));
                values.push(v.seq_to.map_or(Value::Null, seq_value));
                values.push(time(v.seq_from)?);
                values.push(match v.seq_to {
                    Some(to) => time(to)?,
                    None => Value::Null,
                });
                Ok(keep(&v.key, &values)?.then_some(values))
            })
            .filter_map(Result::transpose),
    ))
}

/// Orders `rows` by `keys`; equal rows keep their order.
pub fn sort(rows: Rows<'_>, keys: &[SortKey], env: &Env<'_, '_>) -> Result<Vec<Vec<Value>>> {
    let mut keyed = rows
        .map(|r| {
            let row = r?;
            let k = keys
                .iter()
                .map(|s| s.expr.eval(&row, env))
                .collect::<Result<Vec<_>>>()?;
            Ok((k, row))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut failure = None;
    keyed.sort_by(|(a, _), (b, _)| {
        compare_keys(a, b, keys).unwrap_or_else(|e| {
            failure.get_or_insert(e);
            Ordering::Equal
        })
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(keyed.into_iter().map(|(_, row)| row).collect()),
    }
}

/// The order of two rows' values of the sort `keys` (each key's direction
/// and NULL placement).
pub fn compare_keys(a: &[Value], b: &[Value], keys: &[SortKey]) -> Result<Ordering> {
    for ((x, y), key) in a.iter().zip(b).zip(keys) {
        let ord = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) if key.nulls_first => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, true) if key.nulls_first => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let o = compare(x, y)?;
                if key.asc { o } else { o.reverse() }
            }
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(Ordering::Equal)
}

fn aggregate(a: &Aggregate, env: &Env<'_, '_>) -> Result<Vec<Vec<Value>>> {
    // Groups in the order they first appear; a group's key is its key
    // values (NULL where its set leaves a key out) and its set's number.
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut groups: Vec<(Vec<Value>, Vec<Accumulator>)> = Vec::new();
    let fresh = || a.aggs.iter().map(Accumulator::new).collect::<Vec<_>>();
    let set_key = |values: &[Value], set: &[usize], n: usize| -> Vec<Value> {
        let mut key: Vec<Value> = (0..a.group.len())
            .map(|k| match values.get(k) {
                Some(v) if set.contains(&k) => v.clone(),
                _ => Value::Null,
            })
            .collect();
        key.push(Value::Int4(i32::try_from(n).unwrap_or(i32::MAX)));
        key
    };
    for r in run(&a.input, env)? {
        let row = r?;
        let values = a
            .group
            .iter()
            .map(|e| e.eval(&row, env))
            .collect::<Result<Vec<_>>>()?;
        for (n, set) in a.sets.iter().enumerate() {
            let key_values = set_key(&values, set, n);
            let slot = match index.entry(row_key(&key_values)) {
                Entry::Occupied(o) => *o.get(),
                Entry::Vacant(v) => {
                    groups.push((key_values, fresh()));
                    *v.insert(groups.len() - 1)
                }
            };
            for (acc, call) in groups[slot].1.iter_mut().zip(&a.aggs) {
                acc.add(call, &row, env)?;
            }
        }
    }
    if groups.is_empty() {
        for (n, set) in a.sets.iter().enumerate() {
            if set.is_empty() {
                groups.push((set_key(&[], set, n), fresh()));
            }
        }
    }
    groups
        .into_iter()
        .map(|(mut key, accs)| {
            for (acc, call) in accs.into_iter().zip(&a.aggs) {
                key.push(acc.finish(call, env)?);
            }
            Ok(key)
        })
        .collect()
}

/// A join: the right side gathered (and hashed on equality keys), the left
/// side streamed; each left row yields its matches as it arrives, and a
/// RIGHT or FULL join ends with the right rows nothing matched.
fn join<'a>(j: &'a Join, env: &'a Env<'a, '_>) -> Result<Rows<'a>> {
    let right: Vec<Vec<Value>> = run(&j.right, env)?.collect::<Result<_>>()?;
    let equi = equi_keys(&j.on, j.left_width);
    // With equality keys, the right side is hashed on them.
    let buckets = match &equi {
        Some((_, rk)) => Some(hash_rows(&right, rk, env)?),
        None => None,
    };
    Ok(Box::new(JoinRows {
        j,
        env,
        left: run(&j.left, env)?,
        right_matched: vec![false; right.len()],
        all: (0..right.len()).collect(),
        right,
        left_keys: equi.map(|(lk, _)| lk),
        buckets,
        pending: std::collections::VecDeque::new(),
        unmatched_right: None,
    }))
}

/// The positions of `rows` by the bytes of their `keys` (rows with a NULL
/// key left out: they equal nothing), for a hash join.
pub(crate) fn hash_rows(
    rows: &[Vec<Value>],
    keys: &[Expr],
    env: &Env<'_, '_>,
) -> Result<HashMap<Vec<u8>, Vec<usize>>> {
    let mut m: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        if let Some(k) = hash_key(row, keys, env)? {
            m.entry(k).or_default().push(i);
        }
    }
    Ok(m)
}

/// The hash-join bytes of `row`'s `keys`; `None` when one is NULL.
pub(crate) fn hash_key(row: &[Value], keys: &[Expr], env: &Env<'_, '_>) -> Result<Option<Vec<u8>>> {
    let vals = keys
        .iter()
        .map(|e| e.eval(row, env))
        .collect::<Result<Vec<_>>>()?;
    if vals.iter().any(Value::is_null) {
        return Ok(None);
    }
    Ok(Some(row_key(&normalize(vals))))
}

/// The state of a streaming join.
struct JoinRows<'a, 'e> {
    j: &'a Join,
    env: &'a Env<'a, 'e>,
    left: Rows<'a>,
    right: Vec<Vec<Value>>,
    right_matched: Vec<bool>,
    left_keys: Option<Vec<Expr>>,
    buckets: Option<HashMap<Vec<u8>, Vec<usize>>>,
    /// Every right row's position: the candidates without equality keys.
    all: Vec<usize>,
    /// Output rows of the current left row not yet returned.
    pending: std::collections::VecDeque<Vec<Value>>,
    /// Past the left side: the next right row to consider for NULL padding.
    unmatched_right: Option<usize>,
}

impl JoinRows<'_, '_> {
    /// Queues the output rows of one left row.
    fn match_left(&mut self, left: Vec<Value>) -> Result<()> {
        let (j, env) = (self.j, self.env);
        let JoinRows {
            right,
            right_matched,
            left_keys,
            buckets,
            all,
            pending,
            ..
        } = self;
        let candidates: &[usize] = match (left_keys.as_ref(), buckets.as_ref()) {
            (Some(lk), Some(m)) => match hash_key(&left, lk, env)? {
                Some(k) => m.get(&k).map_or(&[][..], Vec::as_slice),
                None => &[],
            },
            _ => all,
        };
        let mut matched = false;
        for (n, &i) in candidates.iter().enumerate() {
            if n % 1024 == 1023 {
                env.txn.check_interrupt()?;
            }
            let mut row = left.clone();
            row.extend(right[i].iter().cloned());
            if j.on.is_true(&row, env)? {
                matched = true;
                right_matched[i] = true;
                pending.push_back(row);
            }
        }
        if !matched && matches!(j.kind, JoinKind::Left | JoinKind::Full) {
            let mut row = left;
            row.extend(std::iter::repeat_n(Value::Null, j.right_width));
            pending.push_back(row);
        }
        Ok(())
    }
}

impl Iterator for JoinRows<'_, '_> {
    type Item = Result<Vec<Value>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.pending.pop_front() {
                return Some(Ok(row));
            }
            if let Some(i) = self.unmatched_right.as_mut() {
                while *i < self.right.len() {
                    let at = *i;
                    *i += 1;
                    if !self.right_matched[at] {
                        let mut padded = vec![Value::Null; self.j.left_width];
                        padded.extend(std::mem::take(&mut self.right[at]));
                        return Some(Ok(padded));
                    }
                }
                return None;
            }
            match self.left.next() {
                Some(Ok(left)) => {
                    if let Err(e) = self.match_left(left) {
                        return Some(Err(e));
                    }
                }
                Some(Err(e)) => return Some(Err(e)),
                None if matches!(self.j.kind, JoinKind::Right | JoinKind::Full) => {
                    self.unmatched_right = Some(0);
                }
                None => return None,
            }
        }
    }
}

/// Values made comparable as hash keys across integer widths, and between
/// integers and whole `NUMERIC`s (a fractional one equals no integer).
fn normalize(values: Vec<Value>) -> Vec<Value> {
    values
        .into_iter()
        .map(|v| match v {
            Value::Int2(i) => Value::Int8(i64::from(i)),
            Value::Int4(i) => Value::Int8(i64::from(i)),
            Value::Float4(f) => Value::Float8(f64::from(f)),
            Value::Numeric(n) => match n.to_i64("bigint") {
                Ok(i) if Numeric::from(i).sql_cmp(&n) == Ordering::Equal => Value::Int8(i),
                _ => Value::Numeric(n),
            },
            other => other,
        })
        .collect()
}

/// The column equalities `left.a = right.b AND …` in a join condition: the
/// left and right key expressions (right ones over the right row alone).
pub(crate) fn equi_keys(on: &Expr, left_width: usize) -> Option<(Vec<Expr>, Vec<Expr>)> {
    let mut conjuncts = Vec::new();
    crate::optimize::conjuncts(on, &mut conjuncts);
    let (mut lk, mut rk) = (Vec::new(), Vec::new());
    for c in conjuncts {
        if let Expr::Binary(crate::expr::BinOp::Eq, a, b) = c
            && let (Expr::Column(x), Expr::Column(y)) = (&**a, &**b)
        {
            let (l, r) = match (*x < left_width, *y < left_width) {
                (true, false) => (*x, *y),
                (false, true) => (*y, *x),
                _ => continue,
            };
            lk.push(Expr::Column(l));
            rk.push(Expr::Column(r - left_width));
        }
    }
    (!lk.is_empty()).then_some((lk, rk))
}

fn set_op(s: &SetOp, env: &Env<'_, '_>) -> Result<Vec<Vec<Value>>> {
    let left: Vec<Vec<Value>> = run(&s.left, env)?.collect::<Result<_>>()?;
    let right: Vec<Vec<Value>> = run(&s.right, env)?.collect::<Result<_>>()?;
    if let Some(r) = right.first()
        && left.first().is_some_and(|l| l.len() != r.len())
    {
        return Err(SqlError::new(
            "42601",
            "each UNION query must have the same number of columns",
        ));
    }
    let count = |rows: &[Vec<Value>]| {
        let mut m: HashMap<Vec<u8>, usize> = HashMap::new();
        for r in rows {
            *m.entry(distinct_key(r)).or_default() += 1;
        }
        m
    };
    Ok(match (s.kind, s.all) {
        (SetOpKind::Union, true) => left.into_iter().chain(right).collect(),
        (SetOpKind::Union, false) => {
            let mut seen = std::collections::HashSet::new();
            left.into_iter()
                .chain(right)
                .filter(|r| seen.insert(distinct_key(r)))
                .collect()
        }
        (SetOpKind::Intersect, all) => {
            let mut available = count(&right);
            let mut seen = std::collections::HashSet::new();
            left.into_iter()
                .filter(|r| {
                    let k = distinct_key(r);
                    let n = available.get_mut(&k);
                    match n {
                        Some(n) if *n > 0 && (all || seen.insert(k)) => {
                            *n -= 1;
                            true
                        }
                        _ => false,
                    }
                })
                .collect()
        }
        (SetOpKind::Except, all) => {
            let mut remove = count(&right);
            let mut seen = std::collections::HashSet::new();
            left.into_iter()
                .filter(|r| {
                    let k = distinct_key(r);
                    if all {
                        match remove.get_mut(&k) {
                            Some(n) if *n > 0 => {
                                *n -= 1;
                                false
                            }
                            _ => true,
                        }
                    } else {
                        !remove.contains_key(&k) && seen.insert(k)
                    }
                })
                .collect()
        }
    })
}
