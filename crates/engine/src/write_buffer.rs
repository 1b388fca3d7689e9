//! A transaction's buffered writes, in key order.
//!
//! Most writes of a large transaction come in ascending key order (a bulk
//! insert of ascending ids, rows read in key order and updated). Those go to
//! the end of a sorted run, found and added with one comparison; only a key
//! that falls inside what is buffered goes to a B-tree. Every key of the
//! tree sorts below every key of the run, so reading both in turn reads the
//! buffer in order.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;

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

/// The writes of one transaction, each key's last.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteBuffer {
    /// Keys below every key of `run`.
    tree: BTreeMap<StoreKey, Pending>,
    /// Keys above every key of `tree`, ascending.
    run: Vec<(StoreKey, Pending)>,
}

impl WriteBuffer {
    /// Whether nothing is buffered.
    pub(crate) fn is_empty(&self) -> bool {
        self.tree.is_empty() && self.run.is_empty()
    }

    /// The greatest key buffered.
    fn last(&self) -> Option<&StoreKey> {
        self.run
            .last()
            .map(|(k, _)| k)
            .or_else(|| self.tree.last_key_value().map(|(k, _)| k))
    }

    /// The write of `key`, if buffered. A key above every buffered one is
    /// known absent after one comparison.
    pub(crate) fn get(&self, keyspace: u32, key: &[u8]) -> Option<&Pending> {
        let probe = (keyspace, key);
        if self.last().is_none_or(|last| probe > last.parts()) {
            return None;
        }
        match self.run.first() {
            Some((first, _)) if probe >= first.parts() => self
                .run
                .binary_search_by(|(k, _)| k.parts().cmp(&probe))
                .ok()
                .and_then(|at| self.run.get(at))
                .map(|(_, v)| v),
            _ => self.tree.get(&probe as &dyn BufferKey),
        }
    }

    /// Buffers `pending` as the write of `key`, replacing any earlier one.
    pub(crate) fn insert(&mut self, key: StoreKey, pending: Pending) {
        if self.last().is_none_or(|last| key > *last) {
            self.run.push((key, pending));
            return;
        }
        let in_run = self.run.first().is_some_and(|(first, _)| key >= *first);
        if !in_run {
            self.tree.insert(key, pending);
            return;
        }
        match self.run.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(at) => {
                if let Some((_, v)) = self.run.get_mut(at) {
                    *v = pending;
                }
            }
            Err(_) => {
                // Inside the run: the run joins the tree, which takes it.
                self.tree.extend(self.run.drain(..));
                self.tree.insert(key, pending);
            }
        }
    }

    /// The buffered writes within `range`, in key order.
    pub(crate) fn range(
        &self,
        range: (Bound<StoreKey>, Bound<StoreKey>),
    ) -> impl Iterator<Item = (&StoreKey, &Pending)> {
        let from = match &range.0 {
            Bound::Included(lo) => self.run.partition_point(|(k, _)| k < lo),
            Bound::Excluded(lo) => self.run.partition_point(|(k, _)| k <= lo),
            Bound::Unbounded => 0,
        };
        let to = match &range.1 {
            Bound::Included(hi) => self.run.partition_point(|(k, _)| k <= hi),
            Bound::Excluded(hi) => self.run.partition_point(|(k, _)| k < hi),
            Bound::Unbounded => self.run.len(),
        };
        let run = self.run.get(from..to.max(from)).unwrap_or_default();
        self.tree
            .range(range)
            .chain(run.iter().map(|(k, v)| (k, v)))
    }
}

impl IntoIterator for WriteBuffer {
    type Item = (StoreKey, Pending);
    type IntoIter = std::iter::Chain<
        std::collections::btree_map::IntoIter<StoreKey, Pending>,
        std::vec::IntoIter<(StoreKey, Pending)>,
    >;

    /// Every buffered write, in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.tree.into_iter().chain(self.run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = StoreKey> {
        (0u32..3, proptest::collection::vec(0u8..4, 0..3))
    }

    proptest! {
        /// The buffer reads back as a map would: point lookups, ranges and
        /// the whole in order, whatever order keys come in.
        #[test]
        fn reads_as_a_map_does(
            writes in proptest::collection::vec((key(), any::<bool>()), 0..60),
            lo in key(),
            hi in key(),
        ) {
            let mut buffer = WriteBuffer::default();
            let mut model = BTreeMap::new();
            for (i, (k, put)) in writes.iter().enumerate() {
                let pending = put.then(|| vec![i as u8]);
                buffer.insert(k.clone(), pending.clone());
                model.insert(k.clone(), pending);
            }
            for (k, _) in &writes {
                prop_assert_eq!(buffer.get(k.0, &k.1), model.get(k));
            }
            prop_assert_eq!(buffer.get(lo.0, &lo.1), model.get(&lo));
            if lo <= hi {
                let bounds = (Bound::Included(lo.clone()), Bound::Excluded(hi.clone()));
                let got: Vec<_> = buffer.range(bounds.clone()).collect();
                let want: Vec<_> = model.range(bounds).collect();
                prop_assert_eq!(got, want);
                let bounds = (Bound::Excluded(lo.clone()), Bound::Included(hi.clone()));
                let got: Vec<_> = buffer.range(bounds.clone()).collect();
                let want: Vec<_> = model.range(bounds).collect();
                prop_assert_eq!(got, want);
            }
            prop_assert_eq!(buffer.is_empty(), model.is_empty());
            let all: Vec<_> = buffer.into_iter().collect();
            let want: Vec<_> = model.into_iter().collect();
            prop_assert_eq!(all, want);
        }
    }
}
