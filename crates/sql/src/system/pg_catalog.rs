//! Rows of the `pg_catalog` relations, from the catalog model.

use driftdb_engine::catalog::Identity;
use driftdb_engine::value::{Array, DataType, Value};

use super::model::{
    BTREE_AM, Catalog, DATABASE_OID, HEAP_AM, Kind, PG_CATALOG_OID, Relation, SUPERUSER,
    SUPERUSER_OID, hashed_oid,
};
use super::types::{self, PG_TYPES};
use super::{DATABASE, Rows};

pub(super) fn oid(v: u32) -> Value {
    Value::Int8(i64::from(v))
}

pub(super) fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn b(v: bool) -> Value {
    Value::Bool(v)
}

fn i2(v: i16) -> Value {
    Value::Int2(v)
}

fn i4(v: i32) -> Value {
    Value::Int4(v)
}

const NULL: Value = Value::Null;

/// An `int2[]` (`conkey`, `confkey`).
fn int2_array(items: &[i16]) -> Value {
    array(
        DataType::array_of(DataType::Int2),
        items.iter().map(|i| i2(*i)),
    )
}

/// An `int2vector` (`indkey`, `indoption`): subscripts from 0.
fn int2_vector(items: &[i16]) -> Value {
    array(
        DataType::vector_of(DataType::Int2),
        items.iter().map(|i| i2(*i)),
    )
}

/// An `oidvector` (`indclass`, `proargtypes`), OIDs held as bigints.
fn oid_vector(items: &[u32]) -> Value {
    array(
        DataType::vector_of(DataType::Int8),
        items.iter().map(|o| oid(*o)),
    )
}

/// An array of type `t` (from the static table of array types, so always
/// there) holding `items`.
fn array(t: driftdb_engine::error::Result<DataType>, items: impl Iterator<Item = Value>) -> Value {
    t.and_then(|t| Array::of_type(t, items.collect()))
        .map_or(NULL, Value::Array)
}

pub(super) fn namespaces(c: &Catalog) -> Rows {
    c.namespaces
        .iter()
        .map(|n| vec![oid(n.oid), text(&n.name), oid(SUPERUSER_OID), NULL])
        .collect()
}

pub(super) fn classes(c: &Catalog) -> Rows {
    c.relations
        .iter()
        .map(|r| {
            let am = match r.kind {
                Kind::Table => HEAP_AM,
                Kind::Index => BTREE_AM,
                Kind::View | Kind::Sequence => 0,
            };
            let storage = if r.kind == Kind::View { 0 } else { r.oid };
            vec![
                oid(r.oid),
                text(&r.name),
                oid(r.namespace),
                oid(0),
                oid(0),
                oid(SUPERUSER_OID),
                oid(am),
                oid(storage),
                oid(0),
                i4(0),
                Value::Float4(-1.0),
                i4(0),
                oid(0),
                b(r.has_index),
                b(false),
                text("p"),
                text(r.kind.letter()),
                i2(i16::try_from(r.attributes.len()).unwrap_or(i16::MAX)),
                i2(r.checks),
                b(r.kind == Kind::View),
                b(false),
                b(false),
                b(false),
                b(false),
                b(true),
                text(if r.kind == Kind::Table { "d" } else { "n" }),
                b(false),
                oid(0),
                NULL,
                NULL,
                NULL,
            ]
        })
        .collect()
}

/// `pg_description`: the `COMMENT ON` texts of relations and columns.
pub(super) fn descriptions(c: &Catalog) -> Rows {
    let pg_class = c.resolve("pg_catalog.pg_class").map_or(0, |r| r.oid);
    c.descriptions
        .iter()
        .map(|(rel, column, description)| {
            vec![oid(*rel), oid(pg_class), i4(*column), text(description)]
        })
        .collect()
}

/// `pg_depend`: what DriftDB records of it, a sequence's dependence on the
/// column that owns it (`a` for `SERIAL`, `i` for identity columns), which
/// psql's `\d` shows as "Owned by".
pub(super) fn dependencies(c: &Catalog) -> Rows {
    let pg_class = c.resolve("pg_catalog.pg_class").map_or(0, |r| r.oid);
    let mut rows = Vec::new();
    for (seq, s) in &c.sequences {
        let Some(owner) = &s.owned_by else {
            continue;
        };
        let table = c
            .relations
            .iter()
            .find(|r| r.kind == Kind::Table && r.schema == s.schema && r.name == owner.table);
        let Some((table, column)) = table.and_then(|t| {
            t.attributes
                .iter()
                .find(|a| a.name == owner.column)
                .map(|a| (t, a))
        }) else {
            continue;
        };
        rows.push(vec![
            oid(pg_class),
            oid(*seq),
            i4(0),
            oid(pg_class),
            oid(table.oid),
            i4(i32::from(column.num)),
            text(if column.identity.is_some() { "i" } else { "a" }),
        ]);
    }
    rows
}

/// `pg_sequence`: each sequence's options.
pub(super) fn sequences(c: &Catalog) -> Rows {
    c.sequences
        .iter()
        .map(|(rel, s)| {
            vec![
                oid(*rel),
                oid(types::type_oid(s.data_type)),
                Value::Int8(s.start),
                Value::Int8(s.increment),
                Value::Int8(s.max),
                Value::Int8(s.min),
                Value::Int8(1),
                b(s.cycle),
            ]
        })
        .collect()
}

pub(super) fn attributes(c: &Catalog) -> Rows {
    let mut rows = Vec::new();
    for r in &c.relations {
        for a in &r.attributes {
            let t = types::pg_type(a.type_oid);
            let len = t.map_or(-1, |t| t.len);
            rows.push(vec![
                oid(r.oid),
                text(&a.name),
                oid(a.type_oid),
                i4(-1),
                i2(len),
                i2(a.num),
                i4(i32::from(t.is_some_and(|t| t.category == 'A'))),
                i4(-1),
                i4(a.typmod),
                b((1..=8).contains(&len)),
                text(align(len)),
                text(&t.map_or('x', |t| t.storage).to_string()),
                text(""),
                b(a.not_null),
                b(a.default.is_some() && a.identity.is_none()),
                b(false),
                text(match a.identity {
                    None => "",
                    Some(Identity::Always) => "a",
                    Some(Identity::ByDefault) => "d",
                }),
                text(""),
                b(false),
                b(true),
                i4(0),
                oid(a.collation()),
                NULL,
                NULL,
                NULL,
            ]);
        }
    }
    rows
}

fn align(len: i16) -> &'static str {
    match len {
        1 => "c",
        2 => "s",
        8 | 16 => "d",
        _ => "i",
    }
}

pub(super) fn pg_types(_: &Catalog) -> Rows {
    PG_TYPES
        .iter()
        .map(|t| {
            let array = t.category == 'A';
            let (input, output) = if array {
                ("array_in".to_string(), "array_out".to_string())
            } else {
                (format!("{}in", t.name), format!("{}out", t.name))
            };
            vec![
                oid(t.oid),
                text(t.name),
                oid(PG_CATALOG_OID),
                oid(SUPERUSER_OID),
                i2(t.len),
                b((1..=8).contains(&t.len)),
                text("b"),
                text(&t.category.to_string()),
                b(matches!(
                    t.name,
                    "bool" | "text" | "float8" | "timestamptz" | "oid"
                )),
                b(true),
                text(","),
                oid(0),
                text(if array {
                    "array_subscript_handler"
                } else {
                    "-"
                }),
                oid(t.elem),
                oid(t.array),
                text(&input),
                text(&output),
                text("-"),
                text("-"),
                text("-"),
                text("-"),
                text("-"),
                text(align(t.len)),
                text(&t.storage.to_string()),
                b(false),
                oid(0),
                i4(-1),
                i4(0),
                oid(t.collation),
                NULL,
                NULL,
                NULL,
            ]
        })
        .collect()
}

pub(super) fn indexes(c: &Catalog) -> Rows {
    c.relations
        .iter()
        .filter_map(|r| Some((r, r.index.as_ref()?)))
        .map(|(r, i)| {
            let n = i16::try_from(i.keys.len()).unwrap_or(i16::MAX);
            let collations: Vec<u32> = r.attributes.iter().map(|a| a.collation()).collect();
            vec![
                oid(r.oid),
                oid(i.table),
                i2(n),
                i2(n),
                b(i.unique),
                b(false),
                b(i.primary),
                b(false),
                b(true),
                b(false),
                b(true),
                b(false),
                b(true),
                b(true),
                b(false),
                int2_vector(&i.keys),
                oid_vector(&collations),
                oid_vector(&vec![0u32; i.keys.len()]),
                int2_vector(&vec![0i16; i.keys.len()]),
                NULL,
                NULL,
            ]
        })
        .collect()
}

pub(super) fn constraints(c: &Catalog) -> Rows {
    c.constraints
        .iter()
        .map(|k| {
            let fk = k.kind == 'f';
            let opt = |v: Value| if fk { v } else { NULL };
            vec![
                oid(k.oid),
                text(&k.name),
                oid(k.namespace),
                text(&k.kind.to_string()),
                b(false),
                b(false),
                b(true),
                oid(k.table),
                oid(0),
                oid(k.index),
                oid(0),
                oid(k.ref_table),
                text(&k.on_update.to_string()),
                text(&k.on_delete.to_string()),
                text(if fk { "s" } else { " " }),
                b(true),
                i4(0),
                b(false),
                if k.keys.is_empty() {
                    NULL
                } else {
                    int2_array(&k.keys)
                },
                opt(int2_array(&k.ref_keys)),
                NULL,
                NULL,
                NULL,
                NULL,
                NULL,
                k.check.as_deref().map_or(NULL, text),
            ]
        })
        .collect()
}

pub(super) fn defaults(c: &Catalog) -> Rows {
    let mut rows = Vec::new();
    for r in c.relations.iter().filter(|r| r.kind == Kind::Table) {
        for a in &r.attributes {
            if let Some(d) = a.default.as_ref().filter(|_| a.identity.is_none()) {
                rows.push(vec![
                    oid(hashed_oid("default", &format!("{}:{}", r.oid, a.num))),
                    oid(r.oid),
                    i2(a.num),
                    text(d),
                ]);
            }
        }
    }
    rows
}

pub(super) fn databases(_: &Catalog) -> Rows {
    vec![vec![
        oid(DATABASE_OID),
        text(DATABASE),
        oid(SUPERUSER_OID),
        i4(6),
        text("c"),
        b(false),
        b(true),
        i4(-1),
        oid(1663),
        text("C"),
        text("C"),
        NULL,
        NULL,
        NULL,
    ]]
}

pub(super) fn authid(_: &Catalog) -> Rows {
    vec![vec![
        oid(SUPERUSER_OID),
        text(SUPERUSER),
        b(true),
        b(true),
        b(true),
        b(true),
        b(true),
        b(true),
        b(true),
        i4(-1),
        NULL,
        NULL,
    ]]
}

pub(super) fn roles(_: &Catalog) -> Rows {
    vec![vec![
        text(SUPERUSER),
        b(true),
        b(true),
        b(true),
        b(true),
        b(true),
        b(true),
        i4(-1),
        text("********"),
        NULL,
        b(true),
        NULL,
        oid(SUPERUSER_OID),
    ]]
}

pub(super) fn users(_: &Catalog) -> Rows {
    vec![vec![
        text(SUPERUSER),
        oid(SUPERUSER_OID),
        b(true),
        b(true),
        b(true),
        b(true),
        text("********"),
        NULL,
        NULL,
    ]]
}

pub(super) fn access_methods(_: &Catalog) -> Rows {
    [
        (HEAP_AM, "heap", "heap_tableam_handler", "t"),
        (BTREE_AM, "btree", "bthandler", "i"),
    ]
    .iter()
    .map(|(o, n, h, t)| vec![oid(*o), text(n), text(h), text(t)])
    .collect()
}

pub(super) fn procs(_: &Catalog) -> Rows {
    crate::func::registry::all_names()
        .into_iter()
        .map(|name| {
            vec![
                oid(hashed_oid("function", name)),
                text(name),
                oid(PG_CATALOG_OID),
                oid(SUPERUSER_OID),
                oid(12),
                Value::Float4(1.0),
                Value::Float4(0.0),
                oid(0),
                text("-"),
                text("f"),
                b(false),
                b(false),
                b(true),
                b(false),
                text("s"),
                text("s"),
                i2(0),
                i2(0),
                oid(0),
                oid_vector(&[]),
                NULL,
                NULL,
                NULL,
                NULL,
                NULL,
                text(name),
                NULL,
                NULL,
                NULL,
                NULL,
            ]
        })
        .collect()
}

pub(super) fn settings(_: &Catalog) -> Rows {
    crate::params::known_parameters()
        .map(|(name, default, read_only)| {
            vec![
                text(name),
                text(default),
                NULL,
                text("DriftDB"),
                text(""),
                NULL,
                text(if read_only { "internal" } else { "user" }),
                text("string"),
                text("default"),
                NULL,
                NULL,
                NULL,
                text(default),
                text(default),
                NULL,
                NULL,
                b(false),
            ]
        })
        .collect()
}

fn user_relations(c: &Catalog, kind: Kind) -> impl Iterator<Item = &Relation> {
    c.relations
        .iter()
        .filter(move |r| r.kind == kind && r.oid >= super::model::FIRST_USER_OID)
}

pub(super) fn tables(c: &Catalog) -> Rows {
    c.relations
        .iter()
        .filter(|r| r.kind == Kind::Table)
        .map(|r| {
            vec![
                text(&r.schema),
                text(&r.name),
                text(SUPERUSER),
                NULL,
                b(r.has_index),
                b(false),
                b(false),
                b(false),
            ]
        })
        .collect()
}

pub(super) fn views(c: &Catalog) -> Rows {
    c.relations
        .iter()
        .filter(|r| r.kind == Kind::View)
        .map(|r| {
            vec![
                text(&r.schema),
                text(&r.name),
                text(SUPERUSER),
                r.view_sql.as_deref().map_or(NULL, text),
            ]
        })
        .collect()
}

pub(super) fn index_list(c: &Catalog) -> Rows {
    user_relations(c, Kind::Index)
        .filter_map(|r| {
            let table = c.relation(r.index.as_ref()?.table)?;
            Some(vec![
                text(&r.schema),
                text(&table.name),
                text(&r.name),
                NULL,
                text(&super::functions::index_def(c, r, 0)),
            ])
        })
        .collect()
}

pub(super) fn collations(_: &Catalog) -> Rows {
    [
        (types::DEFAULT_COLLATION, "default", "d", ""),
        (950, "C", "c", "C"),
        (951, "POSIX", "c", "POSIX"),
    ]
    .iter()
    .map(|(o, n, p, l)| {
        let locale = if l.is_empty() { NULL } else { text(l) };
        vec![
            oid(*o),
            text(n),
            oid(PG_CATALOG_OID),
            oid(SUPERUSER_OID),
            text(p),
            b(true),
            i4(-1),
            locale.clone(),
            locale,
            NULL,
            NULL,
        ]
    })
    .collect()
}

pub(super) fn tablespaces(_: &Catalog) -> Rows {
    [(1663, "pg_default"), (1664, "pg_global")]
        .iter()
        .map(|(o, n)| vec![oid(*o), text(n), oid(SUPERUSER_OID), NULL, NULL])
        .collect()
}
