//! Running `WITH RECURSIVE` ([`crate::rel::Rel::Recursive`]) as PostgreSQL does: the
//! non-recursive term's rows, then rounds of the recursive term, each
//! reading only the rows the round before added (the *working table*, kept
//! in the statement's cache under the query's id, where
//! [`crate::rel::Rel::WorkTable`] reads it), until a round adds none. `UNION` drops a
//! row already returned (across all rounds), `UNION ALL` keeps it.
//!
//! Rows stream: a round runs only when the rows of the previous one have
//! been taken, so a `LIMIT` above ends an otherwise endless recursion. Each
//! round checks the statement's interrupt, so a recursion that never ends
//! stops at a cancel request or `statement_timeout` (57014).

use std::collections::{HashSet, VecDeque};
use std::rc::Rc;

use driftdb_engine::value::Value;

use crate::error::{Result, SqlError};
use crate::expr::Env;
use crate::rel::Recursive;
use crate::run::{Rows, distinct_key, run};

/// The rows of a recursive query.
pub(crate) fn rows<'a>(r: &'a Recursive, env: &'a Env<'a, '_>) -> Rows<'a> {
    Box::new(RecursiveRows {
        r,
        env,
        seen: r.distinct.then(HashSet::new),
        pending: VecDeque::new(),
        work: None,
    })
}

/// The working table of recursive query `id`: the rows its last round added.
pub(crate) fn work_table<'a>(id: usize, env: &Env<'a, '_>) -> Result<Rows<'a>> {
    let rows =
        env.cache.borrow().get(&id).cloned().ok_or_else(|| {
            SqlError::new("XX000", "a recursive query's working table is missing")
        })?;
    Ok(Box::new(
        (0..rows.len()).filter_map(move |i| rows.get(i).cloned().map(Ok)),
    ))
}

/// The state of a recursive query's rows.
struct RecursiveRows<'a, 'e> {
    r: &'a Recursive,
    env: &'a Env<'a, 'e>,
    /// `UNION`: the rows returned so far.
    seen: Option<HashSet<Vec<u8>>>,
    /// Rows of the current round not yet returned.
    pending: VecDeque<Vec<Value>>,
    /// The rows the last round added (`None` before the first round).
    work: Option<Vec<Vec<Value>>>,
}

impl RecursiveRows<'_, '_> {
    /// Runs the next round: the base first, then the step over the working
    /// table. False when the recursion is over.
    fn round(&mut self) -> Result<bool> {
        let (r, env) = (self.r, self.env);
        let produced: Vec<Vec<Value>> = match self.work.take() {
            None => run(&r.base, env)?.collect::<Result<_>>()?,
            Some(work) if work.is_empty() => return Ok(false),
            Some(work) => {
                env.txn.check_interrupt()?;
                env.cache.borrow_mut().insert(r.id, Rc::new(work));
                run(&r.step, env)?.collect::<Result<_>>()?
            }
        };
        let added: Vec<Vec<Value>> = match &mut self.seen {
            Some(seen) => produced
                .into_iter()
                .filter(|row| seen.insert(distinct_key(row)))
                .collect(),
            None => produced,
        };
        self.pending.extend(added.iter().cloned());
        self.work = Some(added);
        Ok(true)
    }
}

impl Iterator for RecursiveRows<'_, '_> {
    type Item = Result<Vec<Value>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.pending.pop_front() {
                return Some(Ok(row));
            }
            match self.round() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => {
                    self.work = Some(Vec::new());
                    return Some(Err(e));
                }
            }
        }
    }
}
