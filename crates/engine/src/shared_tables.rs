//! Every present table definition of one catalog generation, read once and
//! shared by all the transactions of an open storage that read that
//! generation. An `UPDATE` or `DELETE` asks for every table to find the
//! foreign keys that reference the one it writes (`catalog::referencing`);
//! reading and decoding the whole catalog again in each autocommit
//! transaction was 3% of the server's CPU in pgbench's update by primary
//! key with two tables, and grows with the number of tables.
//!
//! A list is shared only under a generation known for sure
//! ([`Transaction::cache_epoch`]: the snapshot holds exactly that
//! generation's catalog and the transaction has not changed it) and only
//! with transactions that are not SERIALIZABLE, whose reads of the catalog
//! must be noted for their commit's check.

use std::sync::{Arc, Mutex};

use crate::catalog::TableDef;
use crate::error::Result;
use crate::txn::Transaction;

/// The last generation's list, in [`driftdb_storage::Storage::shared`].
#[derive(Debug, Default)]
struct SharedTables {
    last: Mutex<Option<(u64, Arc<Vec<TableDef>>)>>,
}

/// Every present table definition as `txn` sees them: the shared list of
/// its catalog generation when one may serve it, else `read()` (which is
/// then shared when it may be).
pub(crate) fn tables(
    txn: &Transaction<'_>,
    read: impl FnOnce() -> Result<Vec<TableDef>>,
) -> Result<Arc<Vec<TableDef>>> {
    let Some(epoch) = txn.cache_epoch().filter(|_| !txn.is_serializable()) else {
        return Ok(Arc::new(read()?));
    };
    let shared = txn.storage().shared::<SharedTables>();
    if let Ok(last) = shared.last.lock()
        && let Some((e, list)) = last.as_ref()
        && *e == epoch
    {
        return Ok(Arc::clone(list));
    }
    let list = Arc::new(read()?);
    if let Ok(mut last) = shared.last.lock() {
        *last = Some((epoch, Arc::clone(&list)));
    }
    Ok(list)
}
