//! A session: runs SQL text statement by statement, with autocommit, explicit
//! transaction blocks, and PostgreSQL's aborted-block rule (after an error
//! inside a block every statement fails with 25P02 until ROLLBACK).

use std::collections::BTreeSet;

use driftdb_engine::commit_meta::CommitMeta;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{DataType, Value};
use driftdb_storage::Storage;

use crate::bind::{Settings, bind_with};
use crate::error::{Result, SqlError};
use crate::exec::{Output, execute};
use crate::params::Parameters;
use crate::parser::{Stmt, parse};
use crate::plan::{Control, Plan};

/// One client's session over an open storage.
pub struct Session<'s> {
    storage: &'s Storage,
    block: Option<Block<'s>>,
    settings: Settings,
    params: Parameters,
    /// Recorded in `drift_commits.user_name`.
    pub user_name: String,
}

/// A statement parsed once (`Session::prepare`), run with parameters.
#[derive(Debug, Clone)]
pub struct Prepared {
    stmt: Stmt,
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
            params: Parameters::default(),
            user_name: user_name.into(),
        }
    }

    /// Whether a transaction block is open.
    pub fn in_block(&self) -> bool {
        self.block.is_some()
    }

    /// The value of a configuration parameter.
    pub fn parameter(&self, name: &str) -> Result<String> {
        self.params.get(&name.to_ascii_lowercase())
    }

    /// Sets a configuration parameter (as a client's startup packet does).
    pub fn set_parameter(&mut self, name: &str, value: &str) -> Result<()> {
        self.params
            .set(&name.to_ascii_lowercase(), Some(value.to_string()))
    }

    /// Parses `sql`, one statement with parameters `$1`, `$2`, …, to run
    /// many times with [`Session::execute_prepared`].
    pub fn prepare(&self, sql: &str) -> Result<Prepared> {
        let mut statements = parse(sql)?;
        if statements.len() != 1 {
            return Err(SqlError::new(
                "42601",
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        Ok(Prepared {
            stmt: statements.remove(0),
        })
    }

    /// Runs a prepared statement with `params` as `$1`, `$2`, ….
    pub fn execute_prepared(&mut self, prepared: &Prepared, params: &[Value]) -> Result<Output> {
        self.run(&prepared.stmt, params)
    }

    /// Runs every statement of `sql` in order; stops at the first error.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<Output>> {
        let statements = parse(sql)?;
        let mut out = Vec::with_capacity(statements.len());
        for stmt in &statements {
            out.push(self.run(stmt, &[])?);
        }
        Ok(out)
    }

    /// Runs every statement of `sql`, going on after a failed one as psql
    /// does with a script; only a syntax error stops it before it starts.
    pub fn execute_each(&mut self, sql: &str) -> Result<Vec<Result<Output>>> {
        Ok(parse(sql)?.iter().map(|stmt| self.run(stmt, &[])).collect())
    }

    fn run(&mut self, stmt: &Stmt, params: &[Value]) -> Result<Output> {
        use sqlparser::ast::Statement as S;
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
        let result = match &mut self.block {
            Some(block) => match bind_with(&block.txn, stmt, &self.settings, params) {
                Ok(Plan::Control(c)) => self.control(c),
                Ok(plan) if block.read_only && plan.writes() => Err(SqlError::new(
                    "25006",
                    "cannot execute a write in a read-only transaction",
                )),
                Ok(plan) => execute(&mut block.txn, plan).map(|(out, table)| {
                    block.tables.extend(table);
                    out
                }),
                Err(e) => Err(e),
            },
            None => {
                let mut txn = Transaction::begin(self.storage)?;
                match bind_with(&txn, stmt, &self.settings, params)? {
                    Plan::Control(Control::Begin { read_only }) => {
                        self.block = Some(Block {
                            txn,
                            tables: BTreeSet::new(),
                            failed: false,
                            read_only,
                        });
                        Ok(Output::Command("BEGIN".into()))
                    }
                    Plan::Control(c) => self.control(c),
                    plan => {
                        let (out, table) = execute(&mut txn, plan)?;
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
                self.params.set(&name, value)?;
                tag(if reset { "RESET" } else { "SET" })
            }
            Control::ResetAll => {
                self.params.reset_all();
                self.settings.as_of = None;
                tag("RESET")
            }
            Control::Show(name) => {
                let value = self.params.get(&name)?;
                Ok(Output::Rows {
                    columns: vec![(name, Some(DataType::Text))],
                    rows: vec![vec![Value::Text(value)]],
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
        let meta = CommitMeta {
            user_name: self.user_name.clone(),
            application_name: self.params.get("application_name")?,
            tables: tables.into_iter().collect(),
        };
        txn.commit(meta.encode(), self.params.synchronous_commit())?;
        Ok(())
    }
}
