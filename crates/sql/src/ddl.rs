//! Running schema statements: tables with their constraints, `ALTER TABLE`,
//! indexes, views, schemas, `TRUNCATE`. Every change is a new version of a
//! catalog entry, so the schema of any past point stays readable.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Bound;

use driftdb_engine::catalog::{self, CheckDef, ColumnDef, ForeignKeyDef, IndexDef, TableDef};
use driftdb_engine::error::EngineError;
use driftdb_engine::index;
use driftdb_engine::sequence::{self, OwnedBy, SequenceDef};
use driftdb_engine::table;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::Value;

use crate::bind::HIDDEN_COLUMNS;
use crate::error::{Result, SqlError};
use crate::expr::{Env, Expr, cast};
use crate::plan::{AlterOp, NewCheck, NewForeignKey, NewTable};
use crate::system::model::quote_ident;

/// `CREATE TABLE` with its constraints and the sequences of its `SERIAL`
/// and identity columns; `None` when it existed and `IF NOT EXISTS` was
/// given, else the new definition.
pub fn create_table(txn: &mut Transaction<'_>, new: NewTable) -> Result<Option<TableDef>> {
    let NewTable {
        schema,
        name,
        mut columns,
        primary_key,
        if_not_exists,
        checks,
        uniques,
        foreign_keys,
        generated,
    } = new;
    if if_not_exists && catalog::relation_exists(txn, &schema, &name)? {
        return Ok(None);
    }
    for g in generated {
        let column = columns
            .get_mut(g.column)
            .ok_or_else(|| SqlError::new("XX000", "generated column out of range"))?;
        let taken = relation_names(txn, &schema)?;
        let seq_name = unique_name(&format!("{name}_{}_seq", column.name), |n| {
            taken.iter().any(|t| t == n)
        });
        let owner = OwnedBy {
            table: name.clone(),
            column: column.name.clone(),
        };
        let def = SequenceDef::new(&schema, &seq_name, &g.options, Some(owner))?;
        sequence::create_sequence(txn, def)?;
        column.default = Some(nextval_default(&schema, &seq_name));
    }
    let pk: Vec<&str> = primary_key.iter().map(String::as_str).collect();
    let mut def = catalog::create_table(txn, &schema, &name, &columns, &pk)?;
    for c in checks {
        add_check(&mut def, c);
    }
    for (n, cols) in uniques {
        add_index(txn, &mut def, n, &cols, NewIndex::UniqueConstraint, false)?;
    }
    for fk in foreign_keys {
        add_foreign_key(txn, &mut def, fk)?;
    }
    catalog::replace_table(txn, None, &def)?;
    Ok(Some(def))
}

/// The names of the tables, views and sequences of `schema` now.
fn relation_names(txn: &Transaction<'_>, schema: &str) -> Result<Vec<String>> {
    let tables = catalog::list_tables(txn, None)?
        .into_iter()
        .filter(|t| t.schema == schema)
        .map(|t| t.name);
    let views = catalog::list_views(txn, None)?
        .into_iter()
        .filter(|v| v.schema == schema)
        .map(|v| v.name);
    let sequences = sequence::list_sequences(txn, None)?
        .into_iter()
        .filter(|s| s.schema == schema)
        .map(|s| s.name);
    Ok(tables.chain(views).chain(sequences).collect())
}

/// The `DEFAULT` of a column a sequence feeds, as PostgreSQL shows it.
fn nextval_default(schema: &str, seq: &str) -> String {
    let name = if schema == catalog::PUBLIC {
        quote_ident(seq)
    } else {
        format!("{}.{}", quote_ident(schema), quote_ident(seq))
    };
    format!("nextval('{}'::regclass)", name.replace('\'', "''"))
}

/// `CREATE SEQUENCE`; `false` when it existed and `IF NOT EXISTS` was given.
pub fn create_sequence(
    txn: &mut Transaction<'_>,
    def: SequenceDef,
    if_not_exists: bool,
) -> Result<bool> {
    if if_not_exists && catalog::relation_exists(txn, &def.schema, &def.name)? {
        return Ok(false);
    }
    sequence::create_sequence(txn, def)?;
    Ok(true)
}

/// `DROP SEQUENCE`: refused (2BP01) while a column it belongs to exists;
/// `false` when it was missing and `IF EXISTS` was given.
pub fn drop_sequence(
    txn: &mut Transaction<'_>,
    schema: &str,
    name: &str,
    if_exists: bool,
) -> Result<bool> {
    let Some(def) = sequence::get_sequence(txn, schema, name, None)? else {
        if catalog::relation_exists(txn, schema, name)? {
            return Err(SqlError::new(
                "42809",
                format!("\"{name}\" is not a sequence"),
            ));
        }
        if if_exists {
            return Ok(false);
        }
        return Err(SqlError::new(
            "42P01",
            format!("sequence \"{name}\" does not exist"),
        ));
    };
    if let Some(owner) = &def.owned_by
        && let Some(t) = catalog::get_table(txn, schema, &owner.table, None)?
        && t.position_of(&owner.column).is_some()
    {
        return Err(SqlError::new(
            "2BP01",
            format!("cannot drop sequence {name} because other objects depend on it"),
        ));
    }
    sequence::drop_sequence(txn, schema, name)?;
    Ok(true)
}

fn add_check(def: &mut TableDef, c: NewCheck) {
    let name = c.name.unwrap_or_else(|| {
        let base = match &c.column {
            Some(col) => format!("{}_{col}_check", def.name),
            None => format!("{}_check", def.name),
        };
        unique_name(&base, |n| def.checks.iter().any(|x| x.name == n))
    });
    def.checks.push(CheckDef { name, expr: c.expr });
}

/// `base`, or `base1`, `base2`, … whichever is free.
fn unique_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (1..)
        .map(|i| format!("{base}{i}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_string())
}

fn column_ids(def: &TableDef, names: &[String]) -> Result<Vec<u32>> {
    names
        .iter()
        .map(|n| {
            def.columns
                .iter()
                .find(|c| &c.name == n)
                .map(|c| c.id)
                .ok_or_else(|| SqlError::new("42703", format!("column \"{n}\" does not exist")))
        })
        .collect()
}

/// The kind of index `add_index` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NewIndex {
    /// `CREATE INDEX`
    Plain,
    /// `CREATE UNIQUE INDEX`
    Unique,
    /// A `UNIQUE` constraint's, which the catalogs list as a constraint.
    UniqueConstraint,
}

/// Adds an index to `def` and fills it from the present rows. `false` when
/// the name is taken and `if_not_exists` was given.
fn add_index(
    txn: &mut Transaction<'_>,
    def: &mut TableDef,
    name: Option<String>,
    columns: &[String],
    kind: NewIndex,
    if_not_exists: bool,
) -> Result<bool> {
    let ids = column_ids(def, columns)?;
    let name = match name {
        Some(n) => n,
        None => {
            let base = format!(
                "{}_{}_{}",
                def.name,
                columns.join("_"),
                if kind == NewIndex::UniqueConstraint {
                    "key"
                } else {
                    "idx"
                }
            );
            unique_name(&base, |n| def.indexes.iter().any(|i| i.name == n))
        }
    };
    let taken = def.indexes.iter().any(|i| i.name == name)
        || catalog::table_of_index(txn, &def.schema, &name)?.is_some()
        || catalog::get_table(txn, &def.schema, &name, None)?.is_some();
    if taken {
        if if_not_exists {
            return Ok(false);
        }
        return Err(SqlError::new(
            "42P07",
            format!("relation \"{name}\" already exists"),
        ));
    }
    let index = IndexDef {
        id: catalog::new_keyspace(txn)?,
        name,
        unique: kind != NewIndex::Plain,
        constraint: kind == NewIndex::UniqueConstraint,
        columns: ids,
    };
    index::build(txn, def, &index)?;
    def.indexes.push(index);
    Ok(true)
}

fn add_foreign_key(txn: &mut Transaction<'_>, def: &mut TableDef, fk: NewForeignKey) -> Result<()> {
    let columns = column_ids(def, &fk.columns)?;
    let parent = if fk.ref_schema == def.schema && fk.ref_table == def.name {
        def.clone()
    } else {
        catalog::get_table(txn, &fk.ref_schema, &fk.ref_table, None)?.ok_or_else(|| {
            SqlError::new(
                "42P01",
                format!("relation \"{}\" does not exist", fk.ref_table),
            )
        })?
    };
    let ref_columns = if fk.ref_columns.is_empty() {
        let pk: Vec<String> = parent
            .primary_key
            .iter()
            .filter_map(|id| parent.position(*id).map(|p| parent.columns[p].name.clone()))
            .collect();
        if pk.is_empty() {
            return Err(SqlError::new(
                "42830",
                format!(
                    "there is no primary key for referenced table \"{}\"",
                    parent.name
                ),
            ));
        }
        pk
    } else {
        fk.ref_columns
    };
    if ref_columns.len() != columns.len() {
        return Err(SqlError::new(
            "42830",
            "number of referencing and referenced columns for foreign key disagree",
        ));
    }
    let ref_ids = column_ids(&parent, &ref_columns)?;
    let unique = (ref_ids.len() == parent.primary_key.len()
        && ref_ids.iter().all(|id| parent.primary_key.contains(id)))
        || parent
            .indexes
            .iter()
            .any(|i| i.unique && i.columns == ref_ids);
    if !unique {
        return Err(SqlError::new(
            "42830",
            format!(
                "there is no unique constraint matching given keys for referenced table \"{}\"",
                parent.name
            ),
        ));
    }
    let name = fk.name.unwrap_or_else(|| {
        let base = format!("{}_{}_fkey", def.name, fk.columns.join("_"));
        unique_name(&base, |n| def.foreign_keys.iter().any(|f| f.name == n))
    });
    def.foreign_keys.push(ForeignKeyDef {
        name,
        columns,
        ref_schema: parent.schema.clone(),
        ref_table: parent.name.clone(),
        ref_columns,
        on_delete: fk.on_delete,
        on_update: fk.on_update,
    });
    Ok(())
}

/// The present rows of `def`'s table, with their keys.
pub(crate) fn present_rows(txn: &Transaction<'_>, def: &TableDef) -> Result<Vec<table::Row>> {
    Ok(
        table::scan(txn, def, (Bound::Unbounded, Bound::Unbounded), None)?
            .collect::<std::result::Result<_, _>>()?,
    )
}

/// `ALTER TABLE`; returns the command tag.
pub fn alter_table(txn: &mut Transaction<'_>, table: TableDef, op: AlterOp) -> Result<()> {
    let mut def = table;
    let old_name = def.name.clone();
    match op {
        AlterOp::AddColumn {
            column,
            if_not_exists,
            fill,
        } => {
            if def.position_of(&column.name).is_some() {
                if if_not_exists {
                    return Ok(());
                }
                return Err(SqlError::new(
                    "42701",
                    format!(
                        "column \"{}\" of relation \"{}\" already exists",
                        column.name, def.name
                    ),
                ));
            }
            let id = def.next_column_id;
            def.next_column_id += 1;
            def.columns.push(ColumnDef {
                id,
                name: column.name.clone(),
                data_type: column.data_type,
                nullable: column.nullable,
                default: column.default,
                identity: column.identity,
                comment: None,
            });
            let cache = RefCell::new(HashMap::new());
            let value = cast(fill.eval(&[], &Env::new(txn, &cache))?, column.data_type)?;
            let rows = present_rows(txn, &def)?;
            if value.is_null() && !column.nullable && !rows.is_empty() {
                return Err(SqlError::new(
                    "23502",
                    format!(
                        "column \"{}\" of relation \"{}\" contains null values",
                        column.name, def.name
                    ),
                ));
            }
            catalog::replace_table(txn, None, &def)?;
            if !value.is_null() {
                for (key, mut row) in rows {
                    if let Some(last) = row.last_mut() {
                        *last = value.clone();
                    }
                    table::update(txn, &def, &key, row)?;
                }
            }
            return Ok(());
        }
        AlterOp::DropColumn { name, if_exists } => {
            let Some(p) = def.position_of(&name) else {
                if if_exists {
                    return Ok(());
                }
                return Err(no_column(&name, &def.name));
            };
            let id = def.columns[p].id;
            if def.primary_key.contains(&id) {
                return Err(SqlError::unsupported(
                    "dropping a column of the primary key",
                ));
            }
            def.columns.remove(p);
            sequence::drop_owned(txn, &def.schema, &def.name, Some(&name))?;
            def.indexes.retain(|i| !i.columns.contains(&id));
            def.foreign_keys.retain(|f| !f.columns.contains(&id));
        }
        AlterOp::RenameColumn { from, to } => {
            let p = def
                .position_of(&from)
                .ok_or_else(|| no_column(&from, &def.name))?;
            if def.position_of(&to).is_some() {
                return Err(SqlError::new(
                    "42701",
                    format!(
                        "column \"{to}\" of relation \"{}\" already exists",
                        def.name
                    ),
                ));
            }
            def.columns[p].name = to.clone();
            sequence::retarget(txn, &def.schema, &def.name, |o| {
                if o.column == from {
                    o.column.clone_from(&to);
                }
            })?;
            // Foreign keys of other tables name the referenced columns.
            for mut child in catalog::referencing(txn, &def.schema, &def.name)? {
                for f in &mut child.foreign_keys {
                    if f.ref_schema == def.schema && f.ref_table == def.name {
                        for c in &mut f.ref_columns {
                            if *c == from {
                                c.clone_from(&to);
                            }
                        }
                    }
                }
                if child.id != def.id {
                    catalog::replace_table(txn, None, &child)?;
                }
            }
        }
        AlterOp::RenameTable(to) => {
            for mut child in catalog::referencing(txn, &def.schema, &def.name)? {
                if child.id == def.id {
                    continue;
                }
                for f in &mut child.foreign_keys {
                    if f.ref_schema == def.schema && f.ref_table == def.name {
                        f.ref_table.clone_from(&to);
                    }
                }
                catalog::replace_table(txn, None, &child)?;
            }
            for f in &mut def.foreign_keys {
                if f.ref_schema == def.schema && f.ref_table == def.name {
                    f.ref_table.clone_from(&to);
                }
            }
            sequence::retarget(txn, &def.schema, &def.name, |o| o.table.clone_from(&to))?;
            def.name = to;
        }
        AlterOp::AddUnique { name, columns } => {
            add_index(
                txn,
                &mut def,
                name,
                &columns,
                NewIndex::UniqueConstraint,
                false,
            )?;
        }
        AlterOp::AddCheck(check, bound) => {
            let cache = RefCell::new(HashMap::new());
            let env = Env::new(txn, &cache);
            for (_, row) in present_rows(txn, &def)? {
                if failed_check(&bound, row, &env)? {
                    let name = check
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("{}_check", def.name));
                    return Err(SqlError::new(
                        "23514",
                        format!(
                            "check constraint \"{name}\" of relation \"{}\" is violated by some row",
                            def.name
                        ),
                    ));
                }
            }
            add_check(&mut def, check);
        }
        AlterOp::AddForeignKey(fk) => {
            add_foreign_key(txn, &mut def, fk)?;
            for (_, row) in present_rows(txn, &def)? {
                table::check_foreign_keys(txn, &def, &row)?;
            }
        }
        AlterOp::AddPrimaryKey(columns) => {
            crate::alter_column::add_primary_key(txn, &mut def, &columns)?;
        }
        AlterOp::AlterColumn { column, change } => {
            crate::alter_column::alter_column(txn, &mut def, &column, change)?;
        }
        AlterOp::DropConstraint { name, if_exists } => {
            crate::drop_constraint::drop_constraint(txn, &mut def, &name, if_exists)?;
        }
    }
    catalog::replace_table(txn, Some(&old_name), &def)?;
    Ok(())
}

/// Whether `row` makes `check` false (NULL passes, as in PostgreSQL).
pub fn failed_check(check: &Expr, mut row: Vec<Value>, env: &Env<'_, '_>) -> Result<bool> {
    row.extend(std::iter::repeat_n(Value::Null, HIDDEN_COLUMNS.len()));
    Ok(matches!(check.eval(&row, env)?, Value::Bool(false)))
}

fn no_column(name: &str, table: &str) -> SqlError {
    SqlError::new(
        "42703",
        format!("column \"{name}\" of relation \"{table}\" does not exist"),
    )
}

/// `CREATE INDEX`; `false` when it existed and `IF NOT EXISTS` was given.
pub fn create_index(
    txn: &mut Transaction<'_>,
    table: TableDef,
    name: String,
    columns: &[String],
    unique: bool,
    if_not_exists: bool,
) -> Result<bool> {
    let mut def = table;
    let kind = if unique {
        NewIndex::Unique
    } else {
        NewIndex::Plain
    };
    if !add_index(txn, &mut def, Some(name), columns, kind, if_not_exists)? {
        return Ok(false);
    }
    catalog::replace_table(txn, None, &def)?;
    Ok(true)
}

/// `DROP INDEX`; the name of its table, or `None` when it did not exist and
/// `IF EXISTS` was given.
pub fn drop_index(
    txn: &mut Transaction<'_>,
    schema: &str,
    name: &str,
    if_exists: bool,
) -> Result<Option<String>> {
    let Some(mut def) = catalog::table_of_index(txn, schema, name)? else {
        if if_exists {
            return Ok(None);
        }
        return Err(EngineError::UndefinedIndex(name.to_string()).into());
    };
    def.indexes.retain(|i| i.name != name);
    catalog::replace_table(txn, None, &def)?;
    Ok(Some(format!("{}.{}", def.schema, def.name)))
}

/// Refuses to drop a table that other tables' foreign keys or views depend on.
pub fn check_droppable(txn: &Transaction<'_>, schema: &str, name: &str) -> Result<()> {
    let qualified = format!("{schema}.{name}");
    if let Some(view) = catalog::list_views(txn, None)?
        .into_iter()
        .find(|v| v.depends_on.contains(&qualified))
    {
        return Err(SqlError::new(
            "2BP01",
            format!(
                "cannot drop table {name} because other objects depend on it (view {} reads it)",
                view.name
            ),
        ));
    }
    if let Some(child) = catalog::referencing(txn, schema, name)?
        .into_iter()
        .find(|c| !(c.schema == schema && c.name == name))
    {
        return Err(SqlError::new(
            "2BP01",
            format!(
                "cannot drop table {name} because other objects depend on it (table {} references it)",
                child.name
            ),
        ));
    }
    Ok(())
}
