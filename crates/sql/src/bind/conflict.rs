//! Binding `INSERT … ON CONFLICT`: the conflict target inferred to the
//! table's unique keys, and `DO UPDATE SET … WHERE …` over the existing row
//! and the proposed one (`EXCLUDED`).

use sqlparser::ast::{self, ConflictTarget, OnConflictAction};

use driftdb_engine::catalog::TableDef;
use driftdb_engine::table::{UniqueKey, unique_keys};

use super::dml::table_scope;
use super::scope::Scope;
use super::{Binder, ident, last_part};
use crate::error::{Result, SqlError};
use crate::plan::{ConflictUpdate, OnConflict};

impl Binder<'_, '_> {
    /// The `ON CONFLICT` clause of an `INSERT` into `table` (named `alias`
    /// in its expressions when `INSERT INTO t AS alias`).
    pub(super) fn on_conflict(
        &self,
        table: &TableDef,
        alias: Option<&str>,
        oc: &ast::OnConflict,
    ) -> Result<OnConflict> {
        let update = match &oc.action {
            OnConflictAction::DoNothing => None,
            OnConflictAction::DoUpdate(u) => Some(u),
        };
        let arbiters = match &oc.conflict_target {
            None if update.is_some() => {
                return Err(SqlError::new(
                    "42601",
                    "ON CONFLICT DO UPDATE requires inference specification or constraint name",
                ));
            }
            None => unique_keys(table),
            Some(ConflictTarget::Columns {
                columns,
                predicate: None,
            }) => inferred(table, &columns.iter().map(ident).collect::<Vec<_>>())?,
            Some(ConflictTarget::Columns { .. }) => {
                return Err(SqlError::unsupported(
                    "ON CONFLICT with an index predicate (DriftDB has no partial indexes)",
                ));
            }
            Some(ConflictTarget::OnConstraint(name)) => vec![named(table, &last_part(name)?)?],
        };
        let update = update
            .map(|u| self.conflict_update(table, alias, u))
            .transpose()?;
        Ok(OnConflict { arbiters, update })
    }

    fn conflict_update(
        &self,
        table: &TableDef,
        alias: Option<&str>,
        u: &ast::DoUpdate,
    ) -> Result<ConflictUpdate> {
        // The existing row, then the proposed one as `EXCLUDED` (a bare
        // column name is ambiguous between them, as in PostgreSQL).
        let scope = Scope::join(
            table_scope(table, alias),
            table_scope(table, Some("excluded")),
        );
        let mut set = Vec::with_capacity(u.assignments.len());
        for a in &u.assignments {
            let (i, value) = self.assignment(table, a, &scope)?;
            set.push((i, value));
        }
        let filter = u
            .selection
            .as_ref()
            .map(|e| self.condition(e, &scope, "WHERE"))
            .transpose()?;
        Ok(ConflictUpdate { set, filter })
    }
}

/// The unique keys whose columns are exactly `names` (in any order): 42P10
/// when none is.
fn inferred(table: &TableDef, names: &[String]) -> Result<Vec<UniqueKey>> {
    let mut ids = Vec::with_capacity(names.len());
    for n in names {
        let c = table
            .columns
            .iter()
            .find(|c| c.name == *n)
            .ok_or_else(|| SqlError::new("42703", format!("column \"{n}\" does not exist")))?;
        ids.push(c.id);
    }
    ids.sort_unstable();
    ids.dedup();
    let same = |cols: &[u32]| {
        let mut cols = cols.to_vec();
        cols.sort_unstable();
        cols == ids
    };
    let keys: Vec<UniqueKey> = unique_keys(table)
        .into_iter()
        .filter(|k| match k {
            UniqueKey::PrimaryKey => same(&table.primary_key),
            UniqueKey::Index(id) => table
                .indexes
                .iter()
                .any(|i| i.id == *id && same(&i.columns)),
        })
        .collect();
    if keys.is_empty() {
        return Err(SqlError::new(
            "42P10",
            "there is no unique or exclusion constraint matching the ON CONFLICT specification",
        ));
    }
    Ok(keys)
}

/// The unique key `ON CONFLICT ON CONSTRAINT name` names.
fn named(table: &TableDef, name: &str) -> Result<UniqueKey> {
    if !table.primary_key.is_empty() && name == format!("{}_pkey", table.name) {
        return Ok(UniqueKey::PrimaryKey);
    }
    match table
        .indexes
        .iter()
        .find(|i| i.name == name && i.constraint)
    {
        Some(i) => Ok(UniqueKey::Index(i.id)),
        None => Err(SqlError::new(
            "42704",
            format!(
                "constraint \"{name}\" for table \"{}\" does not exist",
                table.name
            ),
        )),
    }
}
