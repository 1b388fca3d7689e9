//! Foreign keys: a referencing row needs its referenced row (MATCH SIMPLE: a
//! NULL in the referencing columns needs nothing), and a referenced row that
//! goes or changes takes its `ON DELETE`/`ON UPDATE` action with it.

use std::ops::Bound;

use crate::catalog::{self, FkAction, ForeignKeyDef, TableDef};
use crate::error::{EngineError, Result};
use crate::index;
use crate::keycode::encode_key;
use crate::table;
use crate::txn::Transaction;
use crate::value::Value;

/// How deep cascades may chain before they are refused.
const MAX_DEPTH: usize = 64;

/// `v` as a value of the same type as `like` when both are integers, so keys
/// of different integer widths meet.
fn as_type_of(v: &Value, like: crate::value::DataType) -> Value {
    use crate::value::DataType as T;
    let i = match v {
        Value::Int2(i) => i64::from(*i),
        Value::Int4(i) => i64::from(*i),
        Value::Int8(i) => *i,
        other => return other.clone(),
    };
    match like {
        T::Int2 => i16::try_from(i).map_or(Value::Int8(i), Value::Int2),
        T::Int4 => i32::try_from(i).map_or(Value::Int8(i), Value::Int4),
        T::Int8 => Value::Int8(i),
        _ => v.clone(),
    }
}

/// Positions of the referenced columns in the parent.
fn ref_positions(parent: &TableDef, fk: &ForeignKeyDef) -> Result<Vec<usize>> {
    fk.ref_columns
        .iter()
        .map(|n| {
            parent
                .position_of(n)
                .ok_or_else(|| EngineError::UndefinedColumn(n.clone()))
        })
        .collect()
}

/// Whether `parent` has a present row whose referenced columns hold `vals`.
fn parent_has(
    txn: &Transaction<'_>,
    parent: &TableDef,
    fk: &ForeignKeyDef,
    vals: &[Value],
) -> Result<bool> {
    let positions = ref_positions(parent, fk)?;
    let typed: Vec<Value> = vals
        .iter()
        .zip(&positions)
        .map(|(v, p)| as_type_of(v, parent.columns[*p].data_type))
        .collect();
    let ids: Vec<u32> = positions.iter().map(|p| parent.columns[*p].id).collect();
    // The primary key: one point read.
    if !parent.primary_key.is_empty()
        && parent.primary_key.len() == ids.len()
        && parent.primary_key.iter().all(|id| ids.contains(id))
    {
        let ordered: Vec<Value> = parent
            .primary_key
            .iter()
            .filter_map(|id| ids.iter().position(|x| x == id).map(|i| typed[i].clone()))
            .collect();
        let mut key = Vec::new();
        encode_key(&ordered, &mut key);
        return txn.contains(parent.id, &key);
    }
    // A unique index on those columns: one prefix read.
    if let Some(ix) = parent.indexes.iter().find(|i| i.columns == ids) {
        let p = index::prefix(&typed);
        let r = index::prefix_range(&p);
        let range = (
            r.0.as_ref().map(Vec::as_slice),
            r.1.as_ref().map(Vec::as_slice),
        );
        return Ok(index::row_keys(txn, ix, range, None)?
            .next()
            .transpose()?
            .is_some());
    }
    for r in table::scan(txn, parent, (Bound::Unbounded, Bound::Unbounded), None)? {
        let (_, row) = r?;
        if positions.iter().zip(vals).all(|(p, v)| same(&row[*p], v)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// SQL equality of two non-NULL values, integers of any width alike.
fn same(a: &Value, b: &Value) -> bool {
    if a.is_null() || b.is_null() {
        return false;
    }
    match (a.data_type(), b.data_type()) {
        (Some(t), _) => as_type_of(b, t).sql_cmp(a) == Some(std::cmp::Ordering::Equal),
        _ => false,
    }
}

/// Checks that every foreign key of `table` finds its referenced row for
/// `row` (only the keys whose values changed from `old`, on update).
pub fn check_parents(
    txn: &Transaction<'_>,
    table: &TableDef,
    row: &[Value],
    old: Option<&[Value]>,
) -> Result<()> {
    for fk in &table.foreign_keys {
        let vals = index::columns_of(table, &fk.columns, row);
        if vals.iter().any(Value::is_null) {
            continue;
        }
        if let Some(old) = old
            && index::columns_of(table, &fk.columns, old) == vals
        {
            continue;
        }
        let found = if fk.ref_schema == table.schema && fk.ref_table == table.name {
            // A self-reference may be satisfied by this very row.
            let positions = ref_positions(table, fk)?;
            positions.iter().zip(&vals).all(|(p, v)| same(&row[*p], v))
                || parent_has(txn, table, fk, &vals)?
        } else {
            let parent = catalog::get_table(txn, &fk.ref_schema, &fk.ref_table, None)?
                .ok_or_else(|| EngineError::UndefinedTable(fk.ref_table.clone()))?;
            parent_has(txn, &parent, fk, &vals)?
        };
        if !found {
            return Err(EngineError::ForeignKeyViolation(format!(
                "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                table.name, fk.name
            )));
        }
    }
    Ok(())
}

/// A referenced row of `parent` was deleted (`new` = `None`) or updated to
/// `new`: applies each referencing foreign key's action to the rows that
/// referenced `old`.
pub fn on_parent_change(
    txn: &mut Transaction<'_>,
    parent: &TableDef,
    old: &[Value],
    new: Option<&[Value]>,
    depth: usize,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(EngineError::Unsupported(
            "foreign key cascades nested more than 64 deep".into(),
        ));
    }
    let children = catalog::referencing(txn, &parent.schema, &parent.name)?;
    for child in children {
        for fk in child
            .foreign_keys
            .iter()
            .filter(|f| f.ref_schema == parent.schema && f.ref_table == parent.name)
        {
            let positions = ref_positions(parent, fk)?;
            let old_vals: Vec<Value> = positions.iter().map(|p| old[*p].clone()).collect();
            if old_vals.iter().any(Value::is_null) {
                continue;
            }
            let new_vals: Option<Vec<Value>> =
                new.map(|n| positions.iter().map(|p| n[*p].clone()).collect());
            if new_vals
                .as_ref()
                .is_some_and(|n| n.iter().zip(&old_vals).all(|(a, b)| same(a, b)))
            {
                continue;
            }
            let action = if new.is_some() {
                fk.on_update
            } else {
                fk.on_delete
            };
            let rows = referencing_rows(txn, &child, fk, &old_vals)?;
            for (key, row) in rows {
                match action {
                    FkAction::Restrict => {
                        return Err(EngineError::ForeignKeyViolation(format!(
                            "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{}\"",
                            parent.name, fk.name, child.name
                        )));
                    }
                    FkAction::Cascade => match &new_vals {
                        None => table::delete_at_depth(txn, &child, &key, depth + 1)?,
                        Some(nv) => {
                            let mut row = row;
                            for (id, v) in fk.columns.iter().zip(nv) {
                                if let Some(p) = child.position(*id) {
                                    row[p] = as_type_of(v, child.columns[p].data_type);
                                }
                            }
                            table::update_at_depth(txn, &child, &key, row, depth + 1)?;
                        }
                    },
                    FkAction::SetNull => {
                        let mut row = row;
                        for id in &fk.columns {
                            if let Some(p) = child.position(*id) {
                                row[p] = Value::Null;
                            }
                        }
                        table::update_at_depth(txn, &child, &key, row, depth + 1)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The present rows of `child` whose foreign key `fk` holds `vals`.
fn referencing_rows(
    txn: &Transaction<'_>,
    child: &TableDef,
    fk: &ForeignKeyDef,
    vals: &[Value],
) -> Result<Vec<table::Row>> {
    let positions: Vec<usize> = fk
        .columns
        .iter()
        .filter_map(|id| child.position(*id))
        .collect();
    let mut out = Vec::new();
    for r in table::scan(txn, child, (Bound::Unbounded, Bound::Unbounded), None)? {
        let (key, row) = r?;
        if positions.iter().zip(vals).all(|(p, v)| same(&row[*p], v)) {
            out.push((key, row));
        }
    }
    Ok(out)
}
