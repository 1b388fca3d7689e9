//! The catalog over real storage: create, look up, drop, and the schema of the past.

use driftdb_engine::catalog::{self, FIRST_TABLE_ID, NewColumn};
use driftdb_engine::error::Result;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::DataType;
use driftdb_storage::{Options, Storage, StorageError};

fn open() -> Result<(tempfile::TempDir, Storage)> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let storage = Storage::open(dir.path(), Options::default())?;
    Ok((dir, storage))
}

fn col(name: &str, data_type: DataType) -> NewColumn {
    NewColumn {
        name: name.into(),
        data_type,
        nullable: true,
        default: None,
        identity: None,
    }
}

#[test]
fn tables_are_created_found_dropped_and_kept_in_history() -> Result<()> {
    let (_dir, s) = open()?;
    let mut t = Transaction::begin(&s)?;
    let users = catalog::create_table(
        &mut t,
        "public",
        "users",
        &[
            col("id", DataType::Int8),
            col("name", DataType::Varchar(Some(40))),
        ],
        &["id"],
    )?;
    assert_eq!(users.id, FIRST_TABLE_ID);
    assert!(
        !users.columns[0].nullable,
        "primary-key columns are NOT NULL"
    );
    assert_eq!(users.primary_key, vec![users.columns[0].id]);
    // Visible to its own transaction before commit.
    assert_eq!(
        catalog::get_table(&t, "public", "users", None)?,
        Some(users.clone())
    );
    let created = t
        .commit(Vec::new(), true)?
        .map(|c| c.seq)
        .unwrap_or_default();

    let mut t = Transaction::begin(&s)?;
    let dup = catalog::create_table(&mut t, "public", "users", &[col("x", DataType::Bool)], &[]);
    assert_eq!(dup.err().map(|e| e.sqlstate()), Some("42P07"));
    let other =
        catalog::create_table(&mut t, "public", "orders", &[col("x", DataType::Bool)], &[])?;
    assert_eq!(other.id, FIRST_TABLE_ID + 1);
    t.commit(Vec::new(), true)?;

    let mut t = Transaction::begin(&s)?;
    catalog::drop_table(&mut t, "public", "users")?;
    let dropped = t
        .commit(Vec::new(), true)?
        .map(|c| c.seq)
        .unwrap_or_default();

    let mut t = Transaction::begin(&s)?;
    assert_eq!(catalog::get_table(&t, "public", "users", None)?, None);
    assert_eq!(
        catalog::get_table(&t, "public", "users", Some(created))?,
        Some(users.clone())
    );
    assert_eq!(
        catalog::get_table(&t, "public", "users", Some(dropped))?,
        None
    );
    assert_eq!(catalog::get_table(&t, "public", "users", Some(0))?, None);
    let names = |defs: Vec<catalog::TableDef>| defs.into_iter().map(|d| d.name).collect::<Vec<_>>();
    assert_eq!(names(catalog::list_tables(&t, None)?), ["orders"]);
    assert_eq!(
        names(catalog::list_tables(&t, Some(dropped - 1))?),
        ["orders", "users"]
    );
    assert_eq!(
        catalog::drop_table(&mut t, "public", "users")
            .err()
            .map(|e| e.sqlstate()),
        Some("42P01")
    );
    // A new table of the same name gets a new id: the old rows keep theirs.
    let again =
        catalog::create_table(&mut t, "public", "users", &[col("id", DataType::Int4)], &[])?;
    assert_eq!(again.id, FIRST_TABLE_ID + 2);
    Ok(())
}

#[test]
fn bad_definitions_are_refused() -> Result<()> {
    let (_dir, s) = open()?;
    let mut t = Transaction::begin(&s)?;
    let twice = catalog::create_table(
        &mut t,
        "public",
        "t",
        &[col("a", DataType::Int4), col("a", DataType::Text)],
        &[],
    );
    assert_eq!(twice.err().map(|e| e.sqlstate()), Some("42701"));
    let missing_pk =
        catalog::create_table(&mut t, "public", "t", &[col("a", DataType::Int4)], &["b"]);
    assert_eq!(missing_pk.err().map(|e| e.sqlstate()), Some("42703"));
    assert!(!t.has_writes(), "a refused CREATE TABLE writes nothing");
    Ok(())
}

#[test]
fn every_type_survives_the_catalog() -> Result<()> {
    let (_dir, s) = open()?;
    let types = [
        DataType::Bool,
        DataType::Int2,
        DataType::Int4,
        DataType::Int8,
        DataType::Float4,
        DataType::Float8,
        DataType::Text,
        DataType::Varchar(None),
        DataType::Varchar(Some(12)),
        DataType::Char(3),
        DataType::Bytea,
        DataType::Date,
        DataType::Time,
        DataType::Timestamp,
        DataType::Timestamptz,
        DataType::Interval,
        DataType::Uuid,
    ];
    let columns: Vec<_> = types
        .iter()
        .enumerate()
        .map(|(i, t)| col(&format!("c{i}"), *t))
        .collect();
    let mut t = Transaction::begin(&s)?;
    catalog::create_schema(&mut t, "s")?;
    let def = catalog::create_table(&mut t, "s", "all_types", &columns, &[])?;
    t.commit(Vec::new(), true)?;
    let t = Transaction::begin(&s)?;
    assert_eq!(catalog::get_table(&t, "s", "all_types", None)?, Some(def));
    Ok(())
}
