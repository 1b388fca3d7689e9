//! Rows of a table: inserting, updating, deleting and reading them, with the
//! NOT NULL and primary-key checks. A row's key is its primary key in
//! `keycode` form; a table without a primary key gets a generated row id
//! (the transaction's snapshot seq, a random per-transaction nonce and a
//! counter), so rows sort roughly by insertion and never collide.
//! Reading a row maps its stored columns by id onto the definition given, so
//! a definition read as of a past seq reads the rows of that time.

use std::ops::Bound;

use driftdb_storage::KeyRange;

use crate::catalog::TableDef;
use crate::error::{EngineError, Result};
use crate::keycode::encode_key;
use crate::row::{decode_row, encode_row};
use crate::txn::Transaction;
use crate::value::Value;
use crate::{foreign, index};

/// A row as the definition's columns order it, with its key.
pub type Row = (Vec<u8>, Vec<Value>);

/// Inserts `values` (one per column, in order) and returns the row's key.
pub fn insert(txn: &mut Transaction<'_>, table: &TableDef, values: Vec<Value>) -> Result<Vec<u8>> {
    check(table, &values)?;
    let key = match primary_key(table, &values) {
        Some(key) => {
            if txn.contains(table.id, &key)? {
                return Err(duplicate_key(table));
            }
            key
        }
        None => txn.next_row_id(table.id),
    };
    index::add(txn, table, &values, &key)?;
    foreign::check_parents(txn, table, &values, None)?;
    txn.put(table.id, key.clone(), encode(table, &values));
    Ok(key)
}

/// Replaces the row at `key` with `values`; returns its (possibly new) key.
pub fn update(
    txn: &mut Transaction<'_>,
    table: &TableDef,
    key: &[u8],
    values: Vec<Value>,
) -> Result<Vec<u8>> {
    update_at_depth(txn, table, key, values, 0)
}

pub(crate) fn update_at_depth(
    txn: &mut Transaction<'_>,
    table: &TableDef,
    key: &[u8],
    values: Vec<Value>,
    depth: usize,
) -> Result<Vec<u8>> {
    check(table, &values)?;
    let old = match txn.get(table.id, key)? {
        Some(bytes) => decode(table, &bytes)?,
        None => return Err(EngineError::Corrupted("updated row is gone".into())),
    };
    let new_key = primary_key(table, &values).unwrap_or_else(|| key.to_vec());
    if new_key != key {
        if txn.contains(table.id, &new_key)? {
            return Err(duplicate_key(table));
        }
        txn.delete(table.id, key.to_vec());
    }
    index::remove(txn, table, &old, key);
    index::add(txn, table, &values, &new_key)?;
    foreign::check_parents(txn, table, &values, Some(&old))?;
    // The new row first: a cascaded child row then finds its new parent key.
    txn.put(table.id, new_key.clone(), encode(table, &values));
    foreign::on_parent_change(txn, table, &old, Some(&values), depth)?;
    Ok(new_key)
}

/// A row to rewrite: its key, its values as stored, its new values.
pub type Rewrite = (Vec<u8>, Vec<Value>, Vec<Value>);

/// Rewrites every row of `rows`, stored under the definition `old`, under
/// the table's new definition `new` (a column's type changed, a primary key
/// added): all old keys and index entries go first, then each row is
/// written with its key (its primary key under `new`, else the key it had)
/// and index entries made anew; 23505 for a key two rows now share. Foreign
/// keys' actions are not run.
pub fn rewrite(
    txn: &mut Transaction<'_>,
    old: &TableDef,
    new: &TableDef,
    rows: Vec<Rewrite>,
) -> Result<()> {
    for (key, old_values, _) in &rows {
        index::remove(txn, old, old_values, key);
        txn.delete(old.id, key.clone());
    }
    for (key, _, values) in rows {
        check(new, &values)?;
        let key = primary_key(new, &values).unwrap_or(key);
        if txn.contains(new.id, &key)? {
            return Err(duplicate_key(new));
        }
        index::add(txn, new, &values, &key)?;
        txn.put(new.id, key, encode(new, &values));
    }
    Ok(())
}

/// Deletes the row at `key` from the present (its history stays), with
/// what the foreign keys referencing it require.
pub fn delete(txn: &mut Transaction<'_>, table: &TableDef, key: &[u8]) -> Result<()> {
    delete_at_depth(txn, table, key, 0)
}

pub(crate) fn delete_at_depth(
    txn: &mut Transaction<'_>,
    table: &TableDef,
    key: &[u8],
    depth: usize,
) -> Result<()> {
    let Some(bytes) = txn.get(table.id, key)? else {
        return Ok(());
    };
    let old = decode(table, &bytes)?;
    index::remove(txn, table, &old, key);
    txn.delete(table.id, key.to_vec());
    foreign::on_parent_change(txn, table, &old, None, depth)
}

/// Deletes every row (`TRUNCATE`); history stays. Refused while another
/// table's foreign key references this one, as PostgreSQL does.
pub fn truncate(txn: &mut Transaction<'_>, table: &TableDef) -> Result<usize> {
    if let Some(child) = crate::catalog::referencing(txn, &table.schema, &table.name)?
        .into_iter()
        .find(|c| c.id != table.id)
    {
        return Err(EngineError::Unsupported(format!(
            "TRUNCATE of \"{}\", which table \"{}\" references",
            table.name, child.name
        )));
    }
    let all = (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded);
    let keys: Vec<Vec<u8>> = txn
        .scan(table.id, all)?
        .map(|r| r.map(|(k, _)| k))
        .collect::<Result<_>>()?;
    for i in &table.indexes {
        let entries: Vec<Vec<u8>> = txn
            .scan(i.id, all)?
            .map(|r| r.map(|(k, _)| k))
            .collect::<Result<_>>()?;
        for k in entries {
            txn.delete(i.id, k);
        }
    }
    let n = keys.len();
    for k in keys {
        txn.delete(table.id, k);
    }
    Ok(n)
}

/// The row whose primary key is `pk` (values in key order): now, as this
/// transaction sees it, or right after commit `as_of`.
pub fn get(
    txn: &Transaction<'_>,
    table: &TableDef,
    pk: &[Value],
    as_of: Option<u64>,
) -> Result<Option<Row>> {
    let mut key = Vec::new();
    encode_key(pk, &mut key);
    get_key(txn, table, key, as_of)
}

/// The row stored under `key`: now or right after commit `as_of`.
fn get_key(
    txn: &Transaction<'_>,
    table: &TableDef,
    key: Vec<u8>,
    as_of: Option<u64>,
) -> Result<Option<Row>> {
    let bytes = match as_of {
        None => txn.get(table.id, &key)?,
        Some(seq) => txn.get_as_of(table.id, &key, seq)?.map(|v| v.value),
    };
    bytes.map(|b| Ok((key, decode(table, &b)?))).transpose()
}

/// The present rows (with the transaction's own changes) whose keys an index
/// of `table` lists in `range`, in index order.
pub fn scan_by_index<'t>(
    txn: &'t Transaction<'_>,
    table: &'t TableDef,
    index: &crate::catalog::IndexDef,
    range: KeyRange<'_>,
) -> Result<Box<dyn Iterator<Item = Result<Row>> + 't>> {
    let keys = index::row_keys(txn, index, range, None)?;
    Ok(Box::new(keys.filter_map(move |k| {
        let row = k.and_then(|key| {
            txn.get(table.id, &key)?
                .map(|b| Ok((key, decode(table, &b)?)))
                .transpose()
        });
        row.transpose()
    })))
}

/// The present row at `key` (with this transaction's own changes).
pub fn get_by_key(
    txn: &Transaction<'_>,
    table: &TableDef,
    key: &[u8],
) -> Result<Option<Vec<Value>>> {
    txn.get(table.id, key)?
        .map(|b| decode(table, &b))
        .transpose()
}

/// A key whose values no two rows of a table share: what `ON CONFLICT`
/// checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UniqueKey {
    /// The primary key.
    PrimaryKey,
    /// The unique index with this keyspace id.
    Index(u32),
}

/// Every unique key of `table`: its primary key, then its unique indexes.
pub fn unique_keys(table: &TableDef) -> Vec<UniqueKey> {
    let pk = (!table.primary_key.is_empty()).then_some(UniqueKey::PrimaryKey);
    pk.into_iter()
        .chain(
            table
                .indexes
                .iter()
                .filter(|i| i.unique)
                .map(|i| UniqueKey::Index(i.id)),
        )
        .collect()
}

/// The key of the present row that has `values`' values in `unique`, if
/// any (values with a NULL in the key conflict with nothing).
pub fn conflicting_row(
    txn: &Transaction<'_>,
    table: &TableDef,
    unique: &UniqueKey,
    values: &[Value],
) -> Result<Option<Vec<u8>>> {
    match unique {
        UniqueKey::PrimaryKey => {
            let Some(key) = primary_key(table, values) else {
                return Ok(None);
            };
            Ok(txn.get(table.id, &key)?.map(|_| key))
        }
        UniqueKey::Index(id) => {
            let Some(index) = table.indexes.iter().find(|i| i.id == *id) else {
                return Ok(None);
            };
            let indexed = index::values_of(table, index, values);
            if indexed.iter().any(Value::is_null) {
                return Ok(None);
            }
            let p = index::prefix(&indexed);
            let (lo, hi) = index::prefix_range(&p);
            let range = (
                lo.as_ref().map(Vec::as_slice),
                hi.as_ref().map(Vec::as_slice),
            );
            txn.scan(index.id, range)?
                .next()
                .transpose()
                .map(|entry| entry.map(|(_, row_key)| row_key))
        }
    }
}

/// The rows with keys in `range`, in key order: now (with this transaction's
/// own changes) or right after commit `as_of`.
pub fn scan<'t>(
    txn: &'t Transaction<'_>,
    table: &'t TableDef,
    range: KeyRange<'_>,
    as_of: Option<u64>,
) -> Result<Box<dyn Iterator<Item = Result<Row>> + 't>> {
    // One key (a primary-key lookup): a seek, not a range.
    if let (Bound::Included(lo), Bound::Included(hi)) = range
        && lo == hi
    {
        return Ok(Box::new(
            get_key(txn, table, lo.to_vec(), as_of)
                .transpose()
                .into_iter(),
        ));
    }
    let decoded = move |(k, v): (Vec<u8>, Vec<u8>)| Ok((k, decode(table, &v)?));
    Ok(match as_of {
        None => Box::new(txn.scan(table.id, range)?.map(move |r| r.and_then(decoded))),
        Some(seq) => Box::new(txn.scan_as_of(table.id, range, seq)?.map(move |r| {
            r.map_err(EngineError::from)
                .and_then(|(k, v)| decoded((k, v.value)))
        })),
    })
}

/// Checks that `values` fit `table`: one per column, no NULL in a NOT
/// NULL column (23502), no JSON nested too deeply to read back (54001). Every write checks it; `ON CONFLICT` checks it before
/// looking for a conflict, as PostgreSQL does.
pub fn check(table: &TableDef, values: &[Value]) -> Result<()> {
    if values.len() != table.columns.len() {
        return Err(EngineError::ColumnCount {
            table: table.name.clone(),
            expected: table.columns.len(),
            found: values.len(),
        });
    }
    for (c, v) in table.columns.iter().zip(values) {
        crate::json::check_depth(v)?;
        if !c.nullable && v.is_null() {
            return Err(EngineError::NotNull {
                table: table.name.clone(),
                column: c.name.clone(),
            });
        }
    }
    Ok(())
}

pub(crate) fn primary_key(table: &TableDef, values: &[Value]) -> Option<Vec<u8>> {
    if table.primary_key.is_empty() {
        return None;
    }
    let mut key = Vec::new();
    let pk = table
        .primary_key
        .iter()
        .filter_map(|id| table.columns.iter().position(|c| c.id == *id))
        .filter_map(|i| values.get(i));
    for value in pk {
        encode_key(std::slice::from_ref(value), &mut key);
    }
    Some(key)
}

fn duplicate_key(table: &TableDef) -> EngineError {
    EngineError::UniqueViolation {
        constraint: format!("{}_pkey", table.name),
    }
}

fn encode(table: &TableDef, values: &[Value]) -> Vec<u8> {
    encode_row(table.columns.iter().zip(values).map(|(c, v)| (c.id, v)))
}

/// A stored row's values mapped by column id onto `table`'s columns: a column
/// the row lacks reads as NULL, a stored column the definition lacks is skipped.
pub(crate) fn decode(table: &TableDef, bytes: &[u8]) -> Result<Vec<Value>> {
    let mut stored = decode_row(bytes)?;
    Ok(table
        .columns
        .iter()
        .map(|c| {
            stored
                .iter()
                .position(|(id, _)| *id == c.id)
                .map_or(Value::Null, |i| stored.swap_remove(i).1)
        })
        .collect())
}

/// Checks that `row`'s foreign keys find their referenced rows (when a
/// foreign key is added to a table that has rows).
pub fn check_foreign_keys(txn: &Transaction<'_>, table: &TableDef, row: &[Value]) -> Result<()> {
    foreign::check_parents(txn, table, row, None)
}
