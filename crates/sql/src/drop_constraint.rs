//! Running `ALTER TABLE … DROP CONSTRAINT name [IF EXISTS]` (Alembic's
//! `op.drop_constraint`): a `CHECK`, a foreign key, or a `UNIQUE`
//! constraint with its index. The definition changes; the rows stay, and
//! the past keeps the constraint under its old definition.

use driftdb_engine::catalog::{self, TableDef};
use driftdb_engine::txn::Transaction;

use crate::error::{Result, SqlError};

/// Removes constraint `name` from `def` (the definition is written by the
/// caller). A primary key cannot go (rows are keyed by it: 0A000), nor a
/// `UNIQUE` constraint a foreign key needs (2BP01, as without `CASCADE`).
pub fn drop_constraint(
    txn: &Transaction<'_>,
    def: &mut TableDef,
    name: &str,
    if_exists: bool,
) -> Result<()> {
    if let Some(i) = def.checks.iter().position(|c| c.name == name) {
        def.checks.remove(i);
        return Ok(());
    }
    if let Some(i) = def.foreign_keys.iter().position(|f| f.name == name) {
        def.foreign_keys.remove(i);
        return Ok(());
    }
    if let Some(i) = def
        .indexes
        .iter()
        .position(|x| x.constraint && x.name == name)
    {
        let index = def.indexes.remove(i);
        if let Some(child) = needing(txn, def, &index.columns)? {
            return Err(SqlError::new(
                "2BP01",
                format!(
                    "cannot drop constraint {name} on table {} because other objects depend on it (a foreign key of table {child})",
                    def.name
                ),
            ));
        }
        return Ok(());
    }
    if !def.primary_key.is_empty() && name == format!("{}_pkey", def.name) {
        return Err(SqlError::unsupported(format!(
            "dropping the primary key {name}"
        )));
    }
    if if_exists {
        return Ok(());
    }
    Err(SqlError::new(
        "42704",
        format!(
            "constraint \"{name}\" of relation \"{}\" does not exist",
            def.name
        ),
    ))
}

/// The table with a foreign key to `columns` of `def` that no remaining
/// unique key of `def` (its primary key or a unique index) serves.
fn needing(txn: &Transaction<'_>, def: &TableDef, columns: &[u32]) -> Result<Option<String>> {
    let served = (columns.len() == def.primary_key.len()
        && columns.iter().all(|c| def.primary_key.contains(c)))
        || def.indexes.iter().any(|i| i.unique && i.columns == columns);
    if served {
        return Ok(None);
    }
    for child in catalog::referencing(txn, &def.schema, &def.name)? {
        let needs = child.foreign_keys.iter().any(|f| {
            f.ref_schema == def.schema
                && f.ref_table == def.name
                && f.ref_columns
                    .iter()
                    .map(|n| def.position_of(n).map(|p| def.columns[p].id))
                    .collect::<Option<Vec<u32>>>()
                    .is_some_and(|ids| ids == columns)
        });
        if needs {
            return Ok(Some(child.name));
        }
    }
    Ok(None)
}
