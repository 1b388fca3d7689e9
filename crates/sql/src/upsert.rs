//! Running `INSERT … ON CONFLICT`: each proposed row, in order, is checked
//! against the arbiter keys (so a row sees the rows inserted before it by
//! the same statement) and inserted, skipped, or turned into an update of
//! the row it conflicts with.
//!
//! Two concurrent transactions inserting the same new key both find no
//! conflict; the second to commit fails with 40001 (first committer wins)
//! where PostgreSQL would wait and then update.

use std::collections::HashSet;

use driftdb_engine::catalog::TableDef;
use driftdb_engine::error::EngineError;
use driftdb_engine::table;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::Value;

use crate::bind::HIDDEN_COLUMNS;
use crate::error::{Result, SqlError};
use crate::exec::{Cache, assign, enforce_checks};
use crate::expr::{Env, Expr};
use crate::plan::{ConflictUpdate, OnConflict};

/// Inserts `rows` into `table` under `on_conflict` (whose expressions read
/// `params`: a generic plan's values); returns the rows inserted or updated
/// (what `RETURNING` reads and the command tag counts).
pub fn insert(
    txn: &mut Transaction<'_>,
    cache: &Cache,
    params: &[Value],
    table: &TableDef,
    rows: Vec<Vec<Value>>,
    on_conflict: &OnConflict,
    checks: &[(String, Expr)],
) -> Result<Vec<Vec<Value>>> {
    let mut touched: HashSet<Vec<u8>> = HashSet::new();
    let mut written = Vec::with_capacity(rows.len());
    for values in rows {
        table::check(table, &values)?;
        let Some(key) = conflict(txn, table, on_conflict, &values)? else {
            touched.insert(table::insert(txn, table, values.clone())?);
            written.push(values);
            continue;
        };
        let Some(update) = &on_conflict.update else {
            continue;
        };
        if touched.contains(&key) {
            return Err(SqlError::new(
                "21000",
                "ON CONFLICT DO UPDATE command cannot affect row a second time",
            ));
        }
        let existing = table::get_by_key(txn, table, &key)?
            .ok_or_else(|| EngineError::Corrupted("conflicting row is gone".into()))?;
        let env = Env::with_params(txn, cache, params);
        let Some(new) = updated(&env, table, update, checks, existing, values)? else {
            continue;
        };
        touched.insert(table::update(txn, table, &key, new.clone())?);
        written.push(new);
    }
    Ok(written)
}

/// The key of the row `values` conflicts with under the arbiters, if any.
fn conflict(
    txn: &Transaction<'_>,
    table: &TableDef,
    on_conflict: &OnConflict,
    values: &[Value],
) -> Result<Option<Vec<u8>>> {
    for unique in &on_conflict.arbiters {
        if let Some(key) = table::conflicting_row(txn, table, unique, values)? {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// The existing row after `DO UPDATE SET …`, or `None` when its `WHERE`
/// leaves the row alone.
fn updated(
    env: &Env<'_, '_>,
    table: &TableDef,
    update: &ConflictUpdate,
    checks: &[(String, Expr)],
    existing: Vec<Value>,
    proposed: Vec<Value>,
) -> Result<Option<Vec<Value>>> {
    let hidden = || std::iter::repeat_n(Value::Null, HIDDEN_COLUMNS.len());
    let mut input = existing.clone();
    input.extend(hidden());
    input.extend(proposed);
    input.extend(hidden());
    if let Some(filter) = &update.filter
        && !filter.is_true(&input, env)?
    {
        return Ok(None);
    }
    let mut new = existing;
    for (i, e) in &update.set {
        new[*i] = assign(e, &input, table.columns[*i].data_type, env)?;
    }
    enforce_checks(table, checks, &new, env)?;
    Ok(Some(new))
}
