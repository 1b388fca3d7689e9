//! The executor: runs a logical plan in a transaction.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;

use driftdb_engine::catalog::{self, TableDef};
use driftdb_engine::history;
use driftdb_engine::table;
use driftdb_engine::text::parse_text;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{DataType, Value};
use driftdb_storage::KeyRange;

use crate::bind::PG_EPOCH_MICROS;
use crate::error::{Result, SqlError};
use crate::expr::{Expr, cast, compare};
use crate::plan::{HIDDEN_COLUMNS, Plan, Query, Source};

const ALL: KeyRange<'static> = (Bound::Unbounded, Bound::Unbounded);

/// What a statement returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Rows, with column names and (when known) types.
    Rows {
        /// Column names and types.
        columns: Vec<(String, Option<DataType>)>,
        /// The rows.
        rows: Vec<Vec<Value>>,
    },
    /// A command's tag, as PostgreSQL's CommandComplete carries it.
    Command(String),
}

/// Runs a data or schema statement (not BEGIN/COMMIT/ROLLBACK) in `txn`;
/// returns its output and the table it changed, if any.
pub fn execute(txn: &mut Transaction<'_>, plan: Plan) -> Result<(Output, Option<String>)> {
    match plan {
        Plan::Query(q) => Ok((query(txn, &q)?, None)),
        Plan::CreateTable {
            schema,
            name,
            columns,
            primary_key,
            if_not_exists,
        } => {
            if if_not_exists && catalog::get_table(txn, &schema, &name, None)?.is_some() {
                return Ok((Output::Command("CREATE TABLE".into()), None));
            }
            let pk: Vec<&str> = primary_key.iter().map(String::as_str).collect();
            catalog::create_table(txn, &schema, &name, &columns, &pk)?;
            Ok((
                Output::Command("CREATE TABLE".into()),
                Some(format!("{schema}.{name}")),
            ))
        }
        Plan::DropTable {
            schema,
            name,
            if_exists,
        } => {
            if if_exists && catalog::get_table(txn, &schema, &name, None)?.is_none() {
                return Ok((Output::Command("DROP TABLE".into()), None));
            }
            catalog::drop_table(txn, &schema, &name)?;
            Ok((
                Output::Command("DROP TABLE".into()),
                Some(format!("{schema}.{name}")),
            ))
        }
        Plan::Insert { table, rows } => {
            let n = rows.len();
            for row in rows {
                let values = table
                    .columns
                    .iter()
                    .zip(&row)
                    .map(|(c, e)| assign(e, c.data_type))
                    .collect::<Result<Vec<_>>>()?;
                table::insert(txn, &table, values)?;
            }
            Ok((
                Output::Command(format!("INSERT 0 {n}")),
                Some(qualified(&table)),
            ))
        }
        Plan::Update { table, filter, set } => {
            let targets = matching(txn, &table, filter.as_ref())?;
            for (key, mut values) in targets.iter().cloned() {
                let old = values.clone();
                for (i, e) in &set {
                    values[*i] = assign_row(e, &old, table.columns[*i].data_type)?;
                }
                table::update(txn, &table, &key, values)?;
            }
            Ok((
                Output::Command(format!("UPDATE {}", targets.len())),
                Some(qualified(&table)),
            ))
        }
        Plan::Delete { table, filter } => {
            let targets = matching(txn, &table, filter.as_ref())?;
            for (key, _) in &targets {
                table::delete(txn, &table, key);
            }
            Ok((
                Output::Command(format!("DELETE {}", targets.len())),
                Some(qualified(&table)),
            ))
        }
        Plan::Restore { table, seq } => {
            let changed = restore(txn, &table, seq)?;
            Ok((
                Output::Command(format!("RESTORE {changed}")),
                Some(qualified(&table)),
            ))
        }
        Plan::Undrop { schema, name } => {
            catalog::undrop_table(txn, &schema, &name)?;
            Ok((
                Output::Command("UNDROP TABLE".into()),
                Some(format!("{schema}.{name}")),
            ))
        }
        Plan::Begin
        | Plan::Commit
        | Plan::Rollback
        | Plan::SetAsOf(_)
        | Plan::SetApplicationName(_) => Err(SqlError::new(
            "XX000",
            "session control reached the executor",
        )),
    }
}

/// `RESTORE TABLE`: every row as it was at `seq`, written anew (rows added
/// since are deleted); history only grows. Returns the number of rows changed.
fn restore(txn: &mut Transaction<'_>, table: &TableDef, seq: u64) -> Result<usize> {
    let past: BTreeMap<Vec<u8>, Vec<u8>> = txn
        .scan_as_of(table.id, ALL, seq)?
        .map(|r| r.map(|(k, v)| (k, v.value)))
        .collect::<std::result::Result<_, _>>()?;
    let present: BTreeMap<Vec<u8>, Vec<u8>> = txn.scan(table.id, ALL)?.collect::<Result<_, _>>()?;
    let mut changed = 0;
    for key in present.keys().filter(|k| !past.contains_key(*k)) {
        txn.delete(table.id, key.clone());
        changed += 1;
    }
    for (key, bytes) in past {
        if present.get(&key) != Some(&bytes) {
            txn.put(table.id, key, bytes);
            changed += 1;
        }
    }
    Ok(changed)
}

fn qualified(t: &TableDef) -> String {
    format!("{}.{}", t.schema, t.name)
}

/// The value `e` stores into a column of type `t` (assignment conversion).
fn assign(e: &Expr, t: DataType) -> Result<Value> {
    assign_row(e, &[], t)
}

fn assign_row(e: &Expr, row: &[Value], t: DataType) -> Result<Value> {
    match e {
        Expr::Unknown(s) => Ok(cast(parse_text(s, t)?, t)?),
        other => cast(other.eval(row)?, t),
    }
}

/// The present rows of `table` for which `filter` is true, with their keys.
fn matching(
    txn: &Transaction<'_>,
    table: &TableDef,
    filter: Option<&Expr>,
) -> Result<Vec<table::Row>> {
    let mut out = Vec::new();
    for r in table::scan(txn, table, ALL, None)? {
        let (key, values) = r?;
        let mut input = values.clone();
        input.extend(std::iter::repeat_n(Value::Null, HIDDEN_COLUMNS.len()));
        if filter.map_or(Ok(true), |f| f.is_true(&input))? {
            out.push((key, values));
        }
    }
    Ok(out)
}

/// The input rows of a query: table columns then hidden columns.
fn input_rows(txn: &Transaction<'_>, source: &Source) -> Result<Vec<Vec<Value>>> {
    match source {
        Source::Nothing => Ok(vec![Vec::new()]),
        Source::Table {
            def,
            versions: None,
        } => table::scan(txn, def, ALL, None)?
            .map(|r| {
                r.map(|(_, mut values)| {
                    values.extend(std::iter::repeat_n(Value::Null, HIDDEN_COLUMNS.len()));
                    values
                })
            })
            .collect::<std::result::Result<_, _>>()
            .map_err(SqlError::from),
        Source::Table {
            def,
            versions: Some(filter),
        } => {
            let snap = txn.snapshot();
            let time = |seq: u64| -> Result<Value> {
                Ok(snap.commit(seq)?.map_or(Value::Null, |c| {
                    Value::Timestamptz(c.commit_ts - PG_EPOCH_MICROS)
                }))
            };
            let seq_value = |s: u64| Value::Int8(i64::try_from(s).unwrap_or(i64::MAX));
            let mut rows = Vec::new();
            for r in history::versions(snap, def, *filter)? {
                let v = r?;
                let mut values = v.values;
                values.push(seq_value(v.seq_from));
                values.push(v.seq_to.map_or(Value::Null, seq_value));
                values.push(time(v.seq_from)?);
                values.push(match v.seq_to {
                    Some(to) => time(to)?,
                    None => Value::Null,
                });
                rows.push(values);
            }
            Ok(rows)
        }
    }
}

fn query(txn: &Transaction<'_>, q: &Query) -> Result<Output> {
    let mut rows = Vec::new();
    for row in input_rows(txn, &q.source)? {
        if q.filter.as_ref().map_or(Ok(true), |f| f.is_true(&row))? {
            rows.push(row);
        }
    }
    if !q.order_by.is_empty() {
        let mut keyed = rows
            .into_iter()
            .map(|row| {
                let keys = q
                    .order_by
                    .iter()
                    .map(|(e, _, _)| e.eval(&row))
                    .collect::<Result<Vec<_>>>()?;
                Ok((keys, row))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut failure = None;
        keyed.sort_by(|(a, _), (b, _)| {
            for ((x, y), (_, asc, nulls_first)) in a.iter().zip(b).zip(&q.order_by) {
                let ord = match (x.is_null(), y.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => {
                        if *nulls_first {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (false, true) => {
                        if *nulls_first {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    (false, false) => {
                        let o = compare(x, y).unwrap_or_else(|e| {
                            failure.get_or_insert(e);
                            Ordering::Equal
                        });
                        if *asc { o } else { o.reverse() }
                    }
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
        if let Some(e) = failure {
            return Err(e);
        }
        rows = keyed.into_iter().map(|(_, row)| row).collect();
    }
    let skip = usize::try_from(q.offset).unwrap_or(usize::MAX);
    let take = q
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let rows = rows
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|row| {
            q.projection
                .iter()
                .map(|(_, _, e)| e.eval(&row))
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Output::Rows {
        columns: q
            .projection
            .iter()
            .map(|(n, t, _)| (n.clone(), *t))
            .collect(),
        rows,
    })
}
