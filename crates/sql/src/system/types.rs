//! PostgreSQL's type identities for DriftDB's types: the OID and type
//! modifier a column of each type has in `pg_attribute` and in a wire-protocol
//! RowDescription, and the name `format_type` gives it (an array's OID is
//! its element's `typarray`). The one place that maps [`DataType`] to
//! PostgreSQL's numbers.

use driftdb_engine::value::DataType;

/// `bool`
pub const BOOL: u32 = 16;
/// `bytea`
pub const BYTEA: u32 = 17;
/// `"char"` (one byte; `pg_class.relkind` and the like)
pub const CHAR: u32 = 18;
/// `name`
pub const NAME: u32 = 19;
/// `int8`
pub const INT8: u32 = 20;
/// `int2`
pub const INT2: u32 = 21;
/// `int2vector`
pub const INT2VECTOR: u32 = 22;
/// `int4`
pub const INT4: u32 = 23;
/// `regproc`
pub const REGPROC: u32 = 24;
/// `text`
pub const TEXT: u32 = 25;
/// `oid`
pub const OID: u32 = 26;
/// `oidvector`
pub const OIDVECTOR: u32 = 30;
/// `pg_node_tree`
pub const PG_NODE_TREE: u32 = 194;
/// `float4`
pub const FLOAT4: u32 = 700;
/// `float8`
pub const FLOAT8: u32 = 701;
/// `bpchar` (`char(n)`)
pub const BPCHAR: u32 = 1042;
/// `varchar`
pub const VARCHAR: u32 = 1043;
/// `date`
pub const DATE: u32 = 1082;
/// `time`
pub const TIME: u32 = 1083;
/// `timestamp`
pub const TIMESTAMP: u32 = 1114;
/// `timestamptz`
pub const TIMESTAMPTZ: u32 = 1184;
/// `interval`
pub const INTERVAL: u32 = 1186;
/// `numeric`
pub const NUMERIC: u32 = 1700;
/// `regclass`
pub const REGCLASS: u32 = 2205;
/// `regtype`
pub const REGTYPE: u32 = 2206;
/// `uuid`
pub const UUID: u32 = 2950;
/// `regnamespace`
pub const REGNAMESPACE: u32 = 4089;
/// `json`
pub const JSON: u32 = 114;
/// `jsonb`
pub const JSONB: u32 = 3802;

/// The OID of `t` in `pg_type`, as PostgreSQL numbers it.
pub fn type_oid(t: DataType) -> u32 {
    match t {
        DataType::Bool => BOOL,
        DataType::Int2 => INT2,
        DataType::Int4 => INT4,
        DataType::Int8 => INT8,
        DataType::Float4 => FLOAT4,
        DataType::Float8 => FLOAT8,
        DataType::Numeric(_) => NUMERIC,
        DataType::Text => TEXT,
        DataType::Varchar(_) => VARCHAR,
        DataType::Char(_) => BPCHAR,
        DataType::Bytea => BYTEA,
        DataType::Date => DATE,
        DataType::Time => TIME,
        DataType::Timestamp => TIMESTAMP,
        DataType::Timestamptz => TIMESTAMPTZ,
        DataType::Interval => INTERVAL,
        DataType::Uuid => UUID,
        DataType::Json => JSON,
        DataType::Jsonb => JSONB,
        DataType::Array(t) if t.vector => match t.element {
            DataType::Int2 => INT2VECTOR,
            _ => OIDVECTOR,
        },
        DataType::Array(t) => pg_type(type_oid(t.element)).map_or(0, |e| e.array),
    }
}

/// The DriftDB column type of PostgreSQL type `oid`, when it is one.
pub fn data_type_of(oid: u32) -> Option<DataType> {
    Some(match oid {
        BOOL => DataType::Bool,
        INT2 => DataType::Int2,
        INT4 => DataType::Int4,
        INT8 => DataType::Int8,
        FLOAT4 => DataType::Float4,
        FLOAT8 => DataType::Float8,
        NUMERIC => DataType::Numeric(None),
        TEXT => DataType::Text,
        VARCHAR => DataType::Varchar(None),
        BYTEA => DataType::Bytea,
        DATE => DataType::Date,
        TIME => DataType::Time,
        TIMESTAMP => DataType::Timestamp,
        TIMESTAMPTZ => DataType::Timestamptz,
        INTERVAL => DataType::Interval,
        UUID => DataType::Uuid,
        JSON => DataType::Json,
        JSONB => DataType::Jsonb,
        INT2VECTOR => DataType::vector_of(DataType::Int2).ok()?,
        OIDVECTOR => DataType::vector_of(DataType::Int8).ok()?,
        array => {
            let t = pg_type(array).filter(|t| t.category == 'A' && t.elem != 0)?;
            DataType::array_of(data_type_of(t.elem)?).ok()?
        }
    })
}

/// The type modifier (`atttypmod`) of `t` in PostgreSQL's encoding:
/// `varchar(n)` and `char(n)` are n + 4, `numeric(p, s)` is
/// `((p << 16) | s) + 4`, and a type without a modifier is -1.
pub fn type_modifier(t: DataType) -> i32 {
    let header = |n: u32| i32::try_from(n).map_or(-1, |n| n.saturating_add(4));
    match t {
        DataType::Varchar(Some(n)) | DataType::Char(n) => header(n),
        DataType::Numeric(Some((p, s))) => header((p << 16) | (s & 0xffff)),
        _ => -1,
    }
}

/// One row of `pg_type`: what DriftDB knows of a PostgreSQL type.
#[derive(Debug, Clone, Copy)]
pub struct PgType {
    /// OID.
    pub oid: u32,
    /// `typname`
    pub name: &'static str,
    /// `typlen` (-1: variable, -2: C string).
    pub len: i16,
    /// `typcategory`
    pub category: char,
    /// `typstorage`: p plain, x extended, m main.
    pub storage: char,
    /// `typelem`: the element type of an array type (0 otherwise).
    pub elem: u32,
    /// `typarray`: the array type of this type (0 when none).
    pub array: u32,
    /// `typcollation`: 100 (default) for collatable types.
    pub collation: u32,
    /// What `format_type` calls it.
    pub sql_name: &'static str,
}

const fn ty(
    oid: u32,
    name: &'static str,
    len: i16,
    category: char,
    array: u32,
    sql_name: &'static str,
) -> PgType {
    let storage = if len > 0 { 'p' } else { 'x' };
    PgType {
        oid,
        name,
        len,
        category,
        storage,
        elem: 0,
        array,
        collation: 0,
        sql_name,
    }
}

const fn collatable(t: PgType) -> PgType {
    PgType {
        collation: DEFAULT_COLLATION,
        ..t
    }
}

const fn array_of(oid: u32, name: &'static str, elem: u32, sql_name: &'static str) -> PgType {
    PgType {
        oid,
        name,
        len: -1,
        category: 'A',
        storage: 'x',
        elem,
        array: 0,
        collation: 0,
        sql_name,
    }
}

/// OID of the `default` collation.
pub const DEFAULT_COLLATION: u32 = 100;

/// The types `pg_type` lists: DriftDB's column types, the catalog's own
/// (`oid`, `name`, `"char"`, `reg*`), and their array types.
pub const PG_TYPES: &[PgType] = &[
    ty(BOOL, "bool", 1, 'B', 1000, "boolean"),
    ty(BYTEA, "bytea", -1, 'U', 1001, "bytea"),
    collatable(ty(CHAR, "char", 1, 'Z', 1002, "\"char\"")),
    ty(NAME, "name", 64, 'S', 1003, "name"),
    ty(INT8, "int8", 8, 'N', 1016, "bigint"),
    ty(INT2, "int2", 2, 'N', 1005, "smallint"),
    ty(INT2VECTOR, "int2vector", -1, 'A', 1006, "int2vector"),
    ty(INT4, "int4", 4, 'N', 1007, "integer"),
    ty(REGPROC, "regproc", 4, 'N', 1008, "regproc"),
    collatable(ty(TEXT, "text", -1, 'S', 1009, "text")),
    ty(OID, "oid", 4, 'N', 1028, "oid"),
    ty(OIDVECTOR, "oidvector", -1, 'A', 1013, "oidvector"),
    collatable(ty(PG_NODE_TREE, "pg_node_tree", -1, 'Z', 0, "pg_node_tree")),
    ty(FLOAT4, "float4", 4, 'N', 1021, "real"),
    ty(FLOAT8, "float8", 8, 'N', 1022, "double precision"),
    collatable(ty(BPCHAR, "bpchar", -1, 'S', 1014, "character")),
    collatable(ty(VARCHAR, "varchar", -1, 'S', 1015, "character varying")),
    ty(DATE, "date", 4, 'D', 1182, "date"),
    ty(TIME, "time", 8, 'D', 1183, "time without time zone"),
    ty(
        TIMESTAMP,
        "timestamp",
        8,
        'D',
        1115,
        "timestamp without time zone",
    ),
    ty(
        TIMESTAMPTZ,
        "timestamptz",
        8,
        'D',
        1185,
        "timestamp with time zone",
    ),
    ty(INTERVAL, "interval", 16, 'T', 1187, "interval"),
    PgType {
        storage: 'm',
        ..ty(NUMERIC, "numeric", -1, 'N', 1231, "numeric")
    },
    ty(REGCLASS, "regclass", 4, 'N', 2210, "regclass"),
    ty(REGTYPE, "regtype", 4, 'N', 2211, "regtype"),
    ty(UUID, "uuid", 16, 'U', 2951, "uuid"),
    ty(REGNAMESPACE, "regnamespace", 4, 'N', 4090, "regnamespace"),
    ty(JSON, "json", -1, 'U', 199, "json"),
    ty(JSONB, "jsonb", -1, 'U', 3807, "jsonb"),
    array_of(1000, "_bool", BOOL, "boolean[]"),
    array_of(1001, "_bytea", BYTEA, "bytea[]"),
    array_of(1002, "_char", CHAR, "\"char\"[]"),
    array_of(1003, "_name", NAME, "name[]"),
    array_of(1005, "_int2", INT2, "smallint[]"),
    array_of(1006, "_int2vector", INT2VECTOR, "int2vector[]"),
    array_of(1007, "_int4", INT4, "integer[]"),
    array_of(1008, "_regproc", REGPROC, "regproc[]"),
    collatable(array_of(1009, "_text", TEXT, "text[]")),
    array_of(1013, "_oidvector", OIDVECTOR, "oidvector[]"),
    collatable(array_of(1014, "_bpchar", BPCHAR, "character[]")),
    collatable(array_of(1015, "_varchar", VARCHAR, "character varying[]")),
    array_of(1016, "_int8", INT8, "bigint[]"),
    array_of(1021, "_float4", FLOAT4, "real[]"),
    array_of(1022, "_float8", FLOAT8, "double precision[]"),
    array_of(1028, "_oid", OID, "oid[]"),
    array_of(
        1115,
        "_timestamp",
        TIMESTAMP,
        "timestamp without time zone[]",
    ),
    array_of(1182, "_date", DATE, "date[]"),
    array_of(1183, "_time", TIME, "time without time zone[]"),
    array_of(
        1185,
        "_timestamptz",
        TIMESTAMPTZ,
        "timestamp with time zone[]",
    ),
    array_of(1187, "_interval", INTERVAL, "interval[]"),
    array_of(1231, "_numeric", NUMERIC, "numeric[]"),
    array_of(2210, "_regclass", REGCLASS, "regclass[]"),
    array_of(2211, "_regtype", REGTYPE, "regtype[]"),
    array_of(2951, "_uuid", UUID, "uuid[]"),
    array_of(4090, "_regnamespace", REGNAMESPACE, "regnamespace[]"),
    array_of(199, "_json", JSON, "json[]"),
    array_of(3807, "_jsonb", JSONB, "jsonb[]"),
];

/// The `pg_type` row of OID `oid`.
pub fn pg_type(oid: u32) -> Option<&'static PgType> {
    PG_TYPES.iter().find(|t| t.oid == oid)
}

/// The `pg_type` row named `name` (`typname` or the SQL name).
pub fn pg_type_named(name: &str) -> Option<&'static PgType> {
    let name = name.strip_prefix("pg_catalog.").unwrap_or(name);
    let alias = match name {
        "integer" | "int" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "boolean" => "bool",
        "real" => "float4",
        "double precision" => "float8",
        "character varying" => "varchar",
        "character" => "bpchar",
        "decimal" => "numeric",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        other => other,
    };
    PG_TYPES.iter().find(|t| t.name == alias)
}

/// PostgreSQL's `format_type(oid, typmod)`: the SQL name of a type with its
/// modifier (`character varying(20)`, `numeric(10,2)`); `???` for an unknown
/// OID, as PostgreSQL prints it.
pub fn format_type(oid: u32, typmod: i32) -> String {
    let Some(t) = pg_type(oid) else {
        return "???".into();
    };
    let m = typmod - 4;
    match oid {
        VARCHAR | BPCHAR if typmod >= 4 => format!("{}({m})", t.sql_name),
        BPCHAR => "bpchar".into(),
        NUMERIC if typmod >= 4 => format!("numeric({},{})", (m >> 16) & 0xffff, m & 0xffff),
        _ => t.sql_name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifiers_follow_postgres_encoding() {
        assert_eq!(type_modifier(DataType::Varchar(Some(20))), 24);
        assert_eq!(type_modifier(DataType::Varchar(None)), -1);
        assert_eq!(type_modifier(DataType::Char(1)), 5);
        assert_eq!(type_modifier(DataType::Numeric(Some((10, 2)))), 655_366);
        assert_eq!(type_modifier(DataType::Int4), -1);
    }

    #[test]
    fn format_type_prints_modifiers() {
        let f = |t: DataType| format_type(type_oid(t), type_modifier(t));
        assert_eq!(f(DataType::Varchar(Some(20))), "character varying(20)");
        assert_eq!(f(DataType::Numeric(Some((10, 2)))), "numeric(10,2)");
        assert_eq!(f(DataType::Numeric(None)), "numeric");
        assert_eq!(f(DataType::Char(3)), "character(3)");
        assert_eq!(f(DataType::Timestamptz), "timestamp with time zone");
        assert_eq!(format_type(1, -1), "???");
    }

    #[test]
    fn every_column_type_is_listed() {
        for t in [
            DataType::Bool,
            DataType::Int2,
            DataType::Int4,
            DataType::Int8,
            DataType::Float4,
            DataType::Float8,
            DataType::Numeric(None),
            DataType::Text,
            DataType::Varchar(None),
            DataType::Char(1),
            DataType::Bytea,
            DataType::Date,
            DataType::Time,
            DataType::Timestamp,
            DataType::Timestamptz,
            DataType::Interval,
            DataType::Uuid,
            DataType::Json,
            DataType::Jsonb,
        ] {
            assert!(pg_type(type_oid(t)).is_some(), "{t:?}");
            if let Ok(array) = DataType::array_of(t) {
                assert_eq!(data_type_of(type_oid(array)), Some(array), "{t:?}[]");
            }
        }
    }

    #[test]
    fn arrays_have_postgres_oids() -> Result<(), driftdb_engine::error::EngineError> {
        assert_eq!(type_oid(DataType::array_of(DataType::Int4)?), 1007);
        assert_eq!(type_oid(DataType::array_of(DataType::Text)?), 1009);
        assert_eq!(type_oid(DataType::array_of(DataType::Int8)?), 1016);
        assert_eq!(type_oid(DataType::vector_of(DataType::Int2)?), INT2VECTOR);
        assert_eq!(format_type(1007, -1), "integer[]");
        Ok(())
    }
}
