//! The functions catalog queries call: `format_type`, `pg_get_indexdef`,
//! `pg_get_constraintdef`, `pg_table_is_visible`, the `reg*` casts,
//! `current_database()`, `version()`, privileges (all granted: the one role
//! is a superuser).

use driftdb_engine::text::format_text;
use driftdb_engine::value::{Array, DataType, Value};

use super::model::{Catalog, Kind, Relation, SUPERUSER, SUPERUSER_OID, namespace_oid, quote_ident};
use super::types;
use crate::error::{Result, SqlError};

/// A catalog function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogFunc {
    /// `format_type(oid, typmod)`
    FormatType,
    /// `pg_get_indexdef(oid [, column, pretty])`
    IndexDef,
    /// `pg_get_constraintdef(oid [, pretty])`
    ConstraintDef,
    /// `pg_get_expr(node, relation [, pretty])`: the stored expression text.
    GetExpr,
    /// `pg_get_viewdef(oid [, pretty])`
    ViewDef,
    /// `pg_table_is_visible(oid)`
    TableIsVisible,
    /// `pg_type_is_visible(oid)`, `pg_collation_is_visible`, …: true.
    Visible,
    /// `pg_get_userbyid(oid)`
    UserById,
    /// `pg_get_serial_sequence(table, column)`: the sequence of a `SERIAL`
    /// or identity column, qualified.
    SerialSequence,
    /// `obj_description(oid [, catalog])`: a relation's `COMMENT ON` text.
    ObjDescription,
    /// `col_description(table oid, column number)`
    ColDescription,
    /// `shobj_description`, `pg_get_triggerdef`,
    /// `pg_get_statisticsobjdef_columns`: NULL (none exist).
    Null,
    /// `current_database()`
    CurrentDatabase,
    /// `current_schema()`
    CurrentSchema,
    /// `current_schemas(include_implicit)`
    CurrentSchemas,
    /// `current_user`, `session_user`, `user`
    CurrentUser,
    /// `version()`
    Version,
    /// `has_table_privilege` and the other privilege checks: true.
    Privilege,
    /// `pg_relation_is_publishable(oid)`: false (no publications).
    False,
    /// `pg_encoding_to_char(int)`
    EncodingToChar,
    /// `quote_ident(text)`
    QuoteIdent,
    /// `pg_partition_ancestors(oid)`: the relation itself (no partitions).
    PartitionAncestors,
    /// `'name'::regclass`: the OID of a relation.
    RegclassIn,
    /// a `regclass` shown as text: the relation's name.
    RegclassOut,
    /// `'name'::regtype`
    RegtypeIn,
    /// a `regtype` as text
    RegtypeOut,
    /// `'name'::regnamespace`
    RegnamespaceIn,
    /// a `regnamespace` as text
    RegnamespaceOut,
    /// `'name'::regproc`: held as the function's name (as `pg_type.typinput`
    /// and the other `regproc` columns are).
    RegprocIn,
    /// `to_regclass(text)`: the OID, NULL when there is no such relation.
    ToRegclass,
    /// `to_regtype(text)`: the OID, NULL when there is no such type.
    ToRegtype,
    /// `json_build_object(k, v, …)`
    JsonBuildObject,
    /// `pg_backend_pid()`
    BackendPid,
    /// `pg_size_pretty(bigint)`
    SizePretty,
}

/// Names of the functions DriftDB has, for `pg_proc`.
pub const NAMES: &[&str] = &[
    "abs",
    "array_agg",
    "array_append",
    "array_cat",
    "array_length",
    "array_position",
    "array_to_string",
    "array_upper",
    "coalesce",
    "col_description",
    "count",
    "current_database",
    "current_schema",
    "current_schemas",
    "current_setting",
    "format_type",
    "greatest",
    "has_schema_privilege",
    "has_table_privilege",
    "json_build_object",
    "least",
    "length",
    "lower",
    "max",
    "min",
    "nullif",
    "obj_description",
    "pg_backend_pid",
    "pg_encoding_to_char",
    "pg_get_constraintdef",
    "pg_get_expr",
    "pg_get_indexdef",
    "pg_get_userbyid",
    "pg_get_viewdef",
    "pg_table_is_visible",
    "pg_type_is_visible",
    "quote_ident",
    "regexp_matches",
    "shobj_description",
    "string_agg",
    "sum",
    "upper",
    "version",
];

/// The catalog function a lower-case name calls.
pub fn by_name(name: &str) -> Option<CatalogFunc> {
    use CatalogFunc as F;
    Some(match name {
        "format_type" => F::FormatType,
        "pg_get_indexdef" => F::IndexDef,
        "pg_get_constraintdef" => F::ConstraintDef,
        "pg_get_expr" => F::GetExpr,
        "pg_get_viewdef" => F::ViewDef,
        "pg_table_is_visible" => F::TableIsVisible,
        "pg_type_is_visible" | "pg_collation_is_visible" | "pg_function_is_visible" => F::Visible,
        "pg_get_userbyid" => F::UserById,
        "pg_get_serial_sequence" => F::SerialSequence,
        "obj_description" => F::ObjDescription,
        "col_description" => F::ColDescription,
        "shobj_description"
        | "pg_get_triggerdef"
        | "pg_get_statisticsobjdef_columns"
        // Sizes on disk are not tracked per relation.
        | "pg_table_size"
        | "pg_relation_size"
        | "pg_total_relation_size"
        | "pg_indexes_size" => F::Null,
        "pg_size_pretty" => F::SizePretty,
        "current_database" => F::CurrentDatabase,
        "current_schema" => F::CurrentSchema,
        "current_schemas" => F::CurrentSchemas,
        "current_user" | "session_user" | "user" => F::CurrentUser,
        "version" => F::Version,
        "has_table_privilege"
        | "has_schema_privilege"
        | "has_database_privilege"
        | "has_column_privilege"
        | "has_any_column_privilege"
        | "has_function_privilege"
        | "has_sequence_privilege"
        | "pg_has_role" => F::Privilege,
        "pg_relation_is_publishable" => F::False,
        "pg_encoding_to_char" => F::EncodingToChar,
        "quote_ident" => F::QuoteIdent,
        "pg_partition_ancestors" => F::PartitionAncestors,
        "json_build_object" => F::JsonBuildObject,
        "pg_backend_pid" => F::BackendPid,
        "to_regclass" => F::ToRegclass,
        "to_regtype" => F::ToRegtype,
        _ => return None,
    })
}

impl CatalogFunc {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        use CatalogFunc as F;
        match self {
            F::FormatType => "format_type",
            F::IndexDef => "pg_get_indexdef",
            F::ConstraintDef => "pg_get_constraintdef",
            F::GetExpr => "pg_get_expr",
            F::ViewDef => "pg_get_viewdef",
            F::TableIsVisible => "pg_table_is_visible",
            F::Visible => "pg_type_is_visible",
            F::UserById => "pg_get_userbyid",
            F::SerialSequence => "pg_get_serial_sequence",
            F::ObjDescription => "obj_description",
            F::ColDescription => "col_description",
            F::Null => "obj_description",
            F::CurrentDatabase => "current_database",
            F::CurrentSchema => "current_schema",
            F::CurrentSchemas => "current_schemas",
            F::CurrentUser => "current_user",
            F::Version => "version",
            F::Privilege => "has_table_privilege",
            F::False => "pg_relation_is_publishable",
            F::EncodingToChar => "pg_encoding_to_char",
            F::QuoteIdent => "quote_ident",
            F::PartitionAncestors => "pg_partition_ancestors",
            F::RegclassIn | F::RegclassOut => "regclass",
            F::RegtypeIn | F::RegtypeOut => "regtype",
            F::RegnamespaceIn | F::RegnamespaceOut => "regnamespace",
            F::RegprocIn => "regproc",
            F::ToRegclass => "to_regclass",
            F::ToRegtype => "to_regtype",
            F::JsonBuildObject => "json_build_object",
            F::BackendPid => "pg_backend_pid",
            F::SizePretty => "pg_size_pretty",
        }
    }

    /// Whether `n` arguments are accepted.
    pub fn accepts(self, n: usize) -> bool {
        use CatalogFunc as F;
        match self {
            F::CurrentDatabase | F::CurrentSchema | F::CurrentUser | F::Version | F::BackendPid => {
                n == 0
            }
            F::FormatType | F::SerialSequence | F::ColDescription => n == 2,
            F::ObjDescription => n == 1 || n == 2,
            F::IndexDef => n == 1 || n == 3,
            F::ConstraintDef | F::ViewDef => n == 1 || n == 2,
            F::GetExpr => n == 2 || n == 3,
            F::Null | F::Privilege => (1..=3).contains(&n),
            F::JsonBuildObject => n.is_multiple_of(2),
            _ => n == 1,
        }
    }

    /// Whether it reads the catalog.
    pub fn needs_catalog(self) -> bool {
        use CatalogFunc as F;
        matches!(
            self,
            F::IndexDef
                | F::ConstraintDef
                | F::ViewDef
                | F::TableIsVisible
                | F::RegclassIn
                | F::ToRegclass
                | F::RegclassOut
                | F::RegnamespaceIn
                | F::RegnamespaceOut
                | F::SerialSequence
                | F::ObjDescription
                | F::ColDescription
        )
    }

    /// The type of its result.
    pub fn result_type(self) -> Option<DataType> {
        use CatalogFunc as F;
        Some(match self {
            F::TableIsVisible | F::Visible | F::Privilege | F::False => DataType::Bool,
            F::PartitionAncestors
            | F::RegclassIn
            | F::RegtypeIn
            | F::RegnamespaceIn
            | F::ToRegclass
            | F::ToRegtype => DataType::Int8,
            F::BackendPid => DataType::Int4,
            F::CurrentSchemas => DataType::array_of(DataType::Text).ok()?,
            _ => DataType::Text,
        })
    }

    /// The function that shows a `reg*` value as text, for the one that
    /// makes it.
    pub fn output(self) -> Option<CatalogFunc> {
        use CatalogFunc as F;
        match self {
            F::RegclassIn | F::ToRegclass | F::PartitionAncestors => Some(F::RegclassOut),
            F::RegtypeIn | F::ToRegtype => Some(F::RegtypeOut),
            F::RegnamespaceIn => Some(F::RegnamespaceOut),
            _ => None,
        }
    }
}

/// `SELECT`'s keywords that `quote_ident` quotes.
pub fn is_reserved(name: &str) -> bool {
    matches!(
        name,
        "all"
            | "analyse"
            | "analyze"
            | "and"
            | "any"
            | "array"
            | "as"
            | "asc"
            | "both"
            | "case"
            | "cast"
            | "check"
            | "collate"
            | "column"
            | "constraint"
            | "create"
            | "current_date"
            | "current_role"
            | "current_time"
            | "current_timestamp"
            | "current_user"
            | "default"
            | "desc"
            | "distinct"
            | "do"
            | "else"
            | "end"
            | "except"
            | "false"
            | "fetch"
            | "for"
            | "foreign"
            | "from"
            | "grant"
            | "group"
            | "having"
            | "in"
            | "initially"
            | "intersect"
            | "into"
            | "leading"
            | "limit"
            | "localtime"
            | "localtimestamp"
            | "not"
            | "null"
            | "offset"
            | "on"
            | "only"
            | "or"
            | "order"
            | "placing"
            | "primary"
            | "references"
            | "returning"
            | "select"
            | "session_user"
            | "some"
            | "symmetric"
            | "table"
            | "then"
            | "to"
            | "trailing"
            | "true"
            | "union"
            | "unique"
            | "user"
            | "using"
            | "variadic"
            | "when"
            | "where"
            | "window"
            | "with"
    )
}

fn as_oid(v: &Value) -> Option<u32> {
    match v {
        Value::Int2(i) => u32::try_from(*i).ok(),
        Value::Int4(i) => u32::try_from(*i).ok(),
        Value::Int8(i) => u32::try_from(*i).ok(),
        Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(i) => Some(i64::from(*i)),
        Value::Int4(i) => Some(i64::from(*i)),
        Value::Int8(i) => Some(*i),
        Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn oid_value(oid: u32) -> Value {
    Value::Int8(i64::from(oid))
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn value_text(v: &Value) -> Option<String> {
    if v.is_null() { None } else { format_text(v) }
}

/// `pg_get_indexdef` of index `r`: the whole `CREATE INDEX` (column 0) or
/// the name of key column `column` (from 1).
pub fn index_def(c: &Catalog, r: &Relation, column: i64) -> String {
    let Some(i) = &r.index else {
        return String::new();
    };
    let Some(table) = c.relation(i.table) else {
        return String::new();
    };
    let names: Vec<String> = i
        .keys
        .iter()
        .filter_map(|k| table.attributes.iter().find(|a| a.num == *k))
        .map(|a| quote_ident(&a.name))
        .collect();
    if column > 0 {
        return usize::try_from(column - 1)
            .ok()
            .and_then(|k| names.get(k).cloned())
            .unwrap_or_default();
    }
    format!(
        "CREATE {}INDEX {} ON {}.{} USING btree ({})",
        if i.unique { "UNIQUE " } else { "" },
        quote_ident(&r.name),
        quote_ident(&table.schema),
        quote_ident(&table.name),
        names.join(", ")
    )
}

/// The value of catalog function `f` over evaluated `args`; `catalog` is
/// the statement's catalog when `f` needs one.
pub fn call(f: CatalogFunc, args: &[Value], catalog: Option<&Catalog>) -> Result<Value> {
    use CatalogFunc as F;
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    let strict = !matches!(
        f,
        F::FormatType | F::JsonBuildObject | F::Privilege | F::Null
    );
    if strict && args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let cat =
        || catalog.ok_or_else(|| SqlError::new("XX000", format!("{} without a catalog", f.name())));
    let oid_arg = |i: usize| {
        as_oid(arg(i)).ok_or_else(|| {
            SqlError::new(
                "22P02",
                format!("invalid input syntax for type oid: {:?}", arg(i)),
            )
        })
    };
    Ok(match f {
        F::FormatType if arg(0).is_null() => Value::Null,
        // Without a modifier, PostgreSQL names bpchar by its SQL name.
        F::FormatType if arg(1).is_null() && as_oid(arg(0)) == Some(types::BPCHAR) => {
            text("character")
        }
        F::FormatType => {
            let typmod = as_int(arg(1))
                .and_then(|m| i32::try_from(m).ok())
                .unwrap_or(-1);
            text(types::format_type(oid_arg(0)?, typmod))
        }
        F::IndexDef => {
            let column = if args.len() > 1 {
                as_int(arg(1)).unwrap_or(0)
            } else {
                0
            };
            match cat()?.relation(oid_arg(0)?) {
                Some(r) if r.kind == Kind::Index => text(index_def(cat()?, r, column)),
                _ => Value::Null,
            }
        }
        F::ConstraintDef => {
            let oid = oid_arg(0)?;
            cat()?
                .constraints
                .iter()
                .find(|k| k.oid == oid)
                .map_or(Value::Null, |k| text(k.definition.clone()))
        }
        F::GetExpr => arg(0).clone(),
        F::ViewDef => match cat()?.relation(oid_arg(0)?) {
            Some(r) => r.view_sql.as_deref().map_or(Value::Null, text),
            None => Value::Null,
        },
        F::TableIsVisible => {
            let c = cat()?;
            match c.relation(oid_arg(0)?) {
                Some(r) => Value::Bool(c.visible(r)),
                None => Value::Null,
            }
        }
        F::Visible | F::Privilege => Value::Bool(true),
        F::False => Value::Bool(false),
        F::Null => Value::Null,
        F::ObjDescription => {
            let class = value_text(arg(1));
            if class.as_deref().is_some_and(|c| c != "pg_class") {
                return Ok(Value::Null);
            }
            cat()?.description(oid_arg(0)?, 0).map_or(Value::Null, text)
        }
        F::ColDescription => match as_int(arg(1)).and_then(|n| i32::try_from(n).ok()) {
            Some(column) if column > 0 => cat()?
                .description(oid_arg(0)?, column)
                .map_or(Value::Null, text),
            _ => Value::Null,
        },
        F::SerialSequence => {
            let (Some(table), Some(column)) = (value_text(arg(0)), value_text(arg(1))) else {
                return Ok(Value::Null);
            };
            let c = cat()?;
            let (_, name) = super::model::split_qualified(&table);
            let r = c.resolve(&table).ok_or_else(|| {
                SqlError::new("42P01", format!("relation \"{name}\" does not exist"))
            })?;
            if !r.attributes.iter().any(|a| a.name == column) {
                return Err(SqlError::new(
                    "42703",
                    format!(
                        "column \"{column}\" of relation \"{}\" does not exist",
                        r.name
                    ),
                ));
            }
            c.owned_sequence(r, &column).map_or(Value::Null, |(_, s)| {
                text(format!(
                    "{}.{}",
                    quote_ident(&s.schema),
                    quote_ident(&s.name)
                ))
            })
        }
        F::UserById => {
            let oid = oid_arg(0)?;
            if oid == SUPERUSER_OID {
                text(SUPERUSER)
            } else {
                text(format!("unknown (OID={oid})"))
            }
        }
        F::CurrentDatabase => text(super::DATABASE),
        F::CurrentSchema => text(driftdb_engine::catalog::PUBLIC),
        F::CurrentSchemas => {
            let implicit = matches!(arg(0), Value::Bool(true)).then_some("pg_catalog");
            let names = implicit.into_iter().chain(["public"]).map(text).collect();
            Value::Array(Array::new(DataType::Text, names)?)
        }
        F::CurrentUser => text(SUPERUSER),
        F::Version => text(format!(
            "PostgreSQL {} (DriftDB {}) on Rust",
            crate::params::SERVER_VERSION,
            env!("CARGO_PKG_VERSION")
        )),
        F::EncodingToChar => match as_int(arg(0)) {
            Some(6) => text("UTF8"),
            Some(0) => text("SQL_ASCII"),
            _ => text(""),
        },
        F::QuoteIdent => text(quote_ident(&value_text(arg(0)).unwrap_or_default())),
        F::PartitionAncestors => oid_value(oid_arg(0)?),
        F::RegclassIn => match arg(0) {
            Value::Text(s) if s.trim().parse::<u32>().is_err() => {
                let (_, name) = super::model::split_qualified(s);
                match cat()?.resolve(s) {
                    Some(r) => oid_value(r.oid),
                    None => {
                        return Err(SqlError::new(
                            "42P01",
                            format!("relation \"{name}\" does not exist"),
                        ));
                    }
                }
            }
            _ => oid_value(oid_arg(0)?),
        },
        F::RegclassOut => text(cat()?.regclass_name(oid_arg(0)?)),
        F::RegtypeIn => match arg(0) {
            Value::Text(s) if s.trim().parse::<u32>().is_err() => {
                let t = types::pg_type_named(&s.trim().to_lowercase()).ok_or_else(|| {
                    SqlError::new("42704", format!("type \"{s}\" does not exist"))
                })?;
                oid_value(t.oid)
            }
            _ => oid_value(oid_arg(0)?),
        },
        F::RegtypeOut => {
            let oid = oid_arg(0)?;
            match types::pg_type(oid) {
                Some(_) => text(types::format_type(oid, -1)),
                None => text(oid.to_string()),
            }
        }
        F::RegnamespaceIn => match arg(0) {
            Value::Text(s) if s.trim().parse::<u32>().is_err() => {
                let (_, name) = super::model::split_qualified(s);
                if !cat()?.namespaces.iter().any(|n| n.name == name) {
                    return Err(SqlError::new(
                        "3F000",
                        format!("schema \"{name}\" does not exist"),
                    ));
                }
                oid_value(namespace_oid(&name))
            }
            _ => oid_value(oid_arg(0)?),
        },
        F::RegnamespaceOut => {
            let oid = oid_arg(0)?;
            cat()?
                .namespace(oid)
                .map_or_else(|| text(oid.to_string()), |n| text(quote_ident(&n.name)))
        }
        F::RegprocIn => {
            let name = value_text(arg(0)).unwrap_or_default().trim().to_lowercase();
            text(name.strip_prefix("pg_catalog.").unwrap_or(&name))
        }
        F::ToRegclass => match arg(0) {
            Value::Text(s) => cat()?.resolve(s).map_or(Value::Null, |r| oid_value(r.oid)),
            _ => Value::Null,
        },
        F::ToRegtype => match arg(0) {
            Value::Text(s) => types::pg_type_named(&s.trim().to_lowercase())
                .map_or(Value::Null, |t| oid_value(t.oid)),
            _ => Value::Null,
        },
        F::JsonBuildObject => {
            let mut parts = Vec::new();
            for pair in args.chunks(2) {
                let [k, v] = pair else {
                    return Err(SqlError::new(
                        "22023",
                        "argument list must have even number of elements",
                    ));
                };
                let key = value_text(k).unwrap_or_default();
                parts.push(format!("{} : {}", json_string(&key), json_value(v)));
            }
            text(format!("{{{}}}", parts.join(", ")))
        }
        F::BackendPid => Value::Int4(i32::try_from(std::process::id()).unwrap_or(0)),
        F::SizePretty => text(size_pretty(as_int(arg(0)).unwrap_or(0))),
    })
}

/// PostgreSQL's `pg_size_pretty`: bytes, then kB, MB, GB, TB, PB, each
/// unit used below 10240 of it, rounded half up.
fn size_pretty(bytes: i64) -> String {
    let mut size = bytes;
    for unit in ["bytes", "kB", "MB", "GB", "TB"] {
        if size.abs() < 10_240 {
            return format!("{size} {unit}");
        }
        let half = if size < 0 { -1 } else { 1 };
        size = (size / 512 + half) / 2;
    }
    format!("{size} PB")
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Numeric(_) => {
            format_text(v).unwrap_or_default()
        }
        other => json_string(&format_text(other).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_as_postgres_prints_them() {
        assert_eq!(size_pretty(8192), "8192 bytes");
        assert_eq!(size_pretty(10_240), "10 kB");
        assert_eq!(size_pretty(1_000_000), "977 kB");
        assert_eq!(size_pretty(10_485_760), "10 MB");
    }
}
