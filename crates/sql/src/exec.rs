//! The executor: runs a logical plan in a transaction.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::rc::Rc;

use driftdb_engine::catalog::{self, TableDef};
use driftdb_engine::sequence;
use driftdb_engine::table;
use driftdb_engine::text::parse_text;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{DataType, Value};
use driftdb_storage::KeyRange;

use crate::bind::{Column, HIDDEN_COLUMNS};
use crate::ddl;
use crate::error::{Result, SqlError};
use crate::expr::{Env, Expr, cast};
use crate::plan::{InsertSource, Plan, Returning};
use crate::run::run;

const ALL: KeyRange<'static> = (Bound::Unbounded, Bound::Unbounded);

/// What a statement returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Rows, with column names and (when known) types.
    Rows {
        /// Column names and types.
        columns: Vec<Column>,
        /// The rows.
        rows: Vec<Vec<Value>>,
        /// The command tag without its row count (`SELECT`, `INSERT 0`,
        /// `UPDATE`, …): the wire protocol appends the rows sent.
        command: &'static str,
    },
    /// A command's tag, as PostgreSQL's CommandComplete carries it.
    Command(String),
    /// `COPY … FROM STDIN` is waiting for the client's data
    /// (`Session::copy_data`, then `copy_done`).
    CopyIn {
        /// How many columns each record has.
        columns: usize,
    },
    /// `COPY … TO STDOUT`: the lines to send, one per row (after a CSV
    /// header line when asked for).
    CopyOut {
        /// How many columns each line has.
        columns: usize,
        /// The lines, each ending in a newline.
        lines: Vec<String>,
        /// How many of them are rows (the `COPY n` tag).
        rows: usize,
    },
}

/// Cached results of a statement's uncorrelated subqueries.
pub(crate) type Cache = RefCell<HashMap<usize, Rc<Vec<Vec<Value>>>>>;

/// Runs a query whose [`Expr::Param`]s read `params` (a generic plan; empty
/// for a plan bound with its values).
fn query(txn: &Transaction<'_>, q: crate::bind::Bound, params: &[Value]) -> Result<Output> {
    let cache = Cache::default();
    let env = Env::with_params(txn, &cache, params);
    let rows = run(&q.rel, &env)?.collect::<Result<Vec<_>>>()?;
    Ok(Output::Rows {
        columns: q.columns,
        rows,
        command: "SELECT",
    })
}

/// Runs a data or schema statement (not session control) in `txn`; returns
/// its output and the tables it changed (for `drift_commits.tables`).
pub fn execute(txn: &mut Transaction<'_>, plan: Plan) -> Result<(Output, Vec<String>)> {
    execute_with(txn, plan, &[])
}

/// [`execute`] of a plan whose [`Expr::Param`]s read `params` (a generic
/// plan: a query, `INSERT`, `UPDATE` or `DELETE`).
pub(crate) fn execute_with(
    txn: &mut Transaction<'_>,
    plan: Plan,
    params: &[Value],
) -> Result<(Output, Vec<String>)> {
    let cache = Cache::default();
    let command = |tag: &str| Output::Command(tag.into());
    match plan {
        Plan::CopyOut(c) => {
            let env = Env::new(txn, &cache);
            let mut lines = Vec::new();
            if c.format.header {
                let names: Vec<String> = c.query.columns.iter().map(|(n, _)| n.clone()).collect();
                lines.push(c.format.encode_header(&names));
            }
            let mut rows = 0;
            for row in run(&c.query.rel, &env)? {
                lines.push(c.format.encode_row(&row?));
                rows += 1;
            }
            Ok((
                Output::CopyOut {
                    columns: c.query.columns.len(),
                    lines,
                    rows,
                },
                Vec::new(),
            ))
        }
        Plan::Query(q) => Ok((query(txn, q, params)?, Vec::new())),
        Plan::CreateTable(new) => {
            let name = format!("{}.{}", new.schema, new.name);
            let created = ddl::create_table(txn, new)?;
            Ok((
                command("CREATE TABLE"),
                created.map(|_| name).into_iter().collect(),
            ))
        }
        Plan::CreateTableAs { table, query } => {
            let Some(def) = ddl::create_table(txn, table)? else {
                return Ok((command("CREATE TABLE AS"), Vec::new()));
            };
            let rows = match &query {
                Some(rel) => run(rel, &Env::new(txn, &cache))?.collect::<Result<Vec<_>>>()?,
                None => Vec::new(),
            };
            let n = rows.len();
            for row in rows {
                let values = row
                    .into_iter()
                    .zip(&def.columns)
                    .map(|(v, c)| cast(v, c.data_type))
                    .collect::<Result<Vec<_>>>()?;
                table::insert(txn, &def, values)?;
            }
            Ok((
                Output::Command(format!("SELECT {n}")),
                vec![qualified(&def)],
            ))
        }
        Plan::CreateSequence {
            sequence,
            if_not_exists,
        } => {
            ddl::create_sequence(txn, sequence, if_not_exists)?;
            Ok((command("CREATE SEQUENCE"), Vec::new()))
        }
        Plan::Comment {
            mut table,
            column,
            comment,
        } => {
            match column {
                Some(c) => {
                    let p = table.position_of(&c).ok_or_else(|| {
                        SqlError::new("42703", format!("column \"{c}\" does not exist"))
                    })?;
                    table.columns[p].comment = comment;
                }
                None => table.comment = comment,
            }
            catalog::replace_table(txn, None, &table)?;
            Ok((command("COMMENT"), vec![qualified(&table)]))
        }
        Plan::DropSequence {
            schema,
            name,
            if_exists,
        } => {
            ddl::drop_sequence(txn, &schema, &name, if_exists)?;
            Ok((command("DROP SEQUENCE"), Vec::new()))
        }
        Plan::DropTable {
            schema,
            name,
            if_exists,
        } => {
            if if_exists && catalog::get_table(txn, &schema, &name, None)?.is_none() {
                return Ok((command("DROP TABLE"), Vec::new()));
            }
            ddl::check_droppable(txn, &schema, &name)?;
            catalog::drop_table(txn, &schema, &name)?;
            driftdb_engine::sequence::drop_owned(txn, &schema, &name, None)?;
            Ok((command("DROP TABLE"), vec![format!("{schema}.{name}")]))
        }
        Plan::AlterTable { table, op } => {
            let name = qualified(&table);
            ddl::alter_table(txn, table, op)?;
            Ok((command("ALTER TABLE"), vec![name]))
        }
        Plan::CreateIndex {
            table,
            name,
            columns,
            unique,
            if_not_exists,
        } => {
            let t = qualified(&table);
            let created = ddl::create_index(txn, table, name, &columns, unique, if_not_exists)?;
            Ok((
                command("CREATE INDEX"),
                if created { vec![t] } else { Vec::new() },
            ))
        }
        Plan::DropIndex {
            schema,
            name,
            if_exists,
        } => Ok((
            command("DROP INDEX"),
            ddl::drop_index(txn, &schema, &name, if_exists)?
                .into_iter()
                .collect(),
        )),
        Plan::CreateView { view, or_replace } => {
            let name = format!("{}.{}", view.schema, view.name);
            catalog::create_view(txn, &view, or_replace)?;
            Ok((command("CREATE VIEW"), vec![name]))
        }
        Plan::DropView {
            schema,
            name,
            if_exists,
        } => {
            if if_exists && catalog::get_view(txn, &schema, &name, None)?.is_none() {
                return Ok((command("DROP VIEW"), Vec::new()));
            }
            catalog::drop_view(txn, &schema, &name)?;
            Ok((command("DROP VIEW"), vec![format!("{schema}.{name}")]))
        }
        Plan::CreateSchema {
            name,
            if_not_exists,
        } => {
            if if_not_exists && catalog::schema_exists(txn, &name)? {
                return Ok((command("CREATE SCHEMA"), Vec::new()));
            }
            catalog::create_schema(txn, &name)?;
            Ok((command("CREATE SCHEMA"), Vec::new()))
        }
        Plan::DropSchema {
            name,
            if_exists,
            cascade,
        } => {
            if if_exists && !catalog::schema_exists(txn, &name)? {
                return Ok((command("DROP SCHEMA"), Vec::new()));
            }
            catalog::drop_schema(txn, &name, cascade)?;
            Ok((command("DROP SCHEMA"), Vec::new()))
        }
        Plan::Truncate {
            tables,
            restart_identity,
        } => {
            let mut names = Vec::new();
            for t in &tables {
                table::truncate(txn, t)?;
                names.push(qualified(t));
                if restart_identity {
                    for s in sequence::owned_by(txn, &t.schema, &t.name)? {
                        sequence::restart(txn, &s)?;
                    }
                }
            }
            Ok((command("TRUNCATE TABLE"), names))
        }
        Plan::Nothing(tag) => Ok((Output::Command(tag), Vec::new())),
        Plan::Many(plans) => {
            let mut last = command("");
            let mut names = Vec::new();
            for p in plans {
                let (out, changed) = execute(txn, p)?;
                last = out;
                names.extend(changed);
            }
            Ok((last, names))
        }
        Plan::Insert {
            table,
            source,
            checks,
            on_conflict,
            returning,
        } => {
            let rows: Vec<Vec<Value>> = {
                let env = Env::with_params(txn, &cache, params);
                let rows: Vec<Vec<Value>> = match source {
                    InsertSource::Values(rows) => rows
                        .iter()
                        .map(|row| {
                            table
                                .columns
                                .iter()
                                .zip(row)
                                .map(|(c, e)| assign(e, &[], c.data_type, &env))
                                .collect::<Result<Vec<_>>>()
                        })
                        .collect::<Result<_>>()?,
                    InsertSource::Query {
                        rel,
                        targets,
                        defaults,
                    } => run(&rel, &env)?
                        .map(|r| {
                            let row = r?;
                            let mut full = table
                                .columns
                                .iter()
                                .zip(&defaults)
                                .map(|(c, e)| assign(e, &[], c.data_type, &env))
                                .collect::<Result<Vec<_>>>()?;
                            for (v, &i) in row.into_iter().zip(&targets) {
                                if let Some(i) = i {
                                    full[i] = cast(v, table.columns[i].data_type)?;
                                }
                            }
                            Ok(full)
                        })
                        .collect::<Result<_>>()?,
                };
                for row in &rows {
                    enforce_checks(&table, &checks, row, &env)?;
                }
                rows
            };
            let (written, n) = match &on_conflict {
                None => {
                    let n = rows.len();
                    let mut written = Vec::with_capacity(if returning.is_some() { n } else { 0 });
                    for values in rows {
                        if returning.is_some() {
                            written.push(values.clone());
                        }
                        table::insert(txn, &table, values)?;
                    }
                    (written, n)
                }
                Some(oc) => {
                    let written =
                        crate::upsert::insert(txn, &cache, params, &table, rows, oc, &checks)?;
                    let n = written.len();
                    (written, n)
                }
            };
            let written = written.into_iter().map(with_hidden).collect();
            let out = finish(
                &Env::with_params(txn, &cache, params),
                returning,
                written,
                "INSERT 0",
                n,
            )?;
            Ok((out, vec![qualified(&table)]))
        }
        Plan::Update {
            table,
            from,
            filter,
            set,
            checks,
            returning,
        } => {
            let changes = {
                let env = Env::with_params(txn, &cache, params);
                let targets = matching(&env, &table, from.as_ref(), filter.as_ref())?;
                let mut changes = Vec::with_capacity(targets.len());
                for Target { key, values, input } in targets {
                    let mut new = values;
                    for (i, e) in &set {
                        new[*i] = assign(e, &input, table.columns[*i].data_type, &env)?;
                    }
                    enforce_checks(&table, &checks, &new, &env)?;
                    changes.push(Target {
                        key,
                        values: new,
                        input,
                    });
                }
                changes
            };
            let n = changes.len();
            let mut written = Vec::new();
            for t in changes {
                if returning.is_some() {
                    written.push(t.returned(table.columns.len()));
                }
                table::update(txn, &table, &t.key, t.values)?;
            }
            let out = finish(
                &Env::with_params(txn, &cache, params),
                returning,
                written,
                "UPDATE",
                n,
            )?;
            Ok((out, vec![qualified(&table)]))
        }
        Plan::Delete {
            table,
            using,
            filter,
            returning,
        } => {
            let targets = matching(
                &Env::with_params(txn, &cache, params),
                &table,
                using.as_ref(),
                filter.as_ref(),
            )?;
            let n = targets.len();
            let mut written = Vec::new();
            for t in targets {
                table::delete(txn, &table, &t.key)?;
                if returning.is_some() {
                    written.push(t.returned(table.columns.len()));
                }
            }
            let out = finish(
                &Env::with_params(txn, &cache, params),
                returning,
                written,
                "DELETE",
                n,
            )?;
            Ok((out, vec![qualified(&table)]))
        }
        Plan::Restore { table, seq } => {
            let changed = restore(txn, &table, seq)?;
            Ok((
                Output::Command(format!("RESTORE {changed}")),
                vec![qualified(&table)],
            ))
        }
        Plan::Undrop { schema, name } => {
            catalog::undrop_table(txn, &schema, &name)?;
            Ok((command("UNDROP TABLE"), vec![format!("{schema}.{name}")]))
        }
        Plan::Explain(e) => crate::explain::explain(txn, *e),
        Plan::Control(_) | Plan::CopyIn(_) => Err(SqlError::new(
            "XX000",
            "session control reached the executor",
        )),
    }
}

/// Fails with 23514 when `row` makes one of `checks` false.
pub(crate) fn enforce_checks(
    table: &TableDef,
    checks: &[(String, Expr)],
    row: &[Value],
    env: &Env<'_, '_>,
) -> Result<()> {
    for (name, check) in checks {
        if ddl::failed_check(check, row.to_vec(), env)? {
            return Err(SqlError::new(
                "23514",
                format!(
                    "new row for relation \"{}\" violates check constraint \"{name}\"",
                    table.name
                ),
            ));
        }
    }
    Ok(())
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

pub(crate) fn qualified(t: &TableDef) -> String {
    format!("{}.{}", t.schema, t.name)
}

/// The statement's output: its command tag, or the `RETURNING` rows of the
/// rows it wrote (each as `RETURNING` reads it: hidden columns included).
fn finish(
    env: &Env<'_, '_>,
    returning: Option<Returning>,
    written: Vec<Vec<Value>>,
    command: &'static str,
    n: usize,
) -> Result<Output> {
    let Some(r) = returning else {
        return Ok(Output::Command(format!("{command} {n}")));
    };
    let rows = written
        .into_iter()
        .map(|row| r.exprs.iter().map(|e| e.eval(&row, env)).collect())
        .collect::<Result<_>>()?;
    Ok(Output::Rows {
        columns: r.columns,
        rows,
        command,
    })
}

/// The value `e` stores into a column of type `t` (assignment conversion:
/// an untyped literal is read as `t`).
pub(crate) fn assign(e: &Expr, row: &[Value], t: DataType, env: &Env<'_, '_>) -> Result<Value> {
    match e {
        Expr::Unknown(s) => Ok(cast(parse_text(s, t)?, t)?),
        other => cast(other.eval(row, env)?, t),
    }
}

/// A written row as expressions over it read it: its hidden columns NULL.
fn with_hidden(mut row: Vec<Value>) -> Vec<Value> {
    row.extend(std::iter::repeat_n(Value::Null, HIDDEN_COLUMNS.len()));
    row
}

/// A row an `UPDATE` or `DELETE` writes.
struct Target {
    /// Its key.
    key: Vec<u8>,
    /// Its values (an `UPDATE`'s new ones once computed).
    values: Vec<Value>,
    /// The row its expressions read: the old values, the hidden columns
    /// (NULL), then the row of the `FROM`/`USING` tables it was joined to.
    input: Vec<Value>,
}

impl Target {
    /// The row `RETURNING` reads: the written values in place of the old
    /// ones in `input` (the first `width`).
    fn returned(&self, width: usize) -> Vec<Value> {
        let mut row = self.values.clone();
        row.extend(self.input.iter().skip(width).cloned());
        row
    }
}

/// The present rows of `table` for which `filter` is true, each joined to
/// the first row of `others` (the tables of `FROM`/`USING`) it is true
/// with when there are others (found through a hash of them on the
/// filter's equalities between the two sides, when it has some).
fn matching(
    env: &Env<'_, '_>,
    table: &TableDef,
    others: Option<&crate::rel::Rel>,
    filter: Option<&Expr>,
) -> Result<Vec<Target>> {
    let others = others
        .map(|rel| crate::run::run(rel, env)?.collect::<Result<Vec<_>>>())
        .transpose()?;
    let range = match (filter, &others) {
        (Some(f), None) => crate::optimize::key_range(table, f, env.params),
        _ => (Bound::Unbounded, Bound::Unbounded),
    };
    let accepts = |row: &[Value]| filter.map_or(Ok(true), |f| f.is_true(row, env));
    // Equalities between the table and the others: those hashed on them.
    let width = table.columns.len() + HIDDEN_COLUMNS.len();
    let equi = filter.and_then(|f| crate::run::equi_keys(f, width));
    let buckets = match (&equi, &others) {
        (Some((_, keys)), Some(rows)) => Some(crate::run::hash_rows(rows, keys, env)?),
        _ => None,
    };
    let all: Vec<usize> = (0..others.as_ref().map_or(0, Vec::len)).collect();
    let mut out = Vec::new();
    for r in table::scan(env.txn, table, crate::run::as_ref_range(&range), None)? {
        let (key, values) = r?;
        let input = with_hidden(values.clone());
        let input = match &others {
            None => accepts(&input)?.then_some(input),
            Some(rows) => {
                let candidates: &[usize] = match (&equi, &buckets) {
                    (Some((keys, _)), Some(m)) => match crate::run::hash_key(&input, keys, env)? {
                        Some(k) => m.get(&k).map_or(&[][..], Vec::as_slice),
                        None => &[],
                    },
                    _ => &all,
                };
                let mut found = None;
                for &i in candidates {
                    let mut joined = input.clone();
                    joined.extend(rows[i].iter().cloned());
                    if accepts(&joined)? {
                        found = Some(joined);
                        break;
                    }
                }
                found
            }
        };
        if let Some(input) = input {
            out.push(Target { key, values, input });
        }
    }
    Ok(out)
}
