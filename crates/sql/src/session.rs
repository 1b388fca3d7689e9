//! A session: runs SQL text statement by statement, with autocommit, explicit
//! transaction blocks, and PostgreSQL's aborted-block rule (after an error
//! inside a block every statement fails with 25P02 until ROLLBACK).

use std::collections::BTreeSet;

use driftdb_engine::commit_meta::CommitMeta;
use driftdb_engine::txn::Transaction;
use driftdb_storage::Storage;

use crate::bind::{Settings, bind};
use crate::error::{Result, SqlError};
use crate::exec::{Output, execute};
use crate::parser::{Stmt, parse};
use crate::plan::Plan;

/// One client's session over an open storage.
pub struct Session<'s> {
    storage: &'s Storage,
    block: Option<Block<'s>>,
    settings: Settings,
    /// Recorded in `drift_commits.user_name`.
    pub user_name: String,
    /// Recorded in `drift_commits.application_name`.
    pub application_name: String,
}

/// An explicit transaction block.
struct Block<'s> {
    txn: Transaction<'s>,
    tables: BTreeSet<String>,
    failed: bool,
}

impl<'s> Session<'s> {
    /// A session of `user_name` on `storage`.
    pub fn new(storage: &'s Storage, user_name: &str) -> Self {
        Session {
            storage,
            block: None,
            settings: Settings::default(),
            user_name: user_name.into(),
            application_name: String::new(),
        }
    }

    /// Whether a transaction block is open.
    pub fn in_block(&self) -> bool {
        self.block.is_some()
    }

    /// Runs every statement of `sql` in order; stops at the first error.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<Output>> {
        let statements = parse(sql)?;
        let mut out = Vec::with_capacity(statements.len());
        for stmt in &statements {
            out.push(self.run(stmt)?);
        }
        Ok(out)
    }

    /// Runs every statement of `sql`, going on after a failed one as psql
    /// does with a script; only a syntax error stops it before it starts.
    pub fn execute_each(&mut self, sql: &str) -> Result<Vec<Result<Output>>> {
        Ok(parse(sql)?.iter().map(|stmt| self.run(stmt)).collect())
    }

    fn run(&mut self, stmt: &Stmt) -> Result<Output> {
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
        match &mut self.block {
            Some(block) => {
                let plan = match bind(&block.txn, stmt, &self.settings) {
                    Ok(plan) => plan,
                    Err(e) => {
                        block.failed = true;
                        return Err(e);
                    }
                };
                match plan {
                    plan @ (Plan::SetAsOf(_) | Plan::SetApplicationName(_)) => Ok(self.set(plan)),
                    Plan::Begin => Ok(Output::Command("BEGIN".into())),
                    Plan::Commit => self.end_block(true),
                    Plan::Rollback => self.end_block(false),
                    plan => match execute(&mut block.txn, plan) {
                        Ok((out, table)) => {
                            block.tables.extend(table);
                            Ok(out)
                        }
                        Err(e) => {
                            block.failed = true;
                            Err(e)
                        }
                    },
                }
            }
            None => {
                let mut txn = Transaction::begin(self.storage)?;
                match bind(&txn, stmt, &self.settings)? {
                    Plan::Begin => {
                        self.block = Some(Block {
                            txn,
                            tables: BTreeSet::new(),
                            failed: false,
                        });
                        Ok(Output::Command("BEGIN".into()))
                    }
                    plan @ (Plan::SetAsOf(_) | Plan::SetApplicationName(_)) => Ok(self.set(plan)),
                    // Outside a block PostgreSQL only warns.
                    Plan::Commit => Ok(Output::Command("COMMIT".into())),
                    Plan::Rollback => Ok(Output::Command("ROLLBACK".into())),
                    plan => {
                        let (out, table) = execute(&mut txn, plan)?;
                        self.commit(txn, table.into_iter().collect())?;
                        Ok(out)
                    }
                }
            }
        }
    }

    /// Applies a SET or RESET; session settings are not transactional here.
    fn set(&mut self, plan: Plan) -> Output {
        match plan {
            Plan::SetAsOf(p) => {
                self.settings.as_of = p;
                Output::Command(if p.is_some() { "SET" } else { "RESET" }.into())
            }
            Plan::SetApplicationName(name) => {
                self.application_name = name;
                Output::Command("SET".into())
            }
            _ => Output::Command("SET".into()),
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
            application_name: self.application_name.clone(),
            tables: tables.into_iter().collect(),
        };
        txn.commit(meta.encode(), true)?;
        Ok(())
    }
}
