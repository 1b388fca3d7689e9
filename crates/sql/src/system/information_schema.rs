//! Rows of the `information_schema` relations (SQL standard names and
//! spellings: `YES`/`NO`, `BASE TABLE`, `character varying` …).

use driftdb_engine::catalog::Identity;
use driftdb_engine::value::Value;

use super::model::{Attribute, Catalog, Constraint, Kind, Relation, SUPERUSER};
use super::pg_catalog::text;
use super::types::{self, format_type};
use super::{DATABASE, Rows};

const NULL: Value = Value::Null;

fn yes_no(v: bool) -> Value {
    text(if v { "YES" } else { "NO" })
}

fn card(v: i64) -> Value {
    Value::Int4(i32::try_from(v).unwrap_or(i32::MAX))
}

fn tables_of(c: &Catalog) -> impl Iterator<Item = &Relation> {
    c.relations
        .iter()
        .filter(|r| matches!(r.kind, Kind::Table | Kind::View))
}

pub(super) fn schemata(c: &Catalog) -> Rows {
    c.namespaces
        .iter()
        .map(|n| {
            vec![
                text(DATABASE),
                text(&n.name),
                text(SUPERUSER),
                NULL,
                NULL,
                NULL,
                NULL,
            ]
        })
        .collect()
}

pub(super) fn tables(c: &Catalog) -> Rows {
    tables_of(c)
        .map(|r| {
            let table = r.kind == Kind::Table;
            vec![
                text(DATABASE),
                text(&r.schema),
                text(&r.name),
                text(if table { "BASE TABLE" } else { "VIEW" }),
                NULL,
                NULL,
                NULL,
                NULL,
                NULL,
                yes_no(table),
                yes_no(false),
                NULL,
            ]
        })
        .collect()
}

/// `data_type` of information_schema.columns: the type without modifiers,
/// `ARRAY` for arrays.
fn data_type(a: &Attribute) -> String {
    match types::pg_type(a.type_oid) {
        Some(t) if t.category == 'A' => "ARRAY".into(),
        Some(t) if t.oid == types::CHAR || t.oid == types::NAME => t.name.into(),
        Some(t) if t.oid == types::BPCHAR => "character".into(),
        _ => format_type(a.type_oid, -1),
    }
}

pub(super) fn columns(c: &Catalog) -> Rows {
    let mut rows = Vec::new();
    for r in tables_of(c) {
        for a in &r.attributes {
            let m = i64::from(a.typmod) - 4;
            let (char_len, octets) = match a.type_oid {
                types::VARCHAR | types::BPCHAR if a.typmod >= 4 => (card(m), card(m * 4)),
                types::VARCHAR | types::BPCHAR | types::TEXT => (NULL, card(1_073_741_824)),
                _ => (NULL, NULL),
            };
            let (precision, radix, scale) = match a.type_oid {
                types::INT2 => (card(16), card(2), card(0)),
                types::INT4 => (card(32), card(2), card(0)),
                types::INT8 => (card(64), card(2), card(0)),
                types::FLOAT4 => (card(24), card(2), NULL),
                types::FLOAT8 => (card(53), card(2), NULL),
                types::NUMERIC if a.typmod >= 4 => {
                    (card((m >> 16) & 0xffff), card(10), card(m & 0xffff))
                }
                types::NUMERIC => (NULL, card(10), NULL),
                _ => (NULL, NULL, NULL),
            };
            let datetime = match a.type_oid {
                types::DATE => card(0),
                types::TIME | types::TIMESTAMP | types::TIMESTAMPTZ | types::INTERVAL => card(6),
                _ => NULL,
            };
            let udt = types::pg_type(a.type_oid).map_or("", |t| t.name);
            let table = r.kind == Kind::Table;
            let identity = identity_columns(c, r, a);
            let mut row = vec![
                text(DATABASE),
                text(&r.schema),
                text(&r.name),
                text(&a.name),
                card(i64::from(a.num)),
                match a.identity {
                    None => a.default.as_deref().map_or(NULL, text),
                    Some(_) => NULL,
                },
                yes_no(!a.not_null),
                text(&data_type(a)),
                char_len,
                octets,
                precision,
                radix,
                scale,
                datetime,
                NULL,
                NULL,
                NULL,
                NULL,
                NULL,
                NULL,
                NULL,
                NULL,
                NULL,
                NULL,
                NULL,
                text(DATABASE),
                text("pg_catalog"),
                text(udt),
                NULL,
                NULL,
                NULL,
                NULL,
                text(&a.num.to_string()),
                yes_no(false),
                yes_no(a.identity.is_some()),
            ];
            row.extend(identity);
            row.extend([text("NEVER"), NULL, yes_no(table)]);
            rows.push(row);
        }
    }
    rows
}

/// `identity_generation` … `identity_cycle` of a column: NULLs and `NO`
/// unless it is an identity column.
fn identity_columns(c: &Catalog, r: &Relation, a: &Attribute) -> [Value; 6] {
    let sequence = c.owned_sequence(r, &a.name).map(|(_, s)| s);
    match (a.identity, sequence) {
        (Some(identity), Some(s)) => [
            text(match identity {
                Identity::Always => "ALWAYS",
                Identity::ByDefault => "BY DEFAULT",
            }),
            text(&s.start.to_string()),
            text(&s.increment.to_string()),
            text(&s.max.to_string()),
            text(&s.min.to_string()),
            yes_no(s.cycle),
        ],
        _ => [NULL, NULL, NULL, NULL, NULL, yes_no(false)],
    }
}

fn constraint_type(k: &Constraint) -> &'static str {
    match k.kind {
        'p' => "PRIMARY KEY",
        'u' => "UNIQUE",
        'f' => "FOREIGN KEY",
        _ => "CHECK",
    }
}

pub(super) fn table_constraints(c: &Catalog) -> Rows {
    let mut rows = Vec::new();
    for k in &c.constraints {
        let Some(r) = c.relation(k.table) else {
            continue;
        };
        rows.push(vec![
            text(DATABASE),
            text(&r.schema),
            text(&k.name),
            text(DATABASE),
            text(&r.schema),
            text(&r.name),
            text(constraint_type(k)),
            yes_no(false),
            yes_no(false),
            yes_no(true),
            if matches!(k.kind, 'p' | 'u') {
                yes_no(true)
            } else {
                NULL
            },
        ]);
    }
    // NOT NULL columns are CHECK constraints here, named as PostgreSQL
    // names them.
    for r in c
        .relations
        .iter()
        .filter(|r| r.kind == Kind::Table && r.oid >= super::model::FIRST_USER_OID)
    {
        for a in r.attributes.iter().filter(|a| a.not_null) {
            rows.push(vec![
                text(DATABASE),
                text(&r.schema),
                text(&format!("{}_{}_{}_not_null", r.namespace, r.oid, a.num)),
                text(DATABASE),
                text(&r.schema),
                text(&r.name),
                text("CHECK"),
                yes_no(false),
                yes_no(false),
                yes_no(true),
                NULL,
            ]);
        }
    }
    rows
}

pub(super) fn key_column_usage(c: &Catalog) -> Rows {
    let mut rows = Vec::new();
    for k in c.constraints.iter().filter(|k| k.kind != 'c') {
        let Some(r) = c.relation(k.table) else {
            continue;
        };
        for (pos, key) in (1i64..).zip(&k.keys) {
            let Some(a) = r.attributes.iter().find(|a| a.num == *key) else {
                continue;
            };
            let in_unique = if k.kind == 'f' {
                let referenced = k.ref_keys.get(pos as usize - 1);
                c.constraints
                    .iter()
                    .find(|u| u.index == k.index && matches!(u.kind, 'p' | 'u'))
                    .and_then(|u| u.keys.iter().position(|x| Some(x) == referenced))
                    .map_or(NULL, |p| card(p as i64 + 1))
            } else {
                NULL
            };
            rows.push(vec![
                text(DATABASE),
                text(&r.schema),
                text(&k.name),
                text(DATABASE),
                text(&r.schema),
                text(&r.name),
                text(&a.name),
                card(pos),
                in_unique,
            ]);
        }
    }
    rows
}

fn rule(code: char) -> &'static str {
    match code {
        'c' => "CASCADE",
        'n' => "SET NULL",
        'd' => "SET DEFAULT",
        'r' => "RESTRICT",
        _ => "NO ACTION",
    }
}

pub(super) fn referential_constraints(c: &Catalog) -> Rows {
    c.constraints
        .iter()
        .filter(|k| k.kind == 'f')
        .filter_map(|k| {
            let r = c.relation(k.table)?;
            let unique = c
                .constraints
                .iter()
                .find(|u| u.index == k.index && matches!(u.kind, 'p' | 'u'));
            let unique_schema = unique
                .and_then(|u| c.namespace(u.namespace))
                .map_or(NULL, |n| text(&n.name));
            Some(vec![
                text(DATABASE),
                text(&r.schema),
                text(&k.name),
                text(DATABASE),
                unique_schema,
                unique.map_or(NULL, |u| text(&u.name)),
                text("NONE"),
                text(rule(k.on_update)),
                text(rule(k.on_delete)),
            ])
        })
        .collect()
}

pub(super) fn sequences(c: &Catalog) -> Rows {
    c.sequences
        .iter()
        .map(|(_, s)| {
            let precision = match s.data_type {
                driftdb_engine::value::DataType::Int2 => 16,
                driftdb_engine::value::DataType::Int4 => 32,
                _ => 64,
            };
            vec![
                text(DATABASE),
                text(&s.schema),
                text(&s.name),
                text(driftdb_engine::sequence::type_name(s.data_type)),
                card(precision),
                card(2),
                card(0),
                text(&s.start.to_string()),
                text(&s.min.to_string()),
                text(&s.max.to_string()),
                text(&s.increment.to_string()),
                yes_no(s.cycle),
            ]
        })
        .collect()
}

pub(super) fn views(c: &Catalog) -> Rows {
    c.relations
        .iter()
        .filter(|r| r.kind == Kind::View && r.view_sql.is_some())
        .map(|r| {
            vec![
                text(DATABASE),
                text(&r.schema),
                text(&r.name),
                r.view_sql.as_deref().map_or(NULL, text),
                text("NONE"),
                yes_no(false),
                yes_no(false),
                yes_no(false),
                yes_no(false),
                yes_no(false),
            ]
        })
        .collect()
}
