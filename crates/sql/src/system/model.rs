//! The engine's catalog as PostgreSQL's catalogs see it: namespaces,
//! relations (tables, views, indexes, and the system relations themselves),
//! their attributes and constraints, each with its OID. Built from the
//! catalog as of the transaction's snapshot (or a past seq), once per read.
//!
//! OIDs are stable: a table or index is `16384 + its keyspace id` (the engine
//! never reuses those); `public` is 2200 and `pg_catalog` 11 as in
//! PostgreSQL; what the engine keeps no id for (other schemas, views,
//! constraints, defaults, primary-key indexes) gets a hash of its name and
//! owner's id in `0x4000_0000..0x8000_0000`, above anything PostgreSQL
//! assigns at initdb.

use std::cell::Cell;
use std::ops::Bound;

use driftdb_engine::catalog::{self, FkAction, Identity, TableDef};
use driftdb_engine::sequence::{self, SequenceDef};
use driftdb_engine::txn::Transaction;

use super::types;
use crate::error::Result;

/// OID of the `pg_catalog` namespace.
pub const PG_CATALOG_OID: u32 = 11;
/// OID of `public`.
pub const PUBLIC_OID: u32 = 2200;
/// OID of `information_schema`.
pub const INFORMATION_SCHEMA_OID: u32 = 13_000;
/// OID of the one role, the superuser `driftdb`.
pub const SUPERUSER_OID: u32 = 10;
/// Name of that role.
pub const SUPERUSER: &str = "driftdb";
/// OID of the database.
pub const DATABASE_OID: u32 = 16_384;
/// First OID of a relation stored in a keyspace.
pub const FIRST_USER_OID: u32 = 16_384;
/// Access method `heap` (tables).
pub const HEAP_AM: u32 = 2;
/// Access method `btree` (indexes).
pub const BTREE_AM: u32 = 403;
/// First OID of the system relations, numbered in their list's order.
pub const FIRST_SYSTEM_OID: u32 = 12_000;

/// A stable OID for an object the engine keeps no id for.
pub fn hashed_oid(kind: &str, name: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in kind.bytes().chain([0]).chain(name.bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    0x4000_0000 | (h & 0x3fff_ffff)
}

/// The OID of schema `name`.
pub fn namespace_oid(name: &str) -> u32 {
    match name {
        "pg_catalog" => PG_CATALOG_OID,
        catalog::PUBLIC => PUBLIC_OID,
        "information_schema" => INFORMATION_SCHEMA_OID,
        other => hashed_oid("namespace", other),
    }
}

/// A schema.
#[derive(Debug, Clone)]
pub struct Namespace {
    /// OID.
    pub oid: u32,
    /// Name.
    pub name: String,
}

/// A column of a relation.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// `attnum`, from 1.
    pub num: i16,
    /// Name.
    pub name: String,
    /// Type OID.
    pub type_oid: u32,
    /// Type modifier.
    pub typmod: i32,
    /// `NOT NULL`
    pub not_null: bool,
    /// The `DEFAULT` expression as SQL text, as PostgreSQL prints it back.
    pub default: Option<String>,
    /// `GENERATED … AS IDENTITY`
    pub identity: Option<Identity>,
}

impl Attribute {
    /// `attcollation`: the default collation for text types, else 0.
    pub fn collation(&self) -> u32 {
        types::pg_type(self.type_oid).map_or(0, |t| t.collation)
    }
}

/// What a relation is (`relkind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `r`: a table (also the system catalogs).
    Table,
    /// `v`: a view (also `information_schema`'s relations and `pg_tables` …).
    View,
    /// `i`: an index.
    Index,
    /// `S`: a sequence.
    Sequence,
}

impl Kind {
    /// The `relkind` letter.
    pub fn letter(self) -> &'static str {
        match self {
            Kind::Table => "r",
            Kind::View => "v",
            Kind::Index => "i",
            Kind::Sequence => "S",
        }
    }
}

/// An index (including the one a primary key is).
#[derive(Debug, Clone)]
pub struct Index {
    /// The indexed table's OID.
    pub table: u32,
    /// Unique.
    pub unique: bool,
    /// The primary key.
    pub primary: bool,
    /// `attnum`s of the indexed columns of the table.
    pub keys: Vec<i16>,
}

/// A relation: a row of `pg_class`.
#[derive(Debug, Clone)]
pub struct Relation {
    /// OID.
    pub oid: u32,
    /// Name.
    pub name: String,
    /// Its schema's name.
    pub schema: String,
    /// Its schema's OID.
    pub namespace: u32,
    /// Table, view or index.
    pub kind: Kind,
    /// Columns.
    pub attributes: Vec<Attribute>,
    /// For an index, what it indexes.
    pub index: Option<Index>,
    /// Number of `CHECK` constraints (tables).
    pub checks: i16,
    /// Whether the table has indexes (its primary key included).
    pub has_index: bool,
    /// A view's query text.
    pub view_sql: Option<String>,
}

/// A constraint: a row of `pg_constraint`.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// OID.
    pub oid: u32,
    /// Name.
    pub name: String,
    /// Its schema's OID.
    pub namespace: u32,
    /// `p`, `u`, `c` or `f`.
    pub kind: char,
    /// The constrained table.
    pub table: u32,
    /// The index that enforces it (p, u; the referenced key's index for f).
    pub index: u32,
    /// The referenced table (f).
    pub ref_table: u32,
    /// Constrained columns.
    pub keys: Vec<i16>,
    /// Referenced columns (f).
    pub ref_keys: Vec<i16>,
    /// `ON UPDATE` / `ON DELETE` codes (`a` no action, `c` cascade, `n` set null).
    pub on_update: char,
    /// See `on_update`.
    pub on_delete: char,
    /// The condition of a `CHECK`.
    pub check: Option<String>,
    /// `pg_get_constraintdef`'s text.
    pub definition: String,
}

/// The catalog of one read.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Schemas.
    pub namespaces: Vec<Namespace>,
    /// Relations.
    pub relations: Vec<Relation>,
    /// Constraints.
    pub constraints: Vec<Constraint>,
    /// Sequences, with their relations' OIDs.
    pub sequences: Vec<(u32, SequenceDef)>,
    /// `COMMENT ON` texts: relation OID, column number (0: the relation
    /// itself), text.
    pub descriptions: Vec<(u32, i32, String)>,
}

fn action(a: FkAction) -> char {
    match a {
        FkAction::Restrict => 'a',
        FkAction::Cascade => 'c',
        FkAction::SetNull => 'n',
    }
}

fn action_sql(a: FkAction) -> &'static str {
    match a {
        FkAction::Restrict => "",
        FkAction::Cascade => "CASCADE",
        FkAction::SetNull => "SET NULL",
    }
}

/// `name` quoted when PostgreSQL's `quote_ident` would quote it.
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !crate::system::functions::is_reserved(name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

thread_local! {
    /// Guards against a view whose columns are computed from a catalog read
    /// that binds the view again.
    static LOADING: Cell<bool> = const { Cell::new(false) };
}

impl Catalog {
    /// The catalog in `txn`, now (`as_of` `None`) or right after commit `as_of`.
    pub fn load(txn: &Transaction<'_>, as_of: Option<u64>) -> Result<Catalog> {
        let tables = catalog::list_tables(txn, as_of)?;
        let views = catalog::list_views(txn, as_of)?;
        let schemas = match as_of {
            None => catalog::list_schemas(txn)?,
            Some(seq) => {
                let mut names = vec![catalog::PUBLIC.to_string()];
                for r in
                    txn.scan_as_of(catalog::SCHEMAS, (Bound::Unbounded, Bound::Unbounded), seq)?
                {
                    let (k, _) = r?;
                    if let Some(n) = driftdb_engine::keycode::decode_text_key(&k) {
                        names.push(n);
                    }
                }
                names
            }
        };
        let mut c = Catalog::default();
        for name in ["pg_catalog", "information_schema"]
            .into_iter()
            .map(String::from)
            .chain(schemas)
        {
            c.namespaces.push(Namespace {
                oid: namespace_oid(&name),
                name,
            });
        }
        for (i, t) in super::TABLES.iter().enumerate() {
            c.relations.push(Relation {
                oid: FIRST_SYSTEM_OID + i as u32,
                name: t.name.into(),
                schema: t.schema.into(),
                namespace: namespace_oid(t.schema),
                kind: if t.view { Kind::View } else { Kind::Table },
                attributes: attnums()
                    .zip(t.columns)
                    .map(|(num, (name, ty))| Attribute {
                        num,
                        name: (*name).into(),
                        type_oid: *ty,
                        typmod: -1,
                        not_null: false,
                        default: None,
                        identity: None,
                    })
                    .collect(),
                index: None,
                checks: 0,
                has_index: false,
                view_sql: None,
            });
        }
        for t in &tables {
            c.add_table(t);
        }
        let already = LOADING.with(|l| l.replace(true));
        for v in &views {
            let columns = if already {
                Vec::new()
            } else {
                view_columns(txn, &v.sql)
            };
            c.relations.push(Relation {
                oid: hashed_oid("view", &format!("{}.{}", v.schema, v.name)),
                name: v.name.clone(),
                schema: v.schema.clone(),
                namespace: namespace_oid(&v.schema),
                kind: Kind::View,
                attributes: attnums()
                    .zip(columns)
                    .map(|(num, (name, t))| Attribute {
                        num,
                        name: v.columns.get(num as usize - 1).cloned().unwrap_or(name),
                        type_oid: t.map_or(types::TEXT, types::type_oid),
                        typmod: t.map_or(-1, types::type_modifier),
                        not_null: false,
                        default: None,
                        identity: None,
                    })
                    .collect(),
                index: None,
                checks: 0,
                has_index: false,
                view_sql: Some(v.sql.clone()),
            });
        }
        if !already {
            LOADING.with(|l| l.set(false));
        }
        for s in sequence::list_sequences(txn, as_of)? {
            c.add_sequence(s);
        }
        // Foreign keys last: they name the referenced table's OIDs.
        for t in &tables {
            c.add_foreign_keys(t, &tables);
        }
        Ok(c)
    }

    fn add_table(&mut self, t: &TableDef) {
        let oid = FIRST_USER_OID + t.id;
        if let Some(c) = &t.comment {
            self.descriptions.push((oid, 0, c.clone()));
        }
        for (num, col) in attnums().zip(&t.columns) {
            if let Some(c) = &col.comment {
                self.descriptions.push((oid, i32::from(num), c.clone()));
            }
        }
        let namespace = namespace_oid(&t.schema);
        let attnum = |id: u32| -> i16 { t.position(id).map_or(0, attnum_of) };
        let attributes: Vec<Attribute> = attnums()
            .zip(&t.columns)
            .map(|(num, col)| Attribute {
                num,
                name: col.name.clone(),
                type_oid: types::type_oid(col.data_type),
                typmod: types::type_modifier(col.data_type),
                not_null: !col.nullable,
                default: col
                    .default
                    .as_deref()
                    .and_then(|d| super::default_text::shown_default(d, col.data_type)),
                identity: col.identity,
            })
            .collect();
        let names = |keys: &[i16]| -> String {
            keys.iter()
                .filter_map(|k| attributes.get((*k as usize).wrapping_sub(1)))
                .map(|a| quote_ident(&a.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut indexes = Vec::new();
        if !t.primary_key.is_empty() {
            let name = format!("{}_pkey", t.name);
            let keys: Vec<i16> = t.primary_key.iter().map(|id| attnum(*id)).collect();
            let index_oid = hashed_oid("pkey", &t.id.to_string());
            self.constraints.push(Constraint {
                oid: hashed_oid("constraint", &format!("{}:{name}", t.id)),
                name: name.clone(),
                namespace,
                kind: 'p',
                table: oid,
                index: index_oid,
                ref_table: 0,
                definition: format!("PRIMARY KEY ({})", names(&keys)),
                keys: keys.clone(),
                ref_keys: Vec::new(),
                on_update: ' ',
                on_delete: ' ',
                check: None,
            });
            indexes.push((index_oid, name, true, true, keys));
        }
        for i in &t.indexes {
            let keys: Vec<i16> = i.columns.iter().map(|id| attnum(*id)).collect();
            let index_oid = FIRST_USER_OID + i.id;
            if i.constraint {
                self.constraints.push(Constraint {
                    oid: hashed_oid("constraint", &format!("{}:{}", t.id, i.name)),
                    name: i.name.clone(),
                    namespace,
                    kind: 'u',
                    table: oid,
                    index: index_oid,
                    ref_table: 0,
                    definition: format!("UNIQUE ({})", names(&keys)),
                    keys: keys.clone(),
                    ref_keys: Vec::new(),
                    on_update: ' ',
                    on_delete: ' ',
                    check: None,
                });
            }
            indexes.push((index_oid, i.name.clone(), i.unique, false, keys));
        }
        for ch in &t.checks {
            self.constraints.push(Constraint {
                oid: hashed_oid("constraint", &format!("{}:{}", t.id, ch.name)),
                name: ch.name.clone(),
                namespace,
                kind: 'c',
                table: oid,
                index: 0,
                ref_table: 0,
                definition: format!("CHECK ({})", ch.expr),
                keys: Vec::new(),
                ref_keys: Vec::new(),
                on_update: ' ',
                on_delete: ' ',
                check: Some(ch.expr.clone()),
            });
        }
        let has_index = !indexes.is_empty();
        for (index_oid, name, unique, primary, keys) in indexes {
            let attributes = attnums()
                .zip(&keys)
                .filter_map(|(num, k)| {
                    let a = attributes.get((*k as usize).wrapping_sub(1))?;
                    Some(Attribute {
                        num,
                        default: None,
                        not_null: false,
                        ..a.clone()
                    })
                })
                .collect();
            self.relations.push(Relation {
                oid: index_oid,
                name,
                schema: t.schema.clone(),
                namespace,
                kind: Kind::Index,
                attributes,
                index: Some(Index {
                    table: oid,
                    unique,
                    primary,
                    keys,
                }),
                checks: 0,
                has_index: false,
                view_sql: None,
            });
        }
        self.relations.push(Relation {
            oid,
            name: t.name.clone(),
            schema: t.schema.clone(),
            namespace,
            kind: Kind::Table,
            attributes,
            index: None,
            checks: i16::try_from(t.checks.len()).unwrap_or(i16::MAX),
            has_index,
            view_sql: None,
        });
    }

    fn add_sequence(&mut self, s: SequenceDef) {
        let oid = FIRST_USER_OID + s.id;
        let column = |num: i16, name: &str, type_oid: u32| Attribute {
            num,
            name: name.into(),
            type_oid,
            typmod: -1,
            not_null: true,
            default: None,
            identity: None,
        };
        self.relations.push(Relation {
            oid,
            name: s.name.clone(),
            schema: s.schema.clone(),
            namespace: namespace_oid(&s.schema),
            kind: Kind::Sequence,
            attributes: vec![
                column(1, "last_value", types::INT8),
                column(2, "log_cnt", types::INT8),
                column(3, "is_called", types::BOOL),
            ],
            index: None,
            checks: 0,
            has_index: false,
            view_sql: None,
        });
        self.sequences.push((oid, s));
    }

    /// The `COMMENT ON` text of relation `oid` (`column` 0) or of its
    /// column number `column`.
    pub fn description(&self, oid: u32, column: i32) -> Option<&str> {
        self.descriptions
            .iter()
            .find(|(o, c, _)| *o == oid && *c == column)
            .map(|(_, _, text)| text.as_str())
    }

    /// The sequence that feeds column `column` of relation `table`
    /// (`SERIAL` and identity columns).
    pub fn owned_sequence(&self, table: &Relation, column: &str) -> Option<&(u32, SequenceDef)> {
        self.sequences.iter().find(|(_, s)| {
            s.schema == table.schema
                && s.owned_by
                    .as_ref()
                    .is_some_and(|o| o.table == table.name && o.column == column)
        })
    }

    fn add_foreign_keys(&mut self, t: &TableDef, tables: &[TableDef]) {
        let oid = FIRST_USER_OID + t.id;
        for f in &t.foreign_keys {
            let Some(target) = tables
                .iter()
                .find(|r| r.schema == f.ref_schema && r.name == f.ref_table)
            else {
                continue;
            };
            let keys: Vec<i16> = f
                .columns
                .iter()
                .map(|id| t.position(*id).map_or(0, attnum_of))
                .collect();
            let ref_keys: Vec<i16> = f
                .ref_columns
                .iter()
                .map(|n| target.position_of(n).map_or(0, attnum_of))
                .collect();
            let target_oid = FIRST_USER_OID + target.id;
            let index = self
                .constraints
                .iter()
                .find(|c| {
                    c.table == target_oid && matches!(c.kind, 'p' | 'u') && c.keys == ref_keys
                })
                .map_or(0, |c| c.index);
            let cols = |names: Vec<&str>| {
                names
                    .into_iter()
                    .map(quote_ident)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let own: Vec<&str> = keys
                .iter()
                .filter_map(|k| t.columns.get((*k as usize).wrapping_sub(1)))
                .map(|c| c.name.as_str())
                .collect();
            let target_name = if target.schema == catalog::PUBLIC {
                quote_ident(&target.name)
            } else {
                format!(
                    "{}.{}",
                    quote_ident(&target.schema),
                    quote_ident(&target.name)
                )
            };
            let mut definition = format!(
                "FOREIGN KEY ({}) REFERENCES {target_name}({})",
                cols(own),
                cols(f.ref_columns.iter().map(String::as_str).collect())
            );
            for (what, a) in [("UPDATE", f.on_update), ("DELETE", f.on_delete)] {
                if a != FkAction::Restrict {
                    definition.push_str(&format!(" ON {what} {}", action_sql(a)));
                }
            }
            self.constraints.push(Constraint {
                oid: hashed_oid("constraint", &format!("{}:{}", t.id, f.name)),
                name: f.name.clone(),
                namespace: namespace_oid(&t.schema),
                kind: 'f',
                table: oid,
                index,
                ref_table: target_oid,
                keys,
                ref_keys,
                on_update: action(f.on_update),
                on_delete: action(f.on_delete),
                check: None,
                definition,
            });
        }
    }

    /// The relation with OID `oid`.
    pub fn relation(&self, oid: u32) -> Option<&Relation> {
        self.relations.iter().find(|r| r.oid == oid)
    }

    /// The namespace with OID `oid`.
    pub fn namespace(&self, oid: u32) -> Option<&Namespace> {
        self.namespaces.iter().find(|n| n.oid == oid)
    }

    /// The relation a (possibly qualified, possibly quoted) name denotes, as
    /// `'name'::regclass` resolves it: unqualified names through
    /// `pg_catalog`, then `public`.
    pub fn resolve(&self, name: &str) -> Option<&Relation> {
        let (schema, rel) = split_qualified(name);
        match schema {
            Some(s) => self
                .relations
                .iter()
                .find(|r| r.schema == s && r.name == rel),
            None => ["pg_catalog", catalog::PUBLIC].iter().find_map(|s| {
                self.relations
                    .iter()
                    .find(|r| r.schema == *s && r.name == rel)
            }),
        }
    }

    /// Whether `r` is found by its bare name (its schema is on the search
    /// path and no earlier schema has a relation of that name).
    pub fn visible(&self, r: &Relation) -> bool {
        self.resolve(&quote_ident(&r.name))
            .is_some_and(|found| found.oid == r.oid)
    }

    /// The name `regclass` prints for `oid`: bare when visible, else
    /// qualified; the number when no relation has it.
    pub fn regclass_name(&self, oid: u32) -> String {
        match self.relation(oid) {
            Some(r) if self.visible(r) => quote_ident(&r.name),
            Some(r) => format!("{}.{}", quote_ident(&r.schema), quote_ident(&r.name)),
            None => oid.to_string(),
        }
    }
}

/// The `attnum` of the column at position `p` (from 0), saturating: a
/// table wider than `smallint` keeps its last numbers at 32767 rather than
/// overflowing.
fn attnum_of(p: usize) -> i16 {
    i16::try_from(p + 1).unwrap_or(i16::MAX)
}

/// Attribute numbers 1, 2, …, saturating at 32767.
fn attnums() -> impl Iterator<Item = i16> {
    (0usize..).map(attnum_of)
}

/// `schema.name` split as PostgreSQL parses a qualified name: unquoted parts
/// lower-cased, double quotes kept verbatim.
pub fn split_qualified(name: &str) -> (Option<String>, String) {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = name.trim().chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            c if quoted => cur.push(c),
            c => cur.extend(c.to_lowercase()),
        }
    }
    parts.push(cur);
    match parts.len() {
        1 => (None, parts.remove(0)),
        _ => {
            let rel = parts.pop().unwrap_or_default();
            (parts.pop(), rel)
        }
    }
}

/// A view's output columns, from binding its query; none when it no longer
/// binds (a table it read was altered).
fn view_columns(
    txn: &Transaction<'_>,
    sql: &str,
) -> Vec<(String, Option<driftdb_engine::value::DataType>)> {
    let Ok(q) = crate::parser::parse_query(sql) else {
        return Vec::new();
    };
    let stmt = crate::parser::Stmt::Sql(Box::new(sqlparser::ast::Statement::Query(Box::new(q))));
    match crate::bind::bind(txn, &stmt, &crate::bind::Settings::default()) {
        Ok(crate::plan::Plan::Query(b)) => b.columns,
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_oids_are_stable_and_above_initdb_oids() {
        // The value is part of what clients may cache: it must never change.
        assert_eq!(hashed_oid("namespace", "s2"), 2_034_033_985);
        for name in ["a", "b", "public", "x_y"] {
            let oid = hashed_oid("view", name);
            assert!((0x4000_0000..0x8000_0000).contains(&oid));
        }
        assert_ne!(hashed_oid("view", "a"), hashed_oid("constraint", "a"));
    }

    #[test]
    fn qualified_names_split_as_postgres_parses_them() {
        assert_eq!(split_qualified("T"), (None, "t".to_string()));
        assert_eq!(
            split_qualified("s2.\"My\"\"T\""),
            (Some("s2".to_string()), "My\"T".to_string())
        );
        assert_eq!(split_qualified("\"a.b\""), (None, "a.b".to_string()));
    }

    #[test]
    fn identifiers_are_quoted_when_postgres_would() {
        assert_eq!(quote_ident("abc_1"), "abc_1");
        assert_eq!(quote_ident("Abc"), "\"Abc\"");
        assert_eq!(quote_ident("1a"), "\"1a\"");
        assert_eq!(quote_ident("table"), "\"table\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
