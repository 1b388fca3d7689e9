//! What the executor measures for `EXPLAIN ANALYZE`: with a [`Profile`]
//! in its `Env`, `run()` wraps the rows of every plan node it starts, so
//! each node's runs, rows, time to its first row and total time (its
//! inputs' included, as PostgreSQL counts them) are recorded under the
//! node's address in the plan.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use driftdb_engine::value::Value;

use crate::error::Result;
use crate::rel::Rel;
use crate::run::Rows;

/// What the executor measured of each plan node while it ran (for
/// `EXPLAIN ANALYZE`), by the node's address in the plan.
#[derive(Debug, Default)]
pub struct Profile {
    nodes: RefCell<HashMap<usize, Stats>>,
}

/// What one node did, over all its runs.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stats {
    /// How many times the node ran.
    pub(crate) loops: u64,
    /// Rows it returned, over all runs.
    pub(crate) rows: u64,
    /// Time to the first row, summed over the runs that had one.
    pub(crate) first: Duration,
    /// Time spent, summed over all runs.
    pub(crate) total: Duration,
}

/// The key of a plan node in a [`Profile`].
pub(crate) fn node_key(rel: &Rel) -> usize {
    std::ptr::from_ref(rel) as usize
}

impl Profile {
    /// `build`'s rows of `rel`, measured: the time to build them and to
    /// take each one, and how many there are.
    pub(crate) fn measure<'a>(
        self: &Rc<Self>,
        rel: &'a Rel,
        build: impl FnOnce() -> Result<Rows<'a>>,
    ) -> Result<Rows<'a>> {
        let key = node_key(rel);
        let start = Instant::now();
        let rows = build()?;
        let spent = start.elapsed();
        {
            let mut nodes = self.nodes.borrow_mut();
            let s = nodes.entry(key).or_default();
            s.loops += 1;
            s.total += spent;
        }
        Ok(Box::new(Measured {
            rows,
            profile: Rc::clone(self),
            key,
            spent,
            seen_first: false,
        }))
    }

    /// What the node at `key` did, when it ran.
    pub(crate) fn stats(&self, key: usize) -> Option<Stats> {
        self.nodes.borrow().get(&key).copied()
    }
}

/// A node's rows, counted and timed as they are taken.
struct Measured<'a> {
    rows: Rows<'a>,
    profile: Rc<Profile>,
    key: usize,
    /// Time spent in this run so far.
    spent: Duration,
    seen_first: bool,
}

impl Iterator for Measured<'_> {
    type Item = Result<Vec<Value>>;

    fn next(&mut self) -> Option<Self::Item> {
        let t = Instant::now();
        let row = self.rows.next();
        let spent = t.elapsed();
        self.spent += spent;
        let mut nodes = self.profile.nodes.borrow_mut();
        let s = nodes.entry(self.key).or_default();
        s.total += spent;
        if matches!(row, Some(Ok(_))) {
            s.rows += 1;
            if !self.seen_first {
                self.seen_first = true;
                s.first += self.spent;
            }
        }
        row
    }
}
