//! A transaction's buffered writes, in key order, looked up by borrowed keys.

use std::cmp::Ordering;
use std::ops::Bound;

use driftdb_storage::AppendMap;

/// A key in the store: keyspace and key bytes.
pub(crate) type StoreKey = (u32, Vec<u8>);

/// A buffered write: the new value, or `None` for a delete.
pub(crate) type Pending = Option<Vec<u8>>;

/// A write-buffer key as a lookup holds it, borrowed: the buffer is searched
/// per inserted row (its uniqueness check), and a lookup copies no key.
trait BufferKey {
    fn parts(&self) -> (u32, &[u8]);
}

impl BufferKey for StoreKey {
    fn parts(&self) -> (u32, &[u8]) {
        (self.0, &self.1)
    }
}

impl BufferKey for (u32, &[u8]) {
    fn parts(&self) -> (u32, &[u8]) {
        *self
    }
}

impl<'a> std::borrow::Borrow<dyn BufferKey + 'a> for StoreKey {
    fn borrow(&self) -> &(dyn BufferKey + 'a) {
        self
    }
}

impl PartialEq for dyn BufferKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn BufferKey + '_ {}

impl PartialOrd for dyn BufferKey + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Orders as [`StoreKey`] does: keyspace, then key bytes.
impl Ord for dyn BufferKey + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts().cmp(&other.parts())
    }
}

/// The writes of one transaction, each key's last, in key order. Most
/// writes of a large transaction come by ascending key (a bulk insert of
/// ascending ids), which [`AppendMap`] takes without a search.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteBuffer(AppendMap<StoreKey, Pending>);

impl WriteBuffer {
    /// Whether nothing is buffered.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The write of `key`, if buffered; the key is not copied.
    pub(crate) fn get(&self, keyspace: u32, key: &[u8]) -> Option<&Pending> {
        self.0.get(&(keyspace, key) as &dyn BufferKey)
    }

    /// Buffers `pending` as the write of `key`, replacing any earlier one.
    pub(crate) fn insert(&mut self, key: StoreKey, pending: Pending) {
        self.0.insert(key, pending);
    }

    /// The buffered writes within `range`, in key order.
    pub(crate) fn range(
        &self,
        range: (Bound<StoreKey>, Bound<StoreKey>),
    ) -> impl Iterator<Item = (&StoreKey, &Pending)> {
        self.0.range(range.0.as_ref(), range.1.as_ref())
    }
}

impl IntoIterator for WriteBuffer {
    type Item = (StoreKey, Pending);
    type IntoIter = <AppendMap<StoreKey, Pending> as IntoIterator>::IntoIter;

    /// Every buffered write, in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
