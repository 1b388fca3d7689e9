//! A session: runs SQL text statement by statement, with autocommit, explicit
//! transaction blocks, and PostgreSQL's aborted-block rule (after an error
//! inside a block every statement fails with 25P02 until ROLLBACK).

use std::collections::BTreeSet;
use std::sync::Arc;

use driftdb_engine::commit_meta::CommitMeta;
use driftdb_engine::interrupt::Interrupt;
use driftdb_engine::sequence::SessionValues;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{DataType, Value};
use driftdb_storage::Storage;

use crate::bind::{Settings, bind_describe, bind_with};
use crate::copy::CopyReader;
pub use crate::describe::{DescribeCache, DescribeKey, Description};
use crate::error::{Result, SqlError};
use crate::exec::{Output, execute, execute_with, qualified};
use crate::expr::Expr;
use crate::parser::{Stmt, parse};
use crate::plan::{Control, Plan};
use crate::plan::{CopyIn, InsertSource};
use crate::plan_cache::{PlanCache, Planned};

/// One client's session over an open storage.
pub struct Session<'s> {
    storage: &'s Storage,
    block: Option<Block<'s>>,
    settings: Settings,
    /// Raised by another thread to stop the running statement.
    interrupt: Interrupt,
    /// A `COPY … FROM STDIN` reading the client's data.
    copy: Option<CopyState<'s>>,
    /// Recorded in `drift_commits.user_name`.
    pub user_name: String,
    /// What `currval` and `lastval` read: the values `nextval` gave this
    /// session, across its transactions.
    sequences: SessionValues,
}

/// A statement parsed once (`Session::prepare`), run with parameters.
#[derive(Debug, Clone)]
pub struct Prepared {
    stmt: Stmt,
    /// The last Describe's answer.
    pub described: DescribeCache,
    /// The last generic plan.
    plans: PlanCache,
}

impl Prepared {
    /// Parses `sql`, one statement with parameters `$1`, `$2`, ….
    pub fn parse(sql: &str) -> Result<Prepared> {
        let mut statements = parse(sql)?;
        if statements.len() != 1 {
            return Err(SqlError::new(
                "42601",
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        Ok(Prepared {
            stmt: statements.remove(0),
            described: DescribeCache::default(),
            plans: PlanCache::default(),
        })
    }

    /// Parses `sql`, any number of `;`-separated statements, each to run
    /// without parameters.
    pub fn parse_all(sql: &str) -> Result<Vec<Prepared>> {
        Ok(parse(sql)?
            .into_iter()
            .map(|stmt| Prepared {
                stmt,
                described: DescribeCache::default(),
                plans: PlanCache::default(),
            })
            .collect())
    }
}

/// Where a session stands with respect to transaction blocks (the status a
/// server reports in ReadyForQuery).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockStatus {
    /// No block open: each statement commits by itself.
    Idle,
    /// Inside `BEGIN` … `COMMIT`.
    InBlock,
    /// Inside a block in which a statement failed: only `ROLLBACK` runs.
    Failed,
}

/// A `COPY … FROM STDIN` in progress.
struct CopyState<'s> {
    plan: CopyIn,
    reader: CopyReader,
    /// Its own transaction when no block is open (committed at the end).
    txn: Option<Transaction<'s>>,
    rows: usize,
    /// The first error: the rest of the data is read and ignored, as
    /// PostgreSQL does, and the error ends the COPY.
    error: Option<SqlError>,
}

/// An explicit transaction block.
struct Block<'s> {
    txn: Transaction<'s>,
    tables: BTreeSet<String>,
    failed: bool,
    read_only: bool,
}

impl<'s> Session<'s> {
    /// A session of `user_name` on `storage`.
    pub fn new(storage: &'s Storage, user_name: &str) -> Self {
        Session {
            storage,
            block: None,
            settings: Settings::default(),
            interrupt: Interrupt::default(),
            copy: None,
            user_name: user_name.into(),
            sequences: SessionValues::new(user_name),
        }
    }

    /// Whether a transaction block is open.
    pub fn in_block(&self) -> bool {
        self.block.is_some()
    }

    /// Whether a block is open, and whether a statement failed in it.
    pub fn status(&self) -> BlockStatus {
        match &self.block {
            None => BlockStatus::Idle,
            Some(b) if b.failed => BlockStatus::Failed,
            Some(_) => BlockStatus::InBlock,
        }
    }

    /// Marks an open block failed, as an error in any message of the wire
    /// protocol does (a statement that failed to parse, bind or describe):
    /// only `ROLLBACK` runs in it afterwards.
    pub fn fail_block(&mut self) {
        if let Some(block) = &mut self.block {
            block.failed = true;
        }
    }

    /// The flag that stops this session's running statement when raised
    /// (by a cancel request or a statement timeout).
    pub fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    /// The value of a configuration parameter.
    pub fn parameter(&self, name: &str) -> Result<String> {
        self.settings.params.get(&name.to_ascii_lowercase())
    }

    /// The value of a configuration parameter named in lower case,
    /// borrowed: for the ones a server reads at every statement.
    pub fn parameter_value(&self, name: &str) -> Result<&str> {
        self.settings.params.value(name)
    }

    /// Sets a configuration parameter (as a client's startup packet does).
    pub fn set_parameter(&mut self, name: &str, value: &str) -> Result<()> {
        self.settings
            .params
            .set(&name.to_ascii_lowercase(), Some(value.to_string()))
    }

    /// Parses `sql`, one statement with parameters `$1`, `$2`, …, to run
    /// many times with [`Session::execute_prepared`].
    pub fn prepare(&self, sql: &str) -> Result<Prepared> {
        Prepared::parse(sql)
    }

    /// What `prepared` takes and returns, bound against the catalog this
    /// session sees now: with `params` when they are known (a bound
    /// portal), else with each parameter unknown (a statement).
    /// The answer is kept with `prepared` under the key it was made under.
    pub fn describe(
        &self,
        prepared: &Prepared,
        params: Option<&[Value]>,
    ) -> Result<Arc<Description>> {
        let epoch = match &self.block {
            Some(block) => block.txn.cache_epoch(),
            None => self.storage.cache_epoch()?,
        };
        let key = epoch.map(|catalog_epoch| DescribeKey {
            catalog_epoch,
            as_of: self.settings.as_of,
        });
        if let Some(known) = key.and_then(|k| prepared.described.get(k, params)) {
            return Ok(known);
        }
        let fresh;
        let txn = match &self.block {
            Some(block) => &block.txn,
            None => {
                fresh = self.begin()?;
                &fresh
            }
        };
        let params_given = params;
        let (plan, params) = match params {
            Some(values) => (
                bind_with(txn, &prepared.stmt, &self.settings, values)?,
                values.iter().map(Value::data_type).collect(),
            ),
            None => bind_describe(txn, &prepared.stmt, &self.settings)?,
        };
        let description = Arc::new(Description {
            params,
            columns: plan.result_columns(),
        });
        if let Some(key) = key
            && txn.cache_epoch() == Some(key.catalog_epoch)
        {
            prepared.described.put(key, params_given, &description);
        }
        Ok(description)
    }

    /// A transaction over the latest commit that this session's interrupt
    /// can stop.
    /// It is SERIALIZABLE when `default_transaction_isolation` says so.
    fn begin(&self) -> Result<Transaction<'s>> {
        let mut txn = Transaction::begin(self.storage)?;
        txn.set_interrupt(self.interrupt.clone());
        txn.set_serializable(
            self.settings
                .params
                .value("default_transaction_isolation")?
                == "serializable",
        );
        txn.set_sequence_values(self.sequences.clone());
        txn.set_read_only(self.settings.as_of.is_some());
        Ok(txn)
    }

    /// Runs a prepared statement with `params` as `$1`, `$2`, ….
    pub fn execute_prepared(&mut self, prepared: &Prepared, params: &[Value]) -> Result<Output> {
        self.run(&prepared.stmt, Some(&prepared.plans), params)
    }

    /// Runs every statement of `sql` in order; stops at the first error.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<Output>> {
        let statements = parse(sql)?;
        let mut out = Vec::with_capacity(statements.len());
        for stmt in &statements {
            out.push(self.run(stmt, None, &[])?);
        }
        Ok(out)
    }

    /// Runs every statement of `sql`, going on after a failed one as psql
    /// does with a script; only a syntax error stops it before it starts.
    pub fn execute_each(&mut self, sql: &str) -> Result<Vec<Result<Output>>> {
        Ok(parse(sql)?
            .iter()
            .map(|stmt| self.run(stmt, None, &[]))
            .collect())
    }

    /// Opens the implicit transaction PostgreSQL runs a multi-statement
    /// simple query in: when `statements` are several, no block is open,
    /// and none of them controls transactions or starts a COPY, they
    /// commit together or not at all. True when one was opened; close it
    /// with [`Session::close_implicit_block`].
    pub fn open_implicit_block(&mut self, statements: &[Prepared]) -> Result<bool> {
        use sqlparser::ast::Statement as S;
        let alone = |p: &Prepared| match &p.stmt {
            Stmt::Sql(s) => !matches!(
                **s,
                S::StartTransaction { .. }
                    | S::Commit { .. }
                    | S::Rollback { .. }
                    | S::Savepoint { .. }
                    | S::ReleaseSavepoint { .. }
                    | S::Copy { .. }
            ),
            Stmt::Restore { .. } | Stmt::Undrop { .. } | Stmt::InsertLiterals { .. } => true,
        };
        if statements.len() < 2 || self.block.is_some() || !statements.iter().all(alone) {
            return Ok(false);
        }
        self.block = Some(Block {
            txn: self.begin()?,
            tables: BTreeSet::new(),
            failed: false,
            read_only: false,
        });
        Ok(true)
    }

    /// Ends the implicit transaction: committed when no statement failed,
    /// else rolled back; the commit's own failure (40001) is the error.
    pub fn close_implicit_block(&mut self) -> Result<()> {
        self.end_block(true).map(|_| ())
    }

    /// Takes the next chunk of a `COPY … FROM STDIN`'s data (any size, not
    /// aligned to rows); an error is kept for [`Session::copy_done`].
    pub fn copy_data(&mut self, data: &[u8]) {
        let Some(mut copy) = self.copy.take() else {
            return;
        };
        if copy.error.is_none() {
            let result = copy.reader.feed(data);
            if let Err(e) = result.and_then(|records| self.copy_rows(&mut copy, records)) {
                copy.error = Some(e);
            }
        }
        self.copy = Some(copy);
    }

    /// Ends a `COPY … FROM STDIN`: the last rows are written and, outside a
    /// block, committed; `COPY n` on success.
    pub fn copy_done(&mut self) -> Result<Output> {
        let Some(mut copy) = self.copy.take() else {
            return Err(SqlError::new("08P01", "no COPY in progress"));
        };
        let result = match copy.error.take() {
            Some(e) => Err(e),
            None => copy
                .reader
                .finish()
                .and_then(|records| self.copy_rows(&mut copy, records)),
        };
        let result = result.and_then(|()| match copy.txn.take() {
            Some(txn) => self.commit(txn, BTreeSet::from([qualified(&copy.plan.table)])),
            None => Ok(()),
        });
        match result {
            Ok(()) => Ok(Output::Command(format!("COPY {}", copy.rows))),
            Err(e) => {
                self.fail_block();
                Err(e)
            }
        }
    }

    /// Abandons a `COPY … FROM STDIN` the client gave up (CopyFail).
    pub fn copy_fail(&mut self, message: &str) -> SqlError {
        self.copy = None;
        self.fail_block();
        SqlError::new("57014", format!("COPY from stdin failed: {message}"))
    }

    /// Inserts records of a COPY as rows, in its transaction.
    fn copy_rows(
        &mut self,
        copy: &mut CopyState<'s>,
        records: Vec<crate::copy::Record>,
    ) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        self.interrupt.check()?;
        let plan = &copy.plan;
        let mut rows = Vec::with_capacity(records.len());
        for record in records {
            if record.len() != plan.targets.len() {
                return Err(SqlError::new(
                    "22P04",
                    format!(
                        "COPY row {} has {} fields where {} columns were expected",
                        copy.rows + rows.len() + 1,
                        record.len(),
                        plan.targets.len()
                    ),
                ));
            }
            let mut row = plan.defaults.clone();
            for (&i, field) in plan.targets.iter().zip(record) {
                row[i] = field.map_or(Expr::Const(Value::Null), Expr::Unknown);
            }
            rows.push(row);
        }
        let n = rows.len();
        let insert = Plan::Insert {
            table: plan.table.clone(),
            source: InsertSource::Values(rows),
            checks: plan.checks.clone(),
            on_conflict: None,
            returning: None,
        };
        match (&mut copy.txn, &mut self.block) {
            (Some(txn), _) => {
                execute(txn, insert)?;
            }
            (None, Some(block)) => {
                let (_, tables) = execute(&mut block.txn, insert)?;
                block.tables.extend(tables);
            }
            (None, None) => return Err(SqlError::new("XX000", "COPY without a transaction")),
        }
        copy.rows += n;
        Ok(())
    }

    /// Starts reading a `COPY … FROM STDIN`, in `txn` (None: the open block).
    fn start_copy(&mut self, plan: CopyIn, txn: Option<Transaction<'s>>) -> Output {
        let columns = plan.targets.len();
        self.copy = Some(CopyState {
            reader: CopyReader::new(plan.format.clone()),
            plan,
            txn,
            rows: 0,
            error: None,
        });
        Output::CopyIn { columns }
    }

    /// Runs one statement with `params`, from the generic plan `plans`
    /// keeps when there is one (a prepared statement).
    fn run(&mut self, stmt: &Stmt, plans: Option<&PlanCache>, params: &[Value]) -> Result<Output> {
        use sqlparser::ast::Statement as S;
        if self.copy.take().is_some() {
            self.fail_block();
            return Err(SqlError::new(
                "08P01",
                "a statement arrived during COPY FROM STDIN; the COPY was abandoned",
            ));
        }
        if let Some(block) = &self.block
            && block.failed
            && !matches!(stmt, Stmt::Sql(s) if matches!(**s, S::Rollback { .. } | S::Commit { .. }))
        {
            return Err(SqlError::new(
                "25P02",
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        if self.settings.user != self.user_name {
            self.settings.user.clone_from(&self.user_name);
        }
        if let Some(block) = &self.block {
            block.txn.start_statement();
        }
        let result = match &mut self.block {
            Some(block) => {
                match crate::plan_cache::plan(plans, &block.txn, stmt, &self.settings, params) {
                    Ok(Planned {
                        plan: Plan::Control(c),
                        ..
                    }) => self.control(c),
                    Ok(Planned { plan, .. }) if block.read_only && plan.writes() => Err(
                        SqlError::new("25006", "cannot execute a write in a read-only transaction"),
                    ),
                    Ok(Planned {
                        plan: Plan::CopyIn(c),
                        ..
                    }) => Ok(self.start_copy(c, None)),
                    Ok(Planned { plan, params }) => {
                        execute_with(&mut block.txn, plan, params).map(|(out, table)| {
                            block.tables.extend(table);
                            out
                        })
                    }
                    Err(e) => Err(e),
                }
            }
            None => {
                let mut txn = self.begin()?;
                let Planned { plan, params } =
                    crate::plan_cache::plan(plans, &txn, stmt, &self.settings, params)?;
                match plan {
                    Plan::Control(Control::Begin {
                        read_only,
                        serializable,
                    }) => {
                        if let Some(on) = serializable {
                            txn.set_serializable(on);
                        }
                        if read_only {
                            txn.set_read_only(true);
                        }
                        self.block = Some(Block {
                            txn,
                            tables: BTreeSet::new(),
                            failed: false,
                            read_only,
                        });
                        Ok(Output::Command("BEGIN".into()))
                    }
                    Plan::Control(c) => self.control(c),
                    Plan::CopyIn(c) => Ok(self.start_copy(c, Some(txn))),
                    plan => {
                        let (out, table) = execute_with(&mut txn, plan, params)?;
                        self.commit(txn, table.into_iter().collect())?;
                        Ok(out)
                    }
                }
            }
        };
        if result.is_err()
            && let Some(block) = &mut self.block
        {
            block.failed = true;
        }
        // `COPY … FROM stdin;` followed by its data in the same text (as in
        // a psql script): the data is read at once.
        if let (Ok(Output::CopyIn { .. }), Stmt::Sql(s)) = (&result, stmt)
            && let S::Copy {
                payload: Some(payload),
                ..
            } = &**s
        {
            self.copy_data(payload.data.as_bytes());
            return self.copy_done();
        }
        result
    }

    /// Runs a transaction or session control statement.
    fn control(&mut self, c: Control) -> Result<Output> {
        let tag = |t: &str| Ok(Output::Command(t.into()));
        let no_block = |what: &str| {
            Err(SqlError::new(
                "25P01",
                format!("{what} can only be used in transaction blocks"),
            ))
        };
        match c {
            // Inside a block PostgreSQL only warns.
            Control::Begin { .. } => tag("BEGIN"),
            // Outside a block PostgreSQL only warns.
            Control::SetTransaction { serializable } => {
                if let Some(b) = &mut self.block {
                    b.txn.set_serializable(serializable);
                }
                tag("SET")
            }
            Control::Commit => self.end_block(true),
            Control::Rollback => self.end_block(false),
            Control::Savepoint(name) => match &mut self.block {
                Some(b) => {
                    b.txn.savepoint(&name);
                    tag("SAVEPOINT")
                }
                None => no_block("SAVEPOINT"),
            },
            Control::Release(name) => match &mut self.block {
                Some(b) => {
                    b.txn.release(&name)?;
                    tag("RELEASE")
                }
                None => no_block("RELEASE SAVEPOINT"),
            },
            Control::RollbackTo(name) => match &mut self.block {
                Some(b) => {
                    b.txn.rollback_to(&name)?;
                    b.failed = false;
                    tag("ROLLBACK")
                }
                None => no_block("ROLLBACK TO SAVEPOINT"),
            },
            Control::SetAsOf(p) => {
                self.settings.as_of = p;
                tag(if p.is_some() { "SET" } else { "RESET" })
            }
            Control::Set { name, value } => {
                let reset = value.is_none();
                self.settings.params.set(&name, value)?;
                tag(if reset { "RESET" } else { "SET" })
            }
            Control::ResetAll => {
                self.settings.params.reset_all();
                self.settings.as_of = None;
                tag("RESET")
            }
            Control::Deallocate { all } => tag(if all { "DEALLOCATE ALL" } else { "DEALLOCATE" }),
            Control::Show(name) => {
                let value = match (&self.block, name.as_str()) {
                    (Some(b), "transaction_isolation" | "transaction isolation level") => {
                        if b.txn.is_serializable() {
                            "serializable".to_string()
                        } else {
                            "repeatable read".to_string()
                        }
                    }
                    _ => self.settings.params.get(&name)?,
                };
                Ok(Output::Rows {
                    columns: vec![(name, Some(DataType::Text))],
                    rows: vec![vec![Value::Text(value)]],
                    command: "SHOW",
                })
            }
        }
    }

    fn end_block(&mut self, commit: bool) -> Result<Output> {
        let Some(block) = self.block.take() else {
            return Ok(Output::Command(
                if commit { "COMMIT" } else { "ROLLBACK" }.into(),
            ));
        };
        if commit && !block.failed {
            self.commit(block.txn, block.tables)?;
            Ok(Output::Command("COMMIT".into()))
        } else {
            Ok(Output::Command("ROLLBACK".into()))
        }
    }

    fn commit(&self, txn: Transaction<'_>, tables: BTreeSet<String>) -> Result<()> {
        if !txn.has_writes() && !txn.has_locks() {
            // Nothing to number or check (a read-only statement or block).
            return Ok(());
        }
        let meta = CommitMeta {
            user_name: self.user_name.clone(),
            application_name: self.settings.params.get("application_name")?,
            tables: tables.into_iter().collect(),
        };
        txn.commit(meta.encode(), self.settings.params.synchronous_commit())?;
        Ok(())
    }
}
