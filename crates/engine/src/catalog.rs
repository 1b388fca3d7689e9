//! The catalog: table definitions, stored versioned like the data, so the
//! schema of any past point is read exactly like the data of that point, and a
//! dropped table's definition stays in history.
//!
//! ```text
//! keyspace 0 (tables)    keycode(schema, name) -> table definition
//! keyspace 1 (counters)  "table_id"            -> next table keyspace: u32 LE
//! keyspaces 1024..       one per table: its rows
//!
//! definition = format u8 (1) | id u32 | schema str | name str | next_column_id u32
//!              | n u32 | column* | n_pk u32 | pk column id u32*
//! column     = id u32 | name str | type | nullable u8
//! type       = tag u8 | (varchar: has_len u8, len u32) | (char: len u32)
//!              | (numeric, tag 17: has_typmod u8, precision u32, scale u32)
//! str        = len u32 | UTF-8 bytes;  all integers little-endian
//! ```
//!
//! Table ids come from one counter and are never reused, so a dropped table's
//! rows keep their keyspace and stay readable in the past.

use std::ops::Bound;

use driftdb_storage::KeyRange;

use crate::bytes::{ByteReader, put_str};
use crate::error::{EngineError, Result};
use crate::keycode::encode_key;
use crate::txn::Transaction;
use crate::value::{DataType, Value};

/// Keyspace of table definitions.
pub const TABLES: u32 = 0;
/// Keyspace of counters.
pub const COUNTERS: u32 = 1;
/// The first keyspace given to a table.
pub const FIRST_TABLE_ID: u32 = 1024;
const TABLE_ID_COUNTER: &[u8] = b"table_id";
const ALL: KeyRange<'static> = (Bound::Unbounded, Bound::Unbounded);
const FORMAT: u8 = 2;

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// Stable id, never reused within the table; rows refer to columns by it.
    pub id: u32,
    /// The column's name.
    pub name: String,
    /// Its type.
    pub data_type: DataType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The `DEFAULT` expression, as SQL text (`None`: NULL).
    pub default: Option<String>,
}

/// A secondary index: its entries live in their own keyspace, versioned like
/// rows, so the index as of a past point is read like the table as of it.
///
/// ```text
/// entry key   = keycode(indexed values) | row key     entry value = row key
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    /// The index's keyspace (from the table-id counter, never reused).
    pub id: u32,
    /// Its name (unique among the schema's tables and indexes).
    pub name: String,
    /// Whether two rows may not share non-NULL values.
    pub unique: bool,
    /// Ids of the indexed columns, in key order.
    pub columns: Vec<u32>,
}

/// What a foreign key does to referencing rows when the referenced row goes
/// or changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FkAction {
    /// `NO ACTION` / `RESTRICT`: refuse (23503).
    Restrict,
    /// `CASCADE`: delete (or update) them too.
    Cascade,
    /// `SET NULL`: set their referencing columns to NULL.
    SetNull,
}

/// A `FOREIGN KEY` of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyDef {
    /// Constraint name.
    pub name: String,
    /// Ids of the referencing columns of this table.
    pub columns: Vec<u32>,
    /// The referenced table's schema.
    pub ref_schema: String,
    /// The referenced table's name.
    pub ref_table: String,
    /// Names of the referenced columns (its primary key or a unique index).
    pub ref_columns: Vec<String>,
    /// `ON DELETE`
    pub on_delete: FkAction,
    /// `ON UPDATE`
    pub on_update: FkAction,
}

/// A `CHECK` constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDef {
    /// Constraint name.
    pub name: String,
    /// The condition, as SQL text over the table's columns.
    pub expr: String,
}

/// A table's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// The table's id, which is also the keyspace of its rows.
    pub id: u32,
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Columns in their declared order.
    pub columns: Vec<ColumnDef>,
    /// Ids of the primary key's columns, in key order (empty: none declared).
    pub primary_key: Vec<u32>,
    /// The id the next added column gets.
    pub next_column_id: u32,
    /// `CHECK` constraints.
    pub checks: Vec<CheckDef>,
    /// Secondary indexes (UNIQUE constraints are unique indexes).
    pub indexes: Vec<IndexDef>,
    /// Foreign keys of this table.
    pub foreign_keys: Vec<ForeignKeyDef>,
}

impl TableDef {
    /// Position of the column with id `id`.
    pub fn position(&self, id: u32) -> Option<usize> {
        self.columns.iter().position(|c| c.id == id)
    }

    /// Position of the column named `name`.
    pub fn position_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// A column as `CREATE TABLE` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewColumn {
    /// Name.
    pub name: String,
    /// Type.
    pub data_type: DataType,
    /// Whether NULL is allowed (primary-key columns never are).
    pub nullable: bool,
    /// The `DEFAULT` expression as SQL text.
    pub default: Option<String>,
}

fn table_key(schema: &str, name: &str) -> Vec<u8> {
    let mut key = Vec::new();
    encode_key(
        &[Value::Text(schema.into()), Value::Text(name.into())],
        &mut key,
    );
    key
}

/// Creates a table; its primary key is `primary_key`, by column name.
pub fn create_table(
    txn: &mut Transaction<'_>,
    schema: &str,
    name: &str,
    columns: &[NewColumn],
    primary_key: &[&str],
) -> Result<TableDef> {
    let key = table_key(schema, name);
    if txn.get(TABLES, &key)?.is_some() {
        return Err(EngineError::DuplicateTable(name.to_string()));
    }
    let mut defs: Vec<ColumnDef> = Vec::with_capacity(columns.len());
    for (id, c) in (1u32..).zip(columns) {
        if defs.iter().any(|d| d.name == c.name) {
            return Err(EngineError::DuplicateColumn(c.name.clone()));
        }
        defs.push(ColumnDef {
            id,
            name: c.name.clone(),
            data_type: c.data_type,
            nullable: c.nullable && !primary_key.contains(&c.name.as_str()),
            default: c.default.clone(),
        });
    }
    let pk = primary_key
        .iter()
        .map(|n| {
            defs.iter()
                .find(|d| d.name == *n)
                .map(|d| d.id)
                .ok_or_else(|| EngineError::UndefinedColumn((*n).to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let id = next_table_id(txn)?;
    let def = TableDef {
        id,
        schema: schema.to_string(),
        name: name.to_string(),
        next_column_id: defs.len() as u32 + 1,
        columns: defs,
        primary_key: pk,
        checks: Vec::new(),
        indexes: Vec::new(),
        foreign_keys: Vec::new(),
    };
    if get_view(txn, schema, name, None)?.is_some() {
        return Err(EngineError::DuplicateTable(name.to_string()));
    }
    require_schema(txn, schema)?;
    txn.put(TABLES, key, encode_table(&def));
    Ok(def)
}

/// Writes `def` as the table's new definition (ALTER TABLE, constraints,
/// indexes); `old_name` is its name before, when it is renamed.
pub fn replace_table(
    txn: &mut Transaction<'_>,
    old_name: Option<&str>,
    def: &TableDef,
) -> Result<()> {
    if let Some(old) = old_name.filter(|o| *o != def.name) {
        if get_table(txn, &def.schema, &def.name, None)?.is_some()
            || get_view(txn, &def.schema, &def.name, None)?.is_some()
        {
            return Err(EngineError::DuplicateTable(def.name.clone()));
        }
        txn.delete(TABLES, table_key(&def.schema, old));
    }
    txn.put(TABLES, table_key(&def.schema, &def.name), encode_table(def));
    Ok(())
}

/// A fresh keyspace id for a table or an index.
pub fn new_keyspace(txn: &mut Transaction<'_>) -> Result<u32> {
    next_table_id(txn)
}

/// The table of `schema` that has an index named `name`, now.
pub fn table_of_index(txn: &Transaction<'_>, schema: &str, name: &str) -> Result<Option<TableDef>> {
    Ok(list_tables(txn, None)?
        .into_iter()
        .find(|t| t.schema == schema && t.indexes.iter().any(|i| i.name == name)))
}

/// The tables whose foreign keys reference `schema.name`, now.
pub fn referencing(txn: &Transaction<'_>, schema: &str, name: &str) -> Result<Vec<TableDef>> {
    let all = txn.cached_tables(|| list_tables(txn, None))?;
    Ok(all
        .iter()
        .filter(|t| {
            t.foreign_keys
                .iter()
                .any(|f| f.ref_schema == schema && f.ref_table == name)
        })
        .cloned()
        .collect())
}

/// Keyspace of schemas: `keycode(name)` -> empty.
pub const SCHEMAS: u32 = 2;
/// Keyspace of views: `keycode(schema, name)` -> view definition.
pub const VIEWS: u32 = 3;
/// The schema every database has.
pub const PUBLIC: &str = "public";

fn schema_key(name: &str) -> Vec<u8> {
    let mut key = Vec::new();
    encode_key(&[Value::Text(name.into())], &mut key);
    key
}

/// Whether schema `name` exists now (`public` always does).
pub fn schema_exists(txn: &Transaction<'_>, name: &str) -> Result<bool> {
    Ok(name == PUBLIC || txn.get(SCHEMAS, &schema_key(name))?.is_some())
}

fn require_schema(txn: &Transaction<'_>, name: &str) -> Result<()> {
    if schema_exists(txn, name)? {
        Ok(())
    } else {
        Err(EngineError::UndefinedSchema(name.to_string()))
    }
}

/// `CREATE SCHEMA`.
pub fn create_schema(txn: &mut Transaction<'_>, name: &str) -> Result<()> {
    if schema_exists(txn, name)? {
        return Err(EngineError::DuplicateSchema(name.to_string()));
    }
    txn.put(SCHEMAS, schema_key(name), Vec::new());
    Ok(())
}

/// `DROP SCHEMA`: refused while it holds tables or views unless `cascade`,
/// which drops them (their history stays).
pub fn drop_schema(txn: &mut Transaction<'_>, name: &str, cascade: bool) -> Result<()> {
    if name == PUBLIC || !schema_exists(txn, name)? {
        return Err(EngineError::UndefinedSchema(name.to_string()));
    }
    let tables: Vec<TableDef> = list_tables(txn, None)?
        .into_iter()
        .filter(|t| t.schema == name)
        .collect();
    let views = list_views(txn, None)?
        .into_iter()
        .filter(|v| v.schema == name)
        .collect::<Vec<_>>();
    if !cascade && (!tables.is_empty() || !views.is_empty()) {
        return Err(EngineError::DependentObjects(format!(
            "cannot drop schema {name} because other objects depend on it"
        )));
    }
    for t in tables {
        txn.delete(TABLES, table_key(&t.schema, &t.name));
    }
    for v in views {
        txn.delete(VIEWS, table_key(&v.schema, &v.name));
    }
    txn.delete(SCHEMAS, schema_key(name));
    Ok(())
}

/// Names of the schemas now (`public` first).
pub fn list_schemas(txn: &Transaction<'_>) -> Result<Vec<String>> {
    let mut names = vec![PUBLIC.to_string()];
    for r in txn.scan(SCHEMAS, ALL)? {
        let (k, _) = r?;
        let mut rd = crate::keycode::decode_text_key(&k)
            .ok_or_else(|| EngineError::Corrupted("schema key".into()))?;
        names.push(std::mem::take(&mut rd));
    }
    Ok(names)
}

/// A view: a stored query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewDef {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// The query, as SQL text.
    pub sql: String,
    /// Output column names given by `CREATE VIEW v (a, b)` (empty: the query's).
    pub columns: Vec<String>,
    /// The tables it reads, as `schema.name`: they cannot be dropped while
    /// it exists.
    pub depends_on: Vec<String>,
}

/// `CREATE VIEW`.
pub fn create_view(txn: &mut Transaction<'_>, view: &ViewDef, or_replace: bool) -> Result<()> {
    require_schema(txn, &view.schema)?;
    if get_table(txn, &view.schema, &view.name, None)?.is_some()
        || (!or_replace && get_view(txn, &view.schema, &view.name, None)?.is_some())
    {
        return Err(EngineError::DuplicateTable(view.name.clone()));
    }
    let mut out = vec![FORMAT];
    put_str(&mut out, &view.schema);
    put_str(&mut out, &view.name);
    put_str(&mut out, &view.sql);
    out.extend_from_slice(&(view.columns.len() as u32).to_le_bytes());
    for c in &view.columns {
        put_str(&mut out, c);
    }
    out.extend_from_slice(&(view.depends_on.len() as u32).to_le_bytes());
    for d in &view.depends_on {
        put_str(&mut out, d);
    }
    txn.put(VIEWS, table_key(&view.schema, &view.name), out);
    Ok(())
}

/// `DROP VIEW`.
pub fn drop_view(txn: &mut Transaction<'_>, schema: &str, name: &str) -> Result<()> {
    if get_view(txn, schema, name, None)?.is_none() {
        return Err(EngineError::UndefinedTable(name.to_string()));
    }
    txn.delete(VIEWS, table_key(schema, name));
    Ok(())
}

/// The view `schema.name` now or right after commit `as_of`.
pub fn get_view(
    txn: &Transaction<'_>,
    schema: &str,
    name: &str,
    as_of: Option<u64>,
) -> Result<Option<ViewDef>> {
    let key = table_key(schema, name);
    let bytes = match as_of {
        None => txn.get(VIEWS, &key)?,
        Some(seq) => txn.get_as_of(VIEWS, &key, seq)?.map(|v| v.value),
    };
    bytes.map(|b| decode_view(&b)).transpose()
}

/// Every view now, or right after commit `as_of`.
pub fn list_views(txn: &Transaction<'_>, as_of: Option<u64>) -> Result<Vec<ViewDef>> {
    match as_of {
        None => txn
            .scan(VIEWS, ALL)?
            .map(|r| r.and_then(|(_, v)| decode_view(&v)))
            .collect(),
        Some(seq) => txn
            .scan_as_of(VIEWS, ALL, seq)?
            .map(|r| {
                r.map_err(EngineError::from)
                    .and_then(|(_, v)| decode_view(&v.value))
            })
            .collect(),
    }
}

fn decode_view(bytes: &[u8]) -> Result<ViewDef> {
    let mut r = Reader(ByteReader::new(bytes));
    let format = r.u8()?;
    if format != FORMAT {
        return Err(EngineError::Corrupted(format!(
            "view definition format {format}"
        )));
    }
    let schema = r.string()?;
    let name = r.string()?;
    let sql = r.string()?;
    let n = r.count()?;
    let columns = (0..n).map(|_| r.string()).collect::<Result<Vec<_>>>()?;
    let n = r.count()?;
    let depends_on = (0..n).map(|_| r.string()).collect::<Result<Vec<_>>>()?;
    Ok(ViewDef {
        schema,
        name,
        sql,
        columns,
        depends_on,
    })
}

fn next_table_id(txn: &mut Transaction<'_>) -> Result<u32> {
    let id = match txn.get(COUNTERS, TABLE_ID_COUNTER)? {
        Some(bytes) => u32::from_le_bytes(
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| EngineError::Corrupted("table id counter".into()))?,
        ),
        None => FIRST_TABLE_ID,
    };
    let next = id
        .checked_add(1)
        .ok_or_else(|| EngineError::Corrupted("table ids exhausted".into()))?;
    txn.put(
        COUNTERS,
        TABLE_ID_COUNTER.to_vec(),
        next.to_le_bytes().to_vec(),
    );
    Ok(id)
}

/// The table `schema.name` now (`as_of` = `None`, including this transaction's
/// own changes) or right after commit `as_of`.
pub fn get_table(
    txn: &Transaction<'_>,
    schema: &str,
    name: &str,
    as_of: Option<u64>,
) -> Result<Option<TableDef>> {
    let key = table_key(schema, name);
    let bytes = match as_of {
        None => txn.get(TABLES, &key)?,
        Some(seq) => txn.get_as_of(TABLES, &key, seq)?.map(|v| v.value),
    };
    bytes.map(|b| decode_table(&b)).transpose()
}

/// Drops `schema.name`: gone from the present, kept in history.
pub fn drop_table(txn: &mut Transaction<'_>, schema: &str, name: &str) -> Result<TableDef> {
    let def = get_table(txn, schema, name, None)?
        .ok_or_else(|| EngineError::UndefinedTable(name.to_string()))?;
    txn.delete(TABLES, table_key(schema, name));
    Ok(def)
}

/// `UNDROP TABLE`: brings back the definition `schema.name` had when it was
/// last dropped. Its rows were never removed, so they come back with it.
pub fn undrop_table(txn: &mut Transaction<'_>, schema: &str, name: &str) -> Result<TableDef> {
    if get_table(txn, schema, name, None)?.is_some() {
        return Err(EngineError::DuplicateTable(name.to_string()));
    }
    let bytes = last_definition(txn, schema, name)?
        .ok_or_else(|| EngineError::UndefinedTable(name.to_string()))?;
    let def = decode_table(&bytes)?;
    txn.put(TABLES, table_key(schema, name), bytes);
    Ok(def)
}

/// The table's definition now or, when it has been dropped, the last one it
/// had: what a read of its whole history reads rows under.
pub fn latest_table(txn: &Transaction<'_>, schema: &str, name: &str) -> Result<Option<TableDef>> {
    match get_table(txn, schema, name, None)? {
        Some(def) => Ok(Some(def)),
        None => last_definition(txn, schema, name)?
            .map(|b| decode_table(&b))
            .transpose(),
    }
}

/// The newest stored definition of `schema.name`, dropped or not.
fn last_definition(txn: &Transaction<'_>, schema: &str, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(txn
        .snapshot()
        .history(TABLES, &table_key(schema, name))?
        .into_iter()
        .next_back()
        .map(|v| v.value))
}

/// Every table now, or right after commit `as_of`, in (schema, name) order.
pub fn list_tables(txn: &Transaction<'_>, as_of: Option<u64>) -> Result<Vec<TableDef>> {
    let decode = |bytes: &[u8]| decode_table(bytes);
    match as_of {
        None => txn
            .scan(TABLES, ALL)?
            .map(|r| r.and_then(|(_, v)| decode(&v)))
            .collect(),
        Some(seq) => txn
            .scan_as_of(TABLES, ALL, seq)?
            .map(|r| {
                r.map_err(EngineError::from)
                    .and_then(|(_, v)| decode(&v.value))
            })
            .collect(),
    }
}

fn encode_table(def: &TableDef) -> Vec<u8> {
    let mut out = vec![FORMAT];
    out.extend_from_slice(&def.id.to_le_bytes());
    put_str(&mut out, &def.schema);
    put_str(&mut out, &def.name);
    out.extend_from_slice(&def.next_column_id.to_le_bytes());
    out.extend_from_slice(&(def.columns.len() as u32).to_le_bytes());
    for c in &def.columns {
        out.extend_from_slice(&c.id.to_le_bytes());
        put_str(&mut out, &c.name);
        crate::type_code::put_type(&mut out, c.data_type);
        out.push(u8::from(c.nullable));
    }
    out.extend_from_slice(&(def.primary_key.len() as u32).to_le_bytes());
    for id in &def.primary_key {
        out.extend_from_slice(&id.to_le_bytes());
    }
    // Format 2: defaults, checks, indexes, foreign keys.
    let defaults: Vec<&ColumnDef> = def.columns.iter().filter(|c| c.default.is_some()).collect();
    out.extend_from_slice(&(defaults.len() as u32).to_le_bytes());
    for c in defaults {
        out.extend_from_slice(&c.id.to_le_bytes());
        put_str(&mut out, c.default.as_deref().unwrap_or_default());
    }
    out.extend_from_slice(&(def.checks.len() as u32).to_le_bytes());
    for c in &def.checks {
        put_str(&mut out, &c.name);
        put_str(&mut out, &c.expr);
    }
    out.extend_from_slice(&(def.indexes.len() as u32).to_le_bytes());
    for i in &def.indexes {
        out.extend_from_slice(&i.id.to_le_bytes());
        put_str(&mut out, &i.name);
        out.push(u8::from(i.unique));
        put_ids(&mut out, &i.columns);
    }
    out.extend_from_slice(&(def.foreign_keys.len() as u32).to_le_bytes());
    for f in &def.foreign_keys {
        put_str(&mut out, &f.name);
        put_ids(&mut out, &f.columns);
        put_str(&mut out, &f.ref_schema);
        put_str(&mut out, &f.ref_table);
        out.extend_from_slice(&(f.ref_columns.len() as u32).to_le_bytes());
        for c in &f.ref_columns {
            put_str(&mut out, c);
        }
        out.push(action_tag(f.on_delete));
        out.push(action_tag(f.on_update));
    }
    out
}

fn put_ids(out: &mut Vec<u8>, ids: &[u32]) {
    out.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    for id in ids {
        out.extend_from_slice(&id.to_le_bytes());
    }
}

fn action_tag(a: FkAction) -> u8 {
    match a {
        FkAction::Restrict => 0,
        FkAction::Cascade => 1,
        FkAction::SetNull => 2,
    }
}

fn decode_table(bytes: &[u8]) -> Result<TableDef> {
    let mut r = Reader(ByteReader::new(bytes));
    let format = r.u8()?;
    if format != 1 && format != FORMAT {
        return Err(EngineError::Corrupted(format!(
            "table definition format {format}"
        )));
    }
    let id = r.u32()?;
    let schema = r.string()?;
    let name = r.string()?;
    let next_column_id = r.u32()?;
    let n = r.count()?;
    let mut columns = Vec::with_capacity(n);
    for _ in 0..n {
        columns.push(ColumnDef {
            id: r.u32()?,
            name: r.string()?,
            data_type: r.data_type()?,
            nullable: r.u8()? != 0,
            default: None,
        });
    }
    let n = r.count()?;
    let primary_key = (0..n).map(|_| r.u32()).collect::<Result<Vec<_>>>()?;
    let (mut checks, mut indexes, mut foreign_keys) = (Vec::new(), Vec::new(), Vec::new());
    if format >= 2 {
        for _ in 0..r.count()? {
            let id = r.u32()?;
            let sql = r.string()?;
            let c = columns
                .iter_mut()
                .find(|c| c.id == id)
                .ok_or_else(|| EngineError::Corrupted("default of an unknown column".into()))?;
            c.default = Some(sql);
        }
        for _ in 0..r.count()? {
            checks.push(CheckDef {
                name: r.string()?,
                expr: r.string()?,
            });
        }
        for _ in 0..r.count()? {
            indexes.push(IndexDef {
                id: r.u32()?,
                name: r.string()?,
                unique: r.u8()? != 0,
                columns: r.ids()?,
            });
        }
        for _ in 0..r.count()? {
            foreign_keys.push(ForeignKeyDef {
                name: r.string()?,
                columns: r.ids()?,
                ref_schema: r.string()?,
                ref_table: r.string()?,
                ref_columns: {
                    let n = r.count()?;
                    (0..n).map(|_| r.string()).collect::<Result<Vec<_>>>()?
                },
                on_delete: r.action()?,
                on_update: r.action()?,
            });
        }
    }
    if r.0.remaining() != 0 {
        return Err(EngineError::Corrupted(
            "trailing bytes in a table definition".into(),
        ));
    }
    Ok(TableDef {
        id,
        schema,
        name,
        columns,
        primary_key,
        next_column_id,
        checks,
        indexes,
        foreign_keys,
    })
}

struct Reader<'a>(ByteReader<'a>);

impl Reader<'_> {
    fn u8(&mut self) -> Result<u8> {
        self.0.u8().map_err(EngineError::Corrupted)
    }
    fn u32(&mut self) -> Result<u32> {
        self.0.u32().map_err(EngineError::Corrupted)
    }
    /// A count of items that must each take at least a byte of what is left.
    fn count(&mut self) -> Result<usize> {
        let n = self.u32()? as usize;
        if n > self.0.remaining() {
            return Err(EngineError::Corrupted(
                "count exceeds the definition".into(),
            ));
        }
        Ok(n)
    }
    fn string(&mut self) -> Result<String> {
        self.0.string().map_err(EngineError::Corrupted)
    }
    fn ids(&mut self) -> Result<Vec<u32>> {
        let n = self.count()?;
        (0..n).map(|_| self.u32()).collect()
    }
    fn action(&mut self) -> Result<FkAction> {
        Ok(match self.u8()? {
            0 => FkAction::Restrict,
            1 => FkAction::Cascade,
            2 => FkAction::SetNull,
            tag => return Err(EngineError::Corrupted(format!("unknown FK action {tag}"))),
        })
    }
    fn data_type(&mut self) -> Result<DataType> {
        crate::type_code::read_type(&mut self.0).map_err(EngineError::Corrupted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numeric_types_are_laid_out_as_documented() {
        let mut out = Vec::new();
        crate::type_code::put_type(&mut out, DataType::Numeric(Some((10, 2))));
        crate::type_code::put_type(&mut out, DataType::Numeric(None));
        assert_eq!(
            out,
            [
                17, 1, 10, 0, 0, 0, 2, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0
            ]
        );
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = decode_table(&bytes);
        }

        #[test]
        fn definitions_round_trip(
            id in any::<u32>(),
            name in "[a-z]{1,8}",
            columns in proptest::collection::vec(("[a-z]{1,6}", any::<bool>(), 0u32..6), 0..6),
        ) {
            let def = TableDef {
                id,
                schema: "public".into(),
                name,
                columns: (1u32..)
                    .zip(columns)
                    .map(|(id, (name, nullable, len))| ColumnDef {
                        id,
                        name,
                        data_type: match len {
                            0..=3 => DataType::Varchar((len > 0).then_some(len)),
                            4 => DataType::Numeric(None),
                            _ => DataType::Numeric(Some((10, 3))),
                        },
                        nullable,
                        default: (len == 2).then(|| "1 + 1".to_string()),
                    })
                    .collect(),
                primary_key: vec![1],
                next_column_id: 7,
                checks: vec![CheckDef { name: "c".into(), expr: "x > 0".into() }],
                indexes: vec![IndexDef { id: 2000, name: "i".into(), unique: true, columns: vec![1] }],
                foreign_keys: vec![ForeignKeyDef {
                    name: "f".into(),
                    columns: vec![1],
                    ref_schema: "public".into(),
                    ref_table: "p".into(),
                    ref_columns: vec!["id".into()],
                    on_delete: FkAction::Cascade,
                    on_update: FkAction::Restrict,
                }],
            };
            prop_assert_eq!(decode_table(&encode_table(&def))?, def);
        }
    }
}
