//! Reading history (SPEC §4): which row versions a `FOR SYSTEM_TIME` clause
//! selects, and what changed in a table between two points (`drift_diff`).
//!
//! A version is valid for seqs `seq_from <= N < seq_to`. A point is either a
//! seq ("right after commit N") or a time ("the last commit at or before t").
//! Each point resolves to two seq thresholds, `le` (the last seq at or before
//! the point) and `lt` (the last seq strictly before it), so every SQL:2011
//! condition becomes a comparison of seqs:
//!
//! ```text
//! start <  P  <=>  seq_from <= P.lt        end >  P  <=>  seq_to > P.le
//! start <= P  <=>  seq_from <= P.le        end <= P  <=>  seq_to <= P.le
//! start >= P  <=>  seq_from >  P.lt        (a current version's end is +inf)
//! ```

use std::ops::Bound;

use driftdb_storage::{KeyRange, StoreSnapshot, Version};

use crate::catalog::{IndexDef, TableDef};
use crate::error::{EngineError, Result};
use crate::table::decode;
use crate::txn::Transaction;
use crate::value::Value;

/// A point in history, before resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointIn {
    /// Right after commit N.
    Seq(u64),
    /// The last commit at or before this time (µs since the Unix epoch).
    Time(i64),
}

/// A point resolved against the commit history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// The last seq at or before the point.
    pub le: u64,
    /// The last seq strictly before the point.
    pub lt: u64,
}

/// Resolves a point with the commit times of `snapshot`.
pub fn resolve(snapshot: &StoreSnapshot, p: PointIn) -> Result<Resolved> {
    Ok(match p {
        PointIn::Seq(n) => Resolved {
            le: n,
            lt: n.saturating_sub(1),
        },
        PointIn::Time(t) => Resolved {
            le: snapshot.seq_at(t)?,
            lt: snapshot.seq_at(t.saturating_sub(1))?,
        },
    })
}

/// Which versions a table reference reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionFilter {
    /// The version valid at the point.
    AsOf(Resolved),
    /// Every version.
    All,
    /// `FROM a TO b`: start < b and end > a.
    FromTo(Resolved, Resolved),
    /// `BETWEEN a AND b`: start <= b and end > a.
    Between(Resolved, Resolved),
    /// `CONTAINED IN (a, b)`: start >= a and end <= b.
    ContainedIn(Resolved, Resolved),
}

impl VersionFilter {
    /// Whether `v` is selected.
    pub fn matches(&self, v: &Version) -> bool {
        let ends_after = |p: &Resolved| v.seq_to.is_none_or(|to| to > p.le);
        match self {
            VersionFilter::AsOf(p) => v.visible_at(p.le),
            VersionFilter::All => true,
            VersionFilter::FromTo(a, b) => v.seq_from <= b.lt && ends_after(a),
            VersionFilter::Between(a, b) => v.seq_from <= b.le && ends_after(a),
            VersionFilter::ContainedIn(a, b) => {
                v.seq_from > a.lt && v.seq_to.is_some_and(|to| to <= b.le)
            }
        }
    }
}

/// One version of a row: its values (ordered as the definition's columns) and
/// the seqs that bound it.
#[derive(Debug, Clone, PartialEq)]
pub struct RowVersion {
    /// The row's key.
    pub key: Vec<u8>,
    /// The values.
    pub values: Vec<Value>,
    /// The commit that wrote it.
    pub seq_from: u64,
    /// The commit that replaced or deleted it; `None` while current.
    pub seq_to: Option<u64>,
}

/// The versions of `table`'s rows with keys in `range` that `filter`
/// selects, in key order and newest first within a key, read under the
/// definition given.
pub fn versions<'a>(
    snapshot: &'a StoreSnapshot,
    table: &'a TableDef,
    range: KeyRange<'_>,
    filter: VersionFilter,
) -> Result<impl Iterator<Item = Result<RowVersion>> + 'a> {
    let all = match filter {
        VersionFilter::AsOf(p) => snapshot.scan_as_of(table.id, range, p.le)?,
        _ => snapshot.scan_versions(table.id, range)?,
    };
    Ok(all.filter_map(move |r| match r {
        Err(e) => Some(Err(EngineError::from(e))),
        Ok((key, v)) if filter.matches(&v) => Some(decode_version(table, key, v)),
        Ok(_) => None,
    }))
}

/// The versions, valid right after commit `seq`, of the rows whose keys an
/// index of `table` lists in `range` as of that commit, in index order: an
/// index read of the past.
pub fn versions_by_index<'a>(
    txn: &'a Transaction<'_>,
    table: &'a TableDef,
    index: &IndexDef,
    range: KeyRange<'_>,
    seq: u64,
) -> Result<impl Iterator<Item = Result<RowVersion>> + 'a> {
    let keys = crate::index::row_keys(txn, index, range, Some(seq))?;
    Ok(keys.filter_map(move |k| {
        k.and_then(|key| version_at(txn, table, key, seq))
            .transpose()
    }))
}

/// The version of the row at `key` valid right after commit `seq`: one seek,
/// however many versions the row has.
pub fn version_at(
    txn: &Transaction<'_>,
    table: &TableDef,
    key: Vec<u8>,
    seq: u64,
) -> Result<Option<RowVersion>> {
    txn.get_as_of(table.id, &key, seq)?
        .map(|v| decode_version(table, key, v))
        .transpose()
}

fn decode_version(table: &TableDef, key: Vec<u8>, v: Version) -> Result<RowVersion> {
    Ok(RowVersion {
        values: decode(table, &v.value)?,
        key,
        seq_from: v.seq_from,
        seq_to: v.seq_to,
    })
}

/// What happened to a row between two points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffOp {
    /// Absent at the first point, present at the second.
    Insert,
    /// Present at both, with different values.
    Update,
    /// Present at the first point, absent at the second.
    Delete,
}

/// One row of `drift_diff(t, a, b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRow {
    /// The row's key.
    pub key: Vec<u8>,
    /// What happened.
    pub op: DiffOp,
    /// The last commit in `(a, b]` that touched the row.
    pub seq: u64,
    /// The row at `a` (`None` when absent).
    pub before: Option<Vec<Value>>,
    /// The row at `b` (`None` when absent).
    pub after: Option<Vec<Value>>,
}

/// Every row of `table` that differs between seq `a` and seq `b` (a ≤ b).
/// A row inserted and deleted within the range is not listed.
pub fn diff(snapshot: &StoreSnapshot, table: &TableDef, a: u64, b: u64) -> Result<Vec<DiffRow>> {
    let mut out = Vec::new();
    let mut current: Option<(Vec<u8>, Vec<Version>)> = None;
    let all = snapshot.scan_versions(table.id, (Bound::Unbounded, Bound::Unbounded))?;
    for r in all {
        let (key, v) = r?;
        match &mut current {
            Some((k, vs)) if *k == key => vs.push(v),
            _ => {
                if let Some((k, vs)) = current.take() {
                    diff_key(table, k, &vs, a, b, &mut out)?;
                }
                current = Some((key, vec![v]));
            }
        }
    }
    if let Some((k, vs)) = current {
        diff_key(table, k, &vs, a, b, &mut out)?;
    }
    Ok(out)
}

fn diff_key(
    table: &TableDef,
    key: Vec<u8>,
    versions: &[Version],
    a: u64,
    b: u64,
    out: &mut Vec<DiffRow>,
) -> Result<()> {
    let at = |n: u64| versions.iter().find(|v| v.visible_at(n));
    let (before, after) = (at(a), at(b));
    let op = match (before, after) {
        (None, None) => return Ok(()),
        (Some(x), Some(y)) if x.value == y.value => return Ok(()),
        (None, Some(_)) => DiffOp::Insert,
        (Some(_), None) => DiffOp::Delete,
        (Some(_), Some(_)) => DiffOp::Update,
    };
    let in_range = |s: u64| s > a && s <= b;
    let seq = versions
        .iter()
        .flat_map(|v| [Some(v.seq_from), v.seq_to])
        .flatten()
        .filter(|s| in_range(*s))
        .max()
        .unwrap_or(b);
    let values = |v: &Version| decode(table, &v.value);
    out.push(DiffRow {
        op,
        seq,
        before: before.map(values).transpose()?,
        after: after.map(values).transpose()?,
        key,
    });
    Ok(())
}
