//! PostgreSQL's system relations, `pg_catalog.*` and `information_schema.*`,
//! generated from the engine's catalog as of the reading transaction's
//! snapshot (or the past point a `FOR SYSTEM_TIME AS OF` names), so the
//! queries psql and drivers send to learn a schema are answered from the
//! schema itself.
//!
//! - `types.rs`: DriftDB types as PostgreSQL numbers them (type OIDs, type
//!   modifiers, `format_type`); the wire server uses it too.
//! - `model.rs`: the catalog as namespaces, relations, attributes and
//!   constraints with their OIDs.
//! - `pg_catalog.rs` and `information_schema.rs`: the rows of each relation.
//! - `default_text.rs`: a column default as PostgreSQL prints it back
//!   (`'x'::character varying`, `false` for `'0'` on a boolean).
//! - `functions.rs`: the catalog functions (`format_type`, `pg_get_indexdef`,
//!   `pg_table_is_visible`, `regclass` casts …).
//!
//! Values: `oid` and the `reg*` types are `bigint`s (`regproc`: the
//! function's name), `name` and `"char"` are `text`, arrays (`conkey`,
//! `reloptions` …) arrays of those, and `int2vector`/`oidvector` (`indkey`,
//! `indclass`) the engine's vector types (subscripts from 0, text `1 2`).

mod default_text;
pub mod functions;
mod information_schema;
pub mod model;
mod pg_catalog;
pub mod types;

use driftdb_engine::value::{DataType, Value};

pub use types::{data_type_of, format_type, pg_type, type_modifier, type_oid};

use crate::bind::Column;
use model::Catalog;

/// The rows of a system relation.
pub type Rows = Vec<Vec<Value>>;

/// The database name DriftDB reports.
pub const DATABASE: &str = "driftdb";

/// A system relation: its name, columns (with PostgreSQL type OIDs) and how
/// its rows are made from the catalog.
pub struct SystemTable {
    /// `pg_catalog` or `information_schema`.
    pub schema: &'static str,
    /// Name.
    pub name: &'static str,
    /// A view in PostgreSQL (`relkind` `v`).
    pub view: bool,
    /// Columns and their PostgreSQL type OIDs.
    pub columns: &'static [(&'static str, u32)],
    /// Its rows.
    pub rows: fn(&Catalog) -> Rows,
}

impl std::fmt::Debug for SystemTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// A read of a system relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemScan {
    /// Which one (its position in [`TABLES`]).
    pub table: usize,
    /// Right after this commit (`None`: the transaction's snapshot).
    pub as_of: Option<u64>,
}

/// The DriftDB type a value of PostgreSQL type `oid` is held in.
pub fn value_type(oid: u32) -> DataType {
    use types::*;
    if let Some(t) = data_type_of(oid) {
        return t;
    }
    // Arrays of the catalog's own types (`oid[]`, `name[]`, `"char"[]`).
    if let Some(t) = pg_type(oid).filter(|t| t.category == 'A' && t.elem != 0)
        && let Ok(array) = DataType::array_of(value_type(t.elem))
    {
        return array;
    }
    match oid {
        BOOL => DataType::Bool,
        INT2 => DataType::Int2,
        INT4 => DataType::Int4,
        INT8 | OID | REGCLASS | REGTYPE | REGNAMESPACE => DataType::Int8,
        FLOAT4 => DataType::Float4,
        FLOAT8 => DataType::Float8,
        TIMESTAMPTZ => DataType::Timestamptz,
        _ => DataType::Text,
    }
}

/// The system relation `schema.name`; `schema` `None` searches
/// `pg_catalog` (first on every search path, as in PostgreSQL).
pub fn lookup(schema: Option<&str>, name: &str) -> Option<usize> {
    let schema = schema.unwrap_or("pg_catalog");
    TABLES
        .iter()
        .position(|t| t.schema == schema && t.name == name)
}

/// Whether `schema` is one of the system schemas.
pub fn is_system_schema(schema: &str) -> bool {
    matches!(schema, "pg_catalog" | "information_schema")
}

/// The output columns of system relation `table`.
pub fn columns(table: usize) -> Vec<Column> {
    TABLES.get(table).map_or_else(Vec::new, |t| {
        t.columns
            .iter()
            .map(|(n, ty)| (n.to_string(), Some(value_type(*ty))))
            .collect()
    })
}

/// The rows of a system relation read in `env`: from the statement's
/// catalog (read once, whatever it joins), or the one of a past seq.
pub fn rows(scan: &SystemScan, env: &crate::expr::Env<'_, '_>) -> crate::error::Result<Rows> {
    let Some(t) = TABLES.get(scan.table) else {
        return Ok(Vec::new());
    };
    Ok(match scan.as_of {
        None => (t.rows)(env.catalog()?),
        Some(seq) => (t.rows)(&Catalog::load(env.txn, Some(seq))?),
    })
}

fn no_rows(_: &Catalog) -> Rows {
    Vec::new()
}

use types::{
    BOOL as B, CHAR as CH, FLOAT4 as F4, INT2 as I2, INT2VECTOR as I2V, INT4 as I4, INT8 as I8,
    NAME as N, OID as O, OIDVECTOR as OV, PG_NODE_TREE as NODE, REGPROC as RP, TEXT as T,
    TIMESTAMPTZ as TZ,
};
/// `text[]`, `oid[]`, `int2[]`, `"char"[]`.
const TEXT_ARRAY: u32 = 1009;
const OID_ARRAY: u32 = 1028;
const INT2_ARRAY: u32 = 1005;
const CHAR_ARRAY: u32 = 1002;
/// `aclitem[]`, held as text.
const ACL: u32 = 1034;
/// information_schema's domains, held as their base types.
const SQL_ID: u32 = N;
const CARDINAL: u32 = I4;
const CHARDATA: u32 = T;
const YES_NO: u32 = T;

macro_rules! table {
    ($schema:literal, $name:literal, $view:literal, $rows:expr, [$(($col:literal, $ty:expr)),* $(,)?]) => {
        SystemTable {
            schema: $schema,
            name: $name,
            view: $view,
            columns: &[$(($col, $ty)),*],
            rows: $rows,
        }
    };
}

/// Every system relation.
pub static TABLES: &[SystemTable] = &[
    table!(
        "pg_catalog",
        "pg_namespace",
        false,
        pg_catalog::namespaces,
        [("oid", O), ("nspname", N), ("nspowner", O), ("nspacl", ACL),]
    ),
    table!(
        "pg_catalog",
        "pg_class",
        false,
        pg_catalog::classes,
        [
            ("oid", O),
            ("relname", N),
            ("relnamespace", O),
            ("reltype", O),
            ("reloftype", O),
            ("relowner", O),
            ("relam", O),
            ("relfilenode", O),
            ("reltablespace", O),
            ("relpages", I4),
            ("reltuples", F4),
            ("relallvisible", I4),
            ("reltoastrelid", O),
            ("relhasindex", B),
            ("relisshared", B),
            ("relpersistence", CH),
            ("relkind", CH),
            ("relnatts", I2),
            ("relchecks", I2),
            ("relhasrules", B),
            ("relhastriggers", B),
            ("relhassubclass", B),
            ("relrowsecurity", B),
            ("relforcerowsecurity", B),
            ("relispopulated", B),
            ("relreplident", CH),
            ("relispartition", B),
            ("relrewrite", O),
            ("relacl", ACL),
            ("reloptions", TEXT_ARRAY),
            ("relpartbound", NODE),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_attribute",
        false,
        pg_catalog::attributes,
        [
            ("attrelid", O),
            ("attname", N),
            ("atttypid", O),
            ("attstattarget", I4),
            ("attlen", I2),
            ("attnum", I2),
            ("attndims", I4),
            ("attcacheoff", I4),
            ("atttypmod", I4),
            ("attbyval", B),
            ("attalign", CH),
            ("attstorage", CH),
            ("attcompression", CH),
            ("attnotnull", B),
            ("atthasdef", B),
            ("atthasmissing", B),
            ("attidentity", CH),
            ("attgenerated", CH),
            ("attisdropped", B),
            ("attislocal", B),
            ("attinhcount", I4),
            ("attcollation", O),
            ("attacl", ACL),
            ("attoptions", TEXT_ARRAY),
            ("attfdwoptions", TEXT_ARRAY),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_type",
        false,
        pg_catalog::pg_types,
        [
            ("oid", O),
            ("typname", N),
            ("typnamespace", O),
            ("typowner", O),
            ("typlen", I2),
            ("typbyval", B),
            ("typtype", CH),
            ("typcategory", CH),
            ("typispreferred", B),
            ("typisdefined", B),
            ("typdelim", CH),
            ("typrelid", O),
            ("typsubscript", RP),
            ("typelem", O),
            ("typarray", O),
            ("typinput", RP),
            ("typoutput", RP),
            ("typreceive", RP),
            ("typsend", RP),
            ("typmodin", RP),
            ("typmodout", RP),
            ("typanalyze", RP),
            ("typalign", CH),
            ("typstorage", CH),
            ("typnotnull", B),
            ("typbasetype", O),
            ("typtypmod", I4),
            ("typndims", I4),
            ("typcollation", O),
            ("typdefaultbin", NODE),
            ("typdefault", T),
            ("typacl", ACL),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_index",
        false,
        pg_catalog::indexes,
        [
            ("indexrelid", O),
            ("indrelid", O),
            ("indnatts", I2),
            ("indnkeyatts", I2),
            ("indisunique", B),
            ("indnullsnotdistinct", B),
            ("indisprimary", B),
            ("indisexclusion", B),
            ("indimmediate", B),
            ("indisclustered", B),
            ("indisvalid", B),
            ("indcheckxmin", B),
            ("indisready", B),
            ("indislive", B),
            ("indisreplident", B),
            ("indkey", I2V),
            ("indcollation", OV),
            ("indclass", OV),
            ("indoption", I2V),
            ("indexprs", NODE),
            ("indpred", NODE),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_constraint",
        false,
        pg_catalog::constraints,
        [
            ("oid", O),
            ("conname", N),
            ("connamespace", O),
            ("contype", CH),
            ("condeferrable", B),
            ("condeferred", B),
            ("convalidated", B),
            ("conrelid", O),
            ("contypid", O),
            ("conindid", O),
            ("conparentid", O),
            ("confrelid", O),
            ("confupdtype", CH),
            ("confdeltype", CH),
            ("confmatchtype", CH),
            ("conislocal", B),
            ("coninhcount", I4),
            ("connoinherit", B),
            ("conkey", INT2_ARRAY),
            ("confkey", INT2_ARRAY),
            ("conpfeqop", OID_ARRAY),
            ("conppeqop", OID_ARRAY),
            ("conffeqop", OID_ARRAY),
            ("confdelsetcols", INT2_ARRAY),
            ("conexclop", OID_ARRAY),
            ("conbin", NODE),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_attrdef",
        false,
        pg_catalog::defaults,
        [("oid", O), ("adrelid", O), ("adnum", I2), ("adbin", NODE),]
    ),
    table!(
        "pg_catalog",
        "pg_description",
        false,
        pg_catalog::descriptions,
        [
            ("objoid", O),
            ("classoid", O),
            ("objsubid", I4),
            ("description", T),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_shdescription",
        false,
        no_rows,
        [("objoid", O), ("classoid", O), ("description", T),]
    ),
    table!(
        "pg_catalog",
        "pg_database",
        false,
        pg_catalog::databases,
        [
            ("oid", O),
            ("datname", N),
            ("datdba", O),
            ("encoding", I4),
            ("datlocprovider", CH),
            ("datistemplate", B),
            ("datallowconn", B),
            ("datconnlimit", I4),
            ("dattablespace", O),
            ("datcollate", T),
            ("datctype", T),
            ("daticulocale", T),
            ("datcollversion", T),
            ("datacl", ACL),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_authid",
        false,
        pg_catalog::authid,
        [
            ("oid", O),
            ("rolname", N),
            ("rolsuper", B),
            ("rolinherit", B),
            ("rolcreaterole", B),
            ("rolcreatedb", B),
            ("rolcanlogin", B),
            ("rolreplication", B),
            ("rolbypassrls", B),
            ("rolconnlimit", I4),
            ("rolpassword", T),
            ("rolvaliduntil", TZ),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_roles",
        true,
        pg_catalog::roles,
        [
            ("rolname", N),
            ("rolsuper", B),
            ("rolinherit", B),
            ("rolcreaterole", B),
            ("rolcreatedb", B),
            ("rolcanlogin", B),
            ("rolreplication", B),
            ("rolconnlimit", I4),
            ("rolpassword", T),
            ("rolvaliduntil", TZ),
            ("rolbypassrls", B),
            ("rolconfig", TEXT_ARRAY),
            ("oid", O),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_user",
        true,
        pg_catalog::users,
        [
            ("usename", N),
            ("usesysid", O),
            ("usecreatedb", B),
            ("usesuper", B),
            ("userepl", B),
            ("usebypassrls", B),
            ("passwd", T),
            ("valuntil", TZ),
            ("useconfig", TEXT_ARRAY),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_auth_members",
        false,
        no_rows,
        [
            ("roleid", O),
            ("member", O),
            ("grantor", O),
            ("admin_option", B),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_am",
        false,
        pg_catalog::access_methods,
        [("oid", O), ("amname", N), ("amhandler", RP), ("amtype", CH),]
    ),
    table!(
        "pg_catalog",
        "pg_proc",
        false,
        pg_catalog::procs,
        [
            ("oid", O),
            ("proname", N),
            ("pronamespace", O),
            ("proowner", O),
            ("prolang", O),
            ("procost", F4),
            ("prorows", F4),
            ("provariadic", O),
            ("prosupport", RP),
            ("prokind", CH),
            ("prosecdef", B),
            ("proleakproof", B),
            ("proisstrict", B),
            ("proretset", B),
            ("provolatile", CH),
            ("proparallel", CH),
            ("pronargs", I2),
            ("pronargdefaults", I2),
            ("prorettype", O),
            ("proargtypes", OV),
            ("proallargtypes", OID_ARRAY),
            ("proargmodes", CHAR_ARRAY),
            ("proargnames", TEXT_ARRAY),
            ("proargdefaults", NODE),
            ("protrftypes", OID_ARRAY),
            ("prosrc", T),
            ("probin", T),
            ("prosqlbody", NODE),
            ("proconfig", TEXT_ARRAY),
            ("proacl", ACL),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_settings",
        true,
        pg_catalog::settings,
        [
            ("name", T),
            ("setting", T),
            ("unit", T),
            ("category", T),
            ("short_desc", T),
            ("extra_desc", T),
            ("context", T),
            ("vartype", T),
            ("source", T),
            ("min_val", T),
            ("max_val", T),
            ("enumvals", TEXT_ARRAY),
            ("boot_val", T),
            ("reset_val", T),
            ("sourcefile", T),
            ("sourceline", I4),
            ("pending_restart", B),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_tables",
        true,
        pg_catalog::tables,
        [
            ("schemaname", N),
            ("tablename", N),
            ("tableowner", N),
            ("tablespace", N),
            ("hasindexes", B),
            ("hasrules", B),
            ("hastriggers", B),
            ("rowsecurity", B),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_views",
        true,
        pg_catalog::views,
        [
            ("schemaname", N),
            ("viewname", N),
            ("viewowner", N),
            ("definition", T),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_indexes",
        true,
        pg_catalog::index_list,
        [
            ("schemaname", N),
            ("tablename", N),
            ("indexname", N),
            ("tablespace", N),
            ("indexdef", T),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_inherits",
        false,
        no_rows,
        [
            ("inhrelid", O),
            ("inhparent", O),
            ("inhseqno", I4),
            ("inhdetachpending", B),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_collation",
        false,
        pg_catalog::collations,
        [
            ("oid", O),
            ("collname", N),
            ("collnamespace", O),
            ("collowner", O),
            ("collprovider", CH),
            ("collisdeterministic", B),
            ("collencoding", I4),
            ("collcollate", T),
            ("collctype", T),
            ("colliculocale", T),
            ("collversion", T),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_extension",
        false,
        no_rows,
        [
            ("oid", O),
            ("extname", N),
            ("extowner", O),
            ("extnamespace", O),
            ("extrelocatable", B),
            ("extversion", T),
            ("extconfig", OID_ARRAY),
            ("extcondition", TEXT_ARRAY),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_enum",
        false,
        no_rows,
        [
            ("oid", O),
            ("enumtypid", O),
            ("enumsortorder", F4),
            ("enumlabel", N),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_range",
        false,
        no_rows,
        [
            ("rngtypid", O),
            ("rngsubtype", O),
            ("rngmultitypid", O),
            ("rngcollation", O),
            ("rngsubopc", O),
            ("rngcanonical", RP),
            ("rngsubdiff", RP),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_tablespace",
        false,
        pg_catalog::tablespaces,
        [
            ("oid", O),
            ("spcname", N),
            ("spcowner", O),
            ("spcacl", ACL),
            ("spcoptions", TEXT_ARRAY),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_policy",
        false,
        no_rows,
        [
            ("oid", O),
            ("polname", N),
            ("polrelid", O),
            ("polcmd", CH),
            ("polpermissive", B),
            ("polroles", OID_ARRAY),
            ("polqual", NODE),
            ("polwithcheck", NODE),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_statistic_ext",
        false,
        no_rows,
        [
            ("oid", O),
            ("stxrelid", O),
            ("stxname", N),
            ("stxnamespace", O),
            ("stxowner", O),
            ("stxstattarget", I4),
            ("stxkeys", I2V),
            ("stxkind", CHAR_ARRAY),
            ("stxexprs", NODE),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_publication",
        false,
        no_rows,
        [
            ("oid", O),
            ("pubname", N),
            ("pubowner", O),
            ("puballtables", B),
            ("pubinsert", B),
            ("pubupdate", B),
            ("pubdelete", B),
            ("pubtruncate", B),
            ("pubviaroot", B),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_publication_namespace",
        false,
        no_rows,
        [("oid", O), ("pnpubid", O), ("pnnspid", O),]
    ),
    table!(
        "pg_catalog",
        "pg_publication_rel",
        false,
        no_rows,
        [
            ("oid", O),
            ("prpubid", O),
            ("prrelid", O),
            ("prqual", NODE),
            ("prattrs", I2V),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_trigger",
        false,
        no_rows,
        [
            ("oid", O),
            ("tgrelid", O),
            ("tgparentid", O),
            ("tgname", N),
            ("tgfoid", O),
            ("tgtype", I2),
            ("tgenabled", CH),
            ("tgisinternal", B),
            ("tgconstrrelid", O),
            ("tgconstrindid", O),
            ("tgconstraint", O),
            ("tgdeferrable", B),
            ("tginitdeferred", B),
            ("tgnargs", I2),
            ("tgattr", I2V),
            ("tgargs", T),
            ("tgqual", NODE),
            ("tgoldtable", N),
            ("tgnewtable", N),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_rewrite",
        false,
        no_rows,
        [
            ("oid", O),
            ("rulename", N),
            ("ev_class", O),
            ("ev_type", CH),
            ("ev_enabled", CH),
            ("is_instead", B),
            ("ev_qual", NODE),
            ("ev_action", NODE),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_sequence",
        false,
        pg_catalog::sequences,
        [
            ("seqrelid", O),
            ("seqtypid", O),
            ("seqstart", I8),
            ("seqincrement", I8),
            ("seqmax", I8),
            ("seqmin", I8),
            ("seqcache", I8),
            ("seqcycle", B),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_opclass",
        false,
        no_rows,
        [
            ("oid", O),
            ("opcmethod", O),
            ("opcname", N),
            ("opcnamespace", O),
            ("opcowner", O),
            ("opcfamily", O),
            ("opcintype", O),
            ("opcdefault", B),
            ("opckeytype", O),
        ]
    ),
    table!(
        "pg_catalog",
        "pg_depend",
        false,
        pg_catalog::dependencies,
        [
            ("classid", O),
            ("objid", O),
            ("objsubid", I4),
            ("refclassid", O),
            ("refobjid", O),
            ("refobjsubid", I4),
            ("deptype", CH),
        ]
    ),
    table!(
        "information_schema",
        "schemata",
        true,
        information_schema::schemata,
        [
            ("catalog_name", SQL_ID),
            ("schema_name", SQL_ID),
            ("schema_owner", SQL_ID),
            ("default_character_set_catalog", SQL_ID),
            ("default_character_set_schema", SQL_ID),
            ("default_character_set_name", SQL_ID),
            ("sql_path", CHARDATA),
        ]
    ),
    table!(
        "information_schema",
        "tables",
        true,
        information_schema::tables,
        [
            ("table_catalog", SQL_ID),
            ("table_schema", SQL_ID),
            ("table_name", SQL_ID),
            ("table_type", CHARDATA),
            ("self_referencing_column_name", SQL_ID),
            ("reference_generation", CHARDATA),
            ("user_defined_type_catalog", SQL_ID),
            ("user_defined_type_schema", SQL_ID),
            ("user_defined_type_name", SQL_ID),
            ("is_insertable_into", YES_NO),
            ("is_typed", YES_NO),
            ("commit_action", CHARDATA),
        ]
    ),
    table!(
        "information_schema",
        "columns",
        true,
        information_schema::columns,
        [
            ("table_catalog", SQL_ID),
            ("table_schema", SQL_ID),
            ("table_name", SQL_ID),
            ("column_name", SQL_ID),
            ("ordinal_position", CARDINAL),
            ("column_default", CHARDATA),
            ("is_nullable", YES_NO),
            ("data_type", CHARDATA),
            ("character_maximum_length", CARDINAL),
            ("character_octet_length", CARDINAL),
            ("numeric_precision", CARDINAL),
            ("numeric_precision_radix", CARDINAL),
            ("numeric_scale", CARDINAL),
            ("datetime_precision", CARDINAL),
            ("interval_type", CHARDATA),
            ("interval_precision", CARDINAL),
            ("character_set_catalog", SQL_ID),
            ("character_set_schema", SQL_ID),
            ("character_set_name", SQL_ID),
            ("collation_catalog", SQL_ID),
            ("collation_schema", SQL_ID),
            ("collation_name", SQL_ID),
            ("domain_catalog", SQL_ID),
            ("domain_schema", SQL_ID),
            ("domain_name", SQL_ID),
            ("udt_catalog", SQL_ID),
            ("udt_schema", SQL_ID),
            ("udt_name", SQL_ID),
            ("scope_catalog", SQL_ID),
            ("scope_schema", SQL_ID),
            ("scope_name", SQL_ID),
            ("maximum_cardinality", CARDINAL),
            ("dtd_identifier", SQL_ID),
            ("is_self_referencing", YES_NO),
            ("is_identity", YES_NO),
            ("identity_generation", CHARDATA),
            ("identity_start", CHARDATA),
            ("identity_increment", CHARDATA),
            ("identity_maximum", CHARDATA),
            ("identity_minimum", CHARDATA),
            ("identity_cycle", YES_NO),
            ("is_generated", CHARDATA),
            ("generation_expression", CHARDATA),
            ("is_updatable", YES_NO),
        ]
    ),
    table!(
        "information_schema",
        "table_constraints",
        true,
        information_schema::table_constraints,
        [
            ("constraint_catalog", SQL_ID),
            ("constraint_schema", SQL_ID),
            ("constraint_name", SQL_ID),
            ("table_catalog", SQL_ID),
            ("table_schema", SQL_ID),
            ("table_name", SQL_ID),
            ("constraint_type", CHARDATA),
            ("is_deferrable", YES_NO),
            ("initially_deferred", YES_NO),
            ("enforced", YES_NO),
            ("nulls_distinct", YES_NO),
        ]
    ),
    table!(
        "information_schema",
        "key_column_usage",
        true,
        information_schema::key_column_usage,
        [
            ("constraint_catalog", SQL_ID),
            ("constraint_schema", SQL_ID),
            ("constraint_name", SQL_ID),
            ("table_catalog", SQL_ID),
            ("table_schema", SQL_ID),
            ("table_name", SQL_ID),
            ("column_name", SQL_ID),
            ("ordinal_position", CARDINAL),
            ("position_in_unique_constraint", CARDINAL),
        ]
    ),
    table!(
        "information_schema",
        "referential_constraints",
        true,
        information_schema::referential_constraints,
        [
            ("constraint_catalog", SQL_ID),
            ("constraint_schema", SQL_ID),
            ("constraint_name", SQL_ID),
            ("unique_constraint_catalog", SQL_ID),
            ("unique_constraint_schema", SQL_ID),
            ("unique_constraint_name", SQL_ID),
            ("match_option", CHARDATA),
            ("update_rule", CHARDATA),
            ("delete_rule", CHARDATA),
        ]
    ),
    table!(
        "information_schema",
        "views",
        true,
        information_schema::views,
        [
            ("table_catalog", SQL_ID),
            ("table_schema", SQL_ID),
            ("table_name", SQL_ID),
            ("view_definition", CHARDATA),
            ("check_option", CHARDATA),
            ("is_updatable", YES_NO),
            ("is_insertable_into", YES_NO),
            ("is_trigger_updatable", YES_NO),
            ("is_trigger_deletable", YES_NO),
            ("is_trigger_insertable_into", YES_NO),
        ]
    ),
    table!(
        "information_schema",
        "sequences",
        true,
        information_schema::sequences,
        [
            ("sequence_catalog", SQL_ID),
            ("sequence_schema", SQL_ID),
            ("sequence_name", SQL_ID),
            ("data_type", CHARDATA),
            ("numeric_precision", CARDINAL),
            ("numeric_precision_radix", CARDINAL),
            ("numeric_scale", CARDINAL),
            ("start_value", CHARDATA),
            ("minimum_value", CHARDATA),
            ("maximum_value", CHARDATA),
            ("increment", CHARDATA),
            ("cycle_option", YES_NO),
        ]
    ),
];
