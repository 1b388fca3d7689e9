//! What a statement takes and returns (the wire protocol's Describe), and
//! the last answer kept with each prepared statement. Binding a statement
//! to describe it reads the catalog; a client that runs one prepared
//! statement many times (pgbench, JDBC) describes it before every run, so
//! a server answers those from the kept description while nothing it
//! depends on has changed.

use std::sync::{Arc, Mutex};

use driftdb_engine::history::PointIn;
use driftdb_engine::value::{DataType, Value};

use crate::bind::Column;

/// What a statement takes and returns, known before it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    /// The type of each parameter `$1` … `$n` it takes: the one its place
    /// implies (or its bound value's), `None` where nothing says.
    pub params: Vec<Option<DataType>>,
    /// The columns of the rows it returns; `None` when it returns no rows.
    pub columns: Option<Vec<Column>>,
}

/// Everything a description depends on besides the statement text and its
/// parameters: the catalog generation it was bound in
/// ([`Transaction::cache_epoch`](driftdb_engine::txn::Transaction::cache_epoch))
/// and the session's `drift.as_of`. Equal keys give equal descriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescribeKey {
    /// The catalog generation.
    pub catalog_epoch: u64,
    /// The session's `drift.as_of`.
    pub as_of: Option<PointIn>,
}

/// The types a description was made for: none for a statement (its
/// parameters unknown), else each bound value's type.
#[derive(Debug, Clone, PartialEq)]
enum ParamTypes {
    Statement,
    Portal(Vec<Option<DataType>>),
}

impl ParamTypes {
    fn of(params: Option<&[Value]>) -> ParamTypes {
        match params {
            None => ParamTypes::Statement,
            Some(values) => ParamTypes::Portal(values.iter().map(Value::data_type).collect()),
        }
    }

    /// Which slot of a [`DescribeCache`] holds descriptions of this kind.
    fn slot(&self) -> usize {
        slot_of(matches!(self, ParamTypes::Portal(_)))
    }

    /// Whether these are the types of `params` (compared in place: a kept
    /// description is looked up before every execution).
    fn fit(&self, params: Option<&[Value]>) -> bool {
        match (self, params) {
            (ParamTypes::Statement, None) => true,
            (ParamTypes::Portal(types), Some(values)) => {
                types.len() == values.len()
                    && types.iter().zip(values).all(|(t, v)| *t == v.data_type())
            }
            _ => false,
        }
    }
}

/// The slot of a [`DescribeCache`] for a statement (`false`) or a portal.
fn slot_of(portal: bool) -> usize {
    usize::from(portal)
}

/// A kept description and what it was made under.
type Entry = (DescribeKey, ParamTypes, Arc<Description>);

/// The last description of one prepared statement and of its last portal
/// (a client may describe both before each execution), each with what it
/// was made under. Clones start empty.
#[derive(Debug, Default)]
pub struct DescribeCache {
    last: Mutex<[Option<Entry>; 2]>,
}

impl Clone for DescribeCache {
    fn clone(&self) -> Self {
        DescribeCache::default()
    }
}

impl DescribeCache {
    /// The kept description made under `key` for `params`, if any.
    pub fn get(&self, key: DescribeKey, params: Option<&[Value]>) -> Option<Arc<Description>> {
        let last = self.last.lock().ok()?;
        let (k, kept_types, description) = last.get(slot_of(params.is_some()))?.as_ref()?;
        (*k == key && kept_types.fit(params)).then(|| description.clone())
    }

    /// Keeps `description`, made under `key` for `params`.
    pub(crate) fn put(
        &self,
        key: DescribeKey,
        params: Option<&[Value]>,
        description: &Arc<Description>,
    ) {
        let types = ParamTypes::of(params);
        if let Ok(mut last) = self.last.lock()
            && let Some(slot) = last.get_mut(types.slot())
        {
            *slot = Some((key, types, description.clone()));
        }
    }
}
