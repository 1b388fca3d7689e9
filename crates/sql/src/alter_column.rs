//! Running `ALTER TABLE … ALTER COLUMN` and `ADD PRIMARY KEY`: the
//! definition changes, and when the stored rows must follow (a new type, a
//! new key), every present row is rewritten as a new version, so the past
//! keeps its old values under the old definition.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use driftdb_engine::catalog::TableDef;
use driftdb_engine::keycode::encode_key;
use driftdb_engine::table::{self, Rewrite};
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::Value;

use crate::bind::HIDDEN_COLUMNS;
use crate::ddl::present_rows;
use crate::error::{Result, SqlError};
use crate::expr::{Env, cast};
use crate::plan::ColumnChange;

/// Applies `change` to column `column` of `def` (the definition is written
/// by the caller).
pub fn alter_column(
    txn: &mut Transaction<'_>,
    def: &mut TableDef,
    column: &str,
    change: ColumnChange,
) -> Result<()> {
    let p = def
        .position_of(column)
        .ok_or_else(|| SqlError::new("42703", format!("column \"{column}\" does not exist")))?;
    let identity = || {
        SqlError::new(
            "42P16",
            format!(
                "column \"{column}\" of relation \"{}\" is an identity column",
                def.name
            ),
        )
    };
    match change {
        ColumnChange::SetDefault(sql) => {
            if def.columns[p].identity.is_some() {
                return Err(identity());
            }
            def.columns[p].default = Some(sql);
        }
        ColumnChange::DropDefault => {
            if def.columns[p].identity.is_none() {
                def.columns[p].default = None;
            }
        }
        ColumnChange::SetNotNull => {
            require_values(txn, def, &[p])?;
            def.columns[p].nullable = false;
        }
        ColumnChange::DropNotNull => {
            if def.primary_key.contains(&def.columns[p].id) {
                return Err(SqlError::new(
                    "42P16",
                    format!("column \"{column}\" is in a primary key"),
                ));
            }
            if def.columns[p].identity.is_some() {
                return Err(identity());
            }
            def.columns[p].nullable = true;
        }
        ColumnChange::SetType { data_type, using } => {
            let old = def.clone();
            def.columns[p].data_type = data_type;
            let cache = RefCell::new(HashMap::new());
            let rows: Vec<Rewrite> = {
                let env = Env::new(txn, &cache);
                present_rows(txn, &old)?
                    .into_iter()
                    .map(|(key, values)| {
                        let mut input = values.clone();
                        input.extend(std::iter::repeat_n(Value::Null, HIDDEN_COLUMNS.len()));
                        let mut new = values.clone();
                        new[p] = cast(using.eval(&input, &env)?, data_type)?;
                        Ok((key, values, new))
                    })
                    .collect::<Result<_>>()?
            };
            table::rewrite(txn, &old, def, rows)?;
        }
    }
    Ok(())
}

/// `ADD PRIMARY KEY (columns)`: the columns become NOT NULL and every row
/// is stored under its key.
pub fn add_primary_key(
    txn: &mut Transaction<'_>,
    def: &mut TableDef,
    columns: &[String],
) -> Result<()> {
    if !def.primary_key.is_empty() {
        return Err(SqlError::new(
            "42P16",
            format!(
                "multiple primary keys for table \"{}\" are not allowed",
                def.name
            ),
        ));
    }
    let positions = columns
        .iter()
        .map(|c| {
            def.position_of(c)
                .ok_or_else(|| SqlError::new("42703", format!("column \"{c}\" does not exist")))
        })
        .collect::<Result<Vec<_>>>()?;
    unique_values(txn, def, &positions)?;
    require_values(txn, def, &positions)?;
    let old = def.clone();
    for &p in &positions {
        def.columns[p].nullable = false;
    }
    def.primary_key = positions.iter().map(|&p| def.columns[p].id).collect();
    let rows: Vec<Rewrite> = present_rows(txn, &old)?
        .into_iter()
        .map(|(key, values)| (key, values.clone(), values))
        .collect();
    Ok(table::rewrite(txn, &old, def, rows)?)
}

/// 23505 when two present rows share values (without NULLs) in the columns
/// at `positions`, as building the new key's unique index finds.
fn unique_values(txn: &Transaction<'_>, def: &TableDef, positions: &[usize]) -> Result<()> {
    let mut seen = HashSet::new();
    for (_, row) in present_rows(txn, def)? {
        let values: Vec<Value> = positions.iter().map(|&p| row[p].clone()).collect();
        if values.iter().any(Value::is_null) {
            continue;
        }
        let mut key = Vec::new();
        encode_key(&values, &mut key);
        if !seen.insert(key) {
            return Err(SqlError::new(
                "23505",
                format!("could not create unique index \"{}_pkey\"", def.name),
            ));
        }
    }
    Ok(())
}

/// 23502 when a present row has NULL in one of the columns at `positions`.
fn require_values(txn: &Transaction<'_>, def: &TableDef, positions: &[usize]) -> Result<()> {
    for (_, row) in present_rows(txn, def)? {
        if let Some(&p) = positions.iter().find(|&&p| row[p].is_null()) {
            return Err(SqlError::new(
                "23502",
                format!(
                    "column \"{}\" of relation \"{}\" contains null values",
                    def.columns[p].name, def.name
                ),
            ));
        }
    }
    Ok(())
}
