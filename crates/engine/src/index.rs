//! Secondary index entries: kept in step with the rows, versioned like them,
//! and read now or as of any past point.
//!
//! ```text
//! unique index, no NULL in the values:  keycode(values)           -> row key
//! otherwise:                            keycode(values) | row key -> row key
//! ```
//!
//! A unique entry's key is the values alone, so two transactions inserting
//! the same value write the same key and the second committer fails with
//! 40001 (the storage layer's first-committer-wins rule), as with primary keys.

use std::ops::Bound;

use crate::catalog::{IndexDef, TableDef};
use crate::error::{EngineError, Result};
use crate::keycode::{encode_key, prefix_end};
use crate::txn::Transaction;
use crate::value::Value;

/// The indexed values of a row, in index order.
pub fn values_of(table: &TableDef, index: &IndexDef, row: &[Value]) -> Vec<Value> {
    columns_of(table, &index.columns, row)
}

/// The values of the columns `ids` of `row` (NULL for a column not there).
pub(crate) fn columns_of(table: &TableDef, ids: &[u32], row: &[Value]) -> Vec<Value> {
    ids.iter()
        .map(|id| {
            table
                .position(*id)
                .and_then(|p| row.get(p).cloned())
                .unwrap_or(Value::Null)
        })
        .collect()
}

/// The key prefix of `values` in an index.
pub fn prefix(values: &[Value]) -> Vec<u8> {
    let mut p = Vec::new();
    encode_key(values, &mut p);
    p
}

/// The range of entry keys that start with `prefix`.
pub fn prefix_range(prefix: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    (
        Bound::Included(prefix.to_vec()),
        prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded),
    )
}

fn entry_key(index: &IndexDef, values: &[Value], row_key: &[u8]) -> Vec<u8> {
    let mut key = prefix(values);
    if !index.unique || values.iter().any(Value::is_null) {
        key.extend_from_slice(row_key);
    }
    key
}

/// Adds a row's entries to every index of `table`; a unique index that
/// already holds the values fails with 23505.
pub fn add(
    txn: &mut Transaction<'_>,
    table: &TableDef,
    row: &[Value],
    row_key: &[u8],
) -> Result<()> {
    for index in &table.indexes {
        let values = values_of(table, index, row);
        if index.unique && !values.iter().any(Value::is_null) {
            let p = prefix(&values);
            let r = prefix_range(&p);
            let range = (
                r.0.as_ref().map(Vec::as_slice),
                r.1.as_ref().map(Vec::as_slice),
            );
            for entry in txn.scan(index.id, range)? {
                let (_, owner) = entry?;
                if owner != row_key {
                    return Err(EngineError::UniqueViolation {
                        constraint: index.name.clone(),
                    });
                }
            }
        }
        txn.put(
            index.id,
            entry_key(index, &values, row_key),
            row_key.to_vec(),
        );
    }
    Ok(())
}

/// Removes a row's entries from every index of `table`.
pub fn remove(txn: &mut Transaction<'_>, table: &TableDef, row: &[Value], row_key: &[u8]) {
    for index in &table.indexes {
        let values = values_of(table, index, row);
        txn.delete(index.id, entry_key(index, &values, row_key));
    }
}

/// Fills a new index with the present rows of `table` (`CREATE INDEX`).
pub fn build(txn: &mut Transaction<'_>, table: &TableDef, index: &IndexDef) -> Result<()> {
    let rows: Vec<(Vec<u8>, Vec<Value>)> =
        crate::table::scan(txn, table, (Bound::Unbounded, Bound::Unbounded), None)?
            .collect::<Result<_>>()?;
    let only = TableDef {
        indexes: vec![index.clone()],
        ..table.clone()
    };
    for (key, row) in rows {
        add(txn, &only, &row, &key)?;
    }
    Ok(())
}

/// Row keys of the entries in `range` of `index`, in index order: now
/// (with the transaction's own changes) or right after commit `as_of`.
pub fn row_keys<'t>(
    txn: &'t Transaction<'_>,
    index: &IndexDef,
    range: (Bound<&[u8]>, Bound<&[u8]>),
    as_of: Option<u64>,
) -> Result<Box<dyn Iterator<Item = Result<Vec<u8>>> + 't>> {
    Ok(match as_of {
        None => Box::new(txn.scan(index.id, range)?.map(|r| r.map(|(_, v)| v))),
        Some(seq) => Box::new(
            txn.scan_as_of(index.id, range, seq)?
                .map(|r| r.map(|(_, v)| v.value).map_err(EngineError::from)),
        ),
    })
}
