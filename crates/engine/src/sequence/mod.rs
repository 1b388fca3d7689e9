//! Sequences: their definitions are catalog entries, versioned and
//! transactional like tables; the values they hand out are not.
//!
//! ```text
//! keyspace 4 (sequences)       keycode(schema, name) -> definition
//! keyspace 5 (sequence state)  id u32 BE             -> last_value i64 LE | is_called u8
//!
//! definition = format u8 (1) | id u32 | schema str | name str | type tag u8
//!              | increment i64 | min i64 | max i64 | start i64 | cycle u8
//!              | owned u8 | (owned: table str | column str)
//! type tag   = 2 smallint, 3 integer, 4 bigint
//! ```
//!
//! `values.rs` hands out the values. `nextval` and `setval` do not write
//! through the calling transaction: the state is changed by a commit of its own (a fresh snapshot, the new
//! state, committed with that snapshot's seq, so a racing commit of the same
//! state makes one of them retry). `nextval` reserves 32 values per commit
//! (the state records the last one reserved) and hands them out from memory
//! shared by every session of the open storage (`Storage::shared`), in
//! order. So a value is handed out once, even to transactions that later roll
//! back; a reopen skips what was reserved and not handed out (as PostgreSQL
//! skips its logged-ahead values after a crash); and a value that reaches a
//! committed row was durable before that row (the log is written in seq
//! order). The id comes from the table-id counter and is never reused, so
//! the state of a dropped sequence never leaks into a new one of the same
//! name.

mod values;

use std::ops::Bound;

use driftdb_storage::KeyRange;

use crate::bytes::{ByteReader, put_str};
use crate::catalog;
use crate::error::{EngineError, Result};
use crate::keycode::encode_key;
use crate::txn::Transaction;
use crate::value::{DataType, Value};

pub use values::{SessionValues, nextval, restart, setval};

/// Keyspace of sequence definitions.
pub const SEQUENCES: u32 = 4;
/// Keyspace of sequence values (written outside transactions).
pub const SEQUENCE_STATE: u32 = 5;
const FORMAT: u8 = 1;
const ALL: KeyRange<'static> = (Bound::Unbounded, Bound::Unbounded);

/// The column a sequence belongs to (`SERIAL`, identity columns): it goes
/// when its table goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedBy {
    /// The table (in the sequence's schema).
    pub table: String,
    /// The column.
    pub column: String,
}

/// A sequence's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceDef {
    /// Id (from the table-id counter, never reused): keys its state.
    pub id: u32,
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// `AS smallint | integer | bigint`: bounds the default limits.
    pub data_type: DataType,
    /// `INCREMENT BY` (never 0).
    pub increment: i64,
    /// `MINVALUE`
    pub min: i64,
    /// `MAXVALUE`
    pub max: i64,
    /// `START WITH`
    pub start: i64,
    /// `CYCLE`: wrap around at a limit instead of failing.
    pub cycle: bool,
    /// The column it belongs to, if any.
    pub owned_by: Option<OwnedBy>,
}

/// The options of `CREATE SEQUENCE` (or of an identity column), each `None`
/// when not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SequenceOptions {
    /// `AS type`
    pub data_type: Option<DataType>,
    /// `INCREMENT BY`
    pub increment: Option<i64>,
    /// `MINVALUE`
    pub min: Option<i64>,
    /// `MAXVALUE`
    pub max: Option<i64>,
    /// `START WITH`
    pub start: Option<i64>,
    /// `CYCLE`
    pub cycle: bool,
}

impl SequenceDef {
    /// A definition from `options` with PostgreSQL's defaults and checks
    /// (22023 for contradictory options).
    pub fn new(
        schema: &str,
        name: &str,
        options: &SequenceOptions,
        owned_by: Option<OwnedBy>,
    ) -> Result<SequenceDef> {
        let data_type = options.data_type.unwrap_or(DataType::Int8);
        let (type_min, type_max) = match data_type {
            DataType::Int2 => (i64::from(i16::MIN), i64::from(i16::MAX)),
            DataType::Int4 => (i64::from(i32::MIN), i64::from(i32::MAX)),
            DataType::Int8 => (i64::MIN, i64::MAX),
            _ => {
                return Err(invalid(
                    "sequence type must be smallint, integer, or bigint".into(),
                ));
            }
        };
        let type_name = type_name(data_type);
        let increment = options.increment.unwrap_or(1);
        if increment == 0 {
            return Err(invalid("INCREMENT must not be zero".into()));
        }
        let max = options
            .max
            .unwrap_or(if increment > 0 { type_max } else { -1 });
        let min = options
            .min
            .unwrap_or(if increment > 0 { 1 } else { type_min });
        if max < type_min || max > type_max {
            return Err(invalid(format!(
                "MAXVALUE ({max}) is out of range for sequence data type {type_name}"
            )));
        }
        if min < type_min || min > type_max {
            return Err(invalid(format!(
                "MINVALUE ({min}) is out of range for sequence data type {type_name}"
            )));
        }
        if min >= max {
            return Err(invalid(format!(
                "MINVALUE ({min}) must be less than MAXVALUE ({max})"
            )));
        }
        let start = options
            .start
            .unwrap_or(if increment > 0 { min } else { max });
        if start < min {
            return Err(invalid(format!(
                "START value ({start}) cannot be less than MINVALUE ({min})"
            )));
        }
        if start > max {
            return Err(invalid(format!(
                "START value ({start}) cannot be greater than MAXVALUE ({max})"
            )));
        }
        Ok(SequenceDef {
            id: 0,
            schema: schema.to_string(),
            name: name.to_string(),
            data_type,
            increment,
            min,
            max,
            start,
            cycle: options.cycle,
            owned_by,
        })
    }
}

/// The SQL name of a sequence's type.
pub fn type_name(t: DataType) -> &'static str {
    match t {
        DataType::Int2 => "smallint",
        DataType::Int4 => "integer",
        _ => "bigint",
    }
}

fn invalid(message: String) -> EngineError {
    EngineError::InvalidParameter(message)
}

fn key(schema: &str, name: &str) -> Vec<u8> {
    let mut key = Vec::new();
    encode_key(
        &[Value::Text(schema.into()), Value::Text(name.into())],
        &mut key,
    );
    key
}

/// `CREATE SEQUENCE`: stores `def` under a fresh id and returns it. A table,
/// view or sequence of the same name is 42P07.
pub fn create_sequence(txn: &mut Transaction<'_>, mut def: SequenceDef) -> Result<SequenceDef> {
    if catalog::relation_exists(txn, &def.schema, &def.name)? {
        return Err(EngineError::DuplicateTable(def.name.clone()));
    }
    catalog::require_schema(txn, &def.schema)?;
    def.id = catalog::new_keyspace(txn)?;
    txn.put(SEQUENCES, key(&def.schema, &def.name), encode(&def));
    Ok(def)
}

/// `DROP SEQUENCE`; its state stays (unreachable: ids are never reused).
pub fn drop_sequence(txn: &mut Transaction<'_>, schema: &str, name: &str) -> Result<()> {
    if get_sequence(txn, schema, name, None)?.is_none() {
        return Err(EngineError::UndefinedTable(name.to_string()));
    }
    txn.delete(SEQUENCES, key(schema, name));
    Ok(())
}

/// The sequence `schema.name` now or right after commit `as_of`.
pub fn get_sequence(
    txn: &Transaction<'_>,
    schema: &str,
    name: &str,
    as_of: Option<u64>,
) -> Result<Option<SequenceDef>> {
    let k = key(schema, name);
    let bytes = match as_of {
        None => txn.get(SEQUENCES, &k)?,
        Some(seq) => txn.get_as_of(SEQUENCES, &k, seq)?.map(|v| v.value),
    };
    bytes.map(|b| decode(&b)).transpose()
}

/// Every sequence now, or right after commit `as_of`.
pub fn list_sequences(txn: &Transaction<'_>, as_of: Option<u64>) -> Result<Vec<SequenceDef>> {
    match as_of {
        None => txn
            .scan(SEQUENCES, ALL)?
            .map(|r| r.and_then(|(_, v)| decode(&v)))
            .collect(),
        Some(seq) => txn
            .scan_as_of(SEQUENCES, ALL, seq)?
            .map(|r| {
                r.map_err(EngineError::from)
                    .and_then(|(_, v)| decode(&v.value))
            })
            .collect(),
    }
}

/// Points the sequences owned by columns of `schema.table` somewhere else
/// (`ALTER TABLE … RENAME`): `change` edits each owner.
pub fn retarget(
    txn: &mut Transaction<'_>,
    schema: &str,
    table: &str,
    change: impl Fn(&mut OwnedBy),
) -> Result<()> {
    for mut s in owned_by(txn, schema, table)? {
        if let Some(o) = &mut s.owned_by {
            change(o);
        }
        txn.put(SEQUENCES, key(&s.schema, &s.name), encode(&s));
    }
    Ok(())
}

/// Drops the sequences owned by `schema.table` (by its column `column`
/// only, when given), as dropping the table or the column does.
pub fn drop_owned(
    txn: &mut Transaction<'_>,
    schema: &str,
    table: &str,
    column: Option<&str>,
) -> Result<()> {
    for s in owned_by(txn, schema, table)? {
        let owner = s.owned_by.as_ref().map(|o| o.column.as_str());
        if column.is_none() || owner == column {
            txn.delete(SEQUENCES, key(&s.schema, &s.name));
        }
    }
    Ok(())
}

/// The present sequences owned by a column of `schema.table`.
pub fn owned_by(txn: &Transaction<'_>, schema: &str, table: &str) -> Result<Vec<SequenceDef>> {
    Ok(list_sequences(txn, None)?
        .into_iter()
        .filter(|s| s.schema == schema && s.owned_by.as_ref().is_some_and(|o| o.table == table))
        .collect())
}

fn encode(def: &SequenceDef) -> Vec<u8> {
    let mut out = vec![FORMAT];
    out.extend_from_slice(&def.id.to_le_bytes());
    put_str(&mut out, &def.schema);
    put_str(&mut out, &def.name);
    out.push(match def.data_type {
        DataType::Int2 => 2,
        DataType::Int4 => 3,
        _ => 4,
    });
    for n in [def.increment, def.min, def.max, def.start] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.push(u8::from(def.cycle));
    match &def.owned_by {
        None => out.push(0),
        Some(o) => {
            out.push(1);
            put_str(&mut out, &o.table);
            put_str(&mut out, &o.column);
        }
    }
    out
}

fn decode(bytes: &[u8]) -> Result<SequenceDef> {
    let corrupted = |m: String| EngineError::Corrupted(format!("sequence definition: {m}"));
    let mut r = ByteReader::new(bytes);
    let format = r.u8().map_err(corrupted)?;
    if format != FORMAT {
        return Err(corrupted(format!("format {format}")));
    }
    let id = r.u32().map_err(corrupted)?;
    let schema = r.string().map_err(corrupted)?;
    let name = r.string().map_err(corrupted)?;
    let data_type = match r.u8().map_err(corrupted)? {
        2 => DataType::Int2,
        3 => DataType::Int4,
        4 => DataType::Int8,
        tag => return Err(corrupted(format!("type tag {tag}"))),
    };
    let mut int = || r.array::<8>().map(i64::from_le_bytes).map_err(corrupted);
    let (increment, min, max, start) = (int()?, int()?, int()?, int()?);
    let cycle = r.u8().map_err(corrupted)? != 0;
    let owned_by = match r.u8().map_err(corrupted)? {
        0 => None,
        _ => Some(OwnedBy {
            table: r.string().map_err(corrupted)?,
            column: r.string().map_err(corrupted)?,
        }),
    };
    if r.remaining() != 0 {
        return Err(corrupted("trailing bytes".into()));
    }
    Ok(SequenceDef {
        id,
        schema,
        name,
        data_type,
        increment,
        min,
        max,
        start,
        cycle,
        owned_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_round_trip() -> Result<()> {
        let options = SequenceOptions {
            increment: Some(-2),
            cycle: true,
            ..SequenceOptions::default()
        };
        let mut def = SequenceDef::new(
            "public",
            "s",
            &options,
            Some(OwnedBy {
                table: "t".into(),
                column: "id".into(),
            }),
        )?;
        def.id = 1030;
        assert_eq!((def.min, def.max, def.start), (i64::MIN, -1, -1));
        assert_eq!(decode(&encode(&def))?, def);
        Ok(())
    }

    #[test]
    fn contradictory_options_are_refused() {
        let options = SequenceOptions {
            min: Some(5),
            max: Some(5),
            ..SequenceOptions::default()
        };
        assert!(SequenceDef::new("public", "s", &options, None).is_err());
        let zero = SequenceOptions {
            increment: Some(0),
            ..SequenceOptions::default()
        };
        assert!(SequenceDef::new("public", "s", &zero, None).is_err());
    }
}
