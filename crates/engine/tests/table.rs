//! Rows over real storage: checks, keys, updates, deletes and old schemas.

use std::ops::Bound;

use driftdb_engine::catalog::{self, NewColumn, TableDef};
use driftdb_engine::error::Result;
use driftdb_engine::table;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{DataType, Value};
use driftdb_storage::{Options, Storage, StorageError};

const ALL: (Bound<&[u8]>, Bound<&[u8]>) = (Bound::Unbounded, Bound::Unbounded);

fn open() -> Result<(tempfile::TempDir, Storage)> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let storage = Storage::open(dir.path(), Options::default())?;
    Ok((dir, storage))
}

fn create(s: &Storage, name: &str, pk: &[&str]) -> Result<TableDef> {
    let mut t = Transaction::begin(s)?;
    let def = catalog::create_table(
        &mut t,
        "public",
        name,
        &[
            NewColumn {
                name: "id".into(),
                data_type: DataType::Int4,
                nullable: true,
                default: None,
                identity: None,
            },
            NewColumn {
                name: "name".into(),
                data_type: DataType::Text,
                nullable: false,
                default: None,
                identity: None,
            },
        ],
        pk,
    )?;
    t.commit(Vec::new(), true)?;
    Ok(def)
}

fn values(rows: Vec<table::Row>) -> Vec<Vec<Value>> {
    rows.into_iter().map(|(_, v)| v).collect()
}

fn row(id: i32, name: &str) -> Vec<Value> {
    vec![Value::Int4(id), Value::Text(name.into())]
}

#[test]
fn rows_are_checked_keyed_and_read_back_in_key_order() -> Result<()> {
    let (_dir, s) = open()?;
    let def = create(&s, "people", &["id"])?;
    let mut t = Transaction::begin(&s)?;
    for (id, name) in [(3, "cy"), (-1, "ann"), (2, "bo")] {
        table::insert(&mut t, &def, row(id, name))?;
    }
    let dup = table::insert(&mut t, &def, row(2, "again"));
    assert_eq!(dup.err().map(|e| e.sqlstate()), Some("23505"));
    let null = table::insert(&mut t, &def, vec![Value::Int4(9), Value::Null]);
    assert_eq!(null.err().map(|e| e.sqlstate()), Some("23502"));
    let short = table::insert(&mut t, &def, vec![Value::Int4(9)]);
    assert_eq!(short.err().map(|e| e.sqlstate()), Some("42601"));
    let created = t
        .commit(Vec::new(), true)?
        .map(|c| c.seq)
        .unwrap_or_default();

    let mut t = Transaction::begin(&s)?;
    let rows: Vec<_> = table::scan(&t, &def, ALL, None)?.collect::<Result<_>>()?;
    assert_eq!(
        values(rows),
        vec![row(-1, "ann"), row(2, "bo"), row(3, "cy")]
    );
    // Duplicate keys are refused against committed rows too.
    assert!(table::insert(&mut t, &def, row(3, "dup")).is_err());

    // Update moves a row to its new key; delete hides it from the present.
    let (key, _) = table::get(&t, &def, &[Value::Int4(2)], None)?.unwrap_or_default();
    table::update(&mut t, &def, &key, row(20, "bo"))?;
    let (key, _) = table::get(&t, &def, &[Value::Int4(-1)], None)?.unwrap_or_default();
    table::delete(&mut t, &def, &key)?;
    t.commit(Vec::new(), true)?;

    let t = Transaction::begin(&s)?;
    let now: Vec<_> = table::scan(&t, &def, ALL, None)?.collect::<Result<_>>()?;
    assert_eq!(values(now), vec![row(3, "cy"), row(20, "bo")]);
    let then: Vec<_> = table::scan(&t, &def, ALL, Some(created))?.collect::<Result<_>>()?;
    assert_eq!(
        values(then),
        vec![row(-1, "ann"), row(2, "bo"), row(3, "cy")]
    );
    assert_eq!(
        table::get(&t, &def, &[Value::Int4(-1)], Some(created))?.map(|r| r.1),
        Some(row(-1, "ann"))
    );
    Ok(())
}

#[test]
fn tables_without_a_primary_key_get_distinct_row_ids() -> Result<()> {
    let (_dir, s) = open()?;
    let def = create(&s, "log", &[])?;
    for _ in 0..3 {
        let mut t = Transaction::begin(&s)?;
        for _ in 0..4 {
            table::insert(&mut t, &def, row(1, "same"))?;
        }
        t.commit(Vec::new(), true)?;
    }
    let t = Transaction::begin(&s)?;
    let rows: Vec<_> = table::scan(&t, &def, ALL, None)?.collect::<Result<_>>()?;
    assert_eq!(rows.len(), 12);
    Ok(())
}

#[test]
fn rows_read_under_an_older_or_newer_definition() -> Result<()> {
    let (_dir, s) = open()?;
    let def = create(&s, "people", &["id"])?;
    let mut t = Transaction::begin(&s)?;
    table::insert(&mut t, &def, row(1, "ann"))?;
    t.commit(Vec::new(), true)?;
    // A definition with a column added later reads it as NULL; one without
    // a stored column skips it.
    let mut wider = def.clone();
    wider.columns.push(catalog::ColumnDef {
        id: def.next_column_id,
        name: "age".into(),
        data_type: DataType::Int2,
        nullable: true,
        default: None,
        identity: None,
        comment: None,
    });
    let mut narrower = def.clone();
    narrower.columns.retain(|c| c.name != "name");
    let t = Transaction::begin(&s)?;
    let wide: Vec<_> = table::scan(&t, &wider, ALL, None)?.collect::<Result<_>>()?;
    assert_eq!(
        values(wide),
        vec![vec![Value::Int4(1), Value::Text("ann".into()), Value::Null]]
    );
    let narrow: Vec<_> = table::scan(&t, &narrower, ALL, None)?.collect::<Result<_>>()?;
    assert_eq!(values(narrow), vec![vec![Value::Int4(1)]]);
    Ok(())
}
