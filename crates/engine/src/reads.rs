//! What a serializable transaction reads of the present. At commit the
//! storage checks that none of it changed after the transaction's snapshot
//! (`Commit::reads`), which makes the transaction as if it ran alone at its
//! commit: PostgreSQL's SERIALIZABLE, checked optimistically. Reads of the
//! past need no check (history never changes).
//!
//! The same set holds the rows a transaction of any isolation locked
//! (`SELECT … FOR UPDATE`): those are checked like the keys it writes, so
//! a lock that another commit overtook fails the commit with 40001.

use std::cell::RefCell;
use std::collections::BTreeSet;

use driftdb_storage::Reads;

/// Past this many keys read one at a time in one keyspace, the keyspace is
/// checked as a whole: the check at commit stays one lookup per keyspace
/// instead of one per key (at the price of conflicts a key check would
/// not report).
const KEYS_PER_KEYSPACE: usize = 64;

/// The reads of one serializable transaction and the rows it locked.
#[derive(Debug, Default)]
pub struct ReadSet {
    keys: RefCell<BTreeSet<(u32, Vec<u8>)>>,
    keyspaces: RefCell<BTreeSet<u32>>,
    locked: RefCell<BTreeSet<(u32, Vec<u8>)>>,
}

impl ReadSet {
    /// Notes a read of `key` in `keyspace`.
    pub fn key(&self, keyspace: u32, key: &[u8]) {
        if self.keyspaces.borrow().contains(&keyspace) {
            return;
        }
        let mut keys = self.keys.borrow_mut();
        keys.insert((keyspace, key.to_vec()));
        let in_keyspace = keys
            .range((keyspace, Vec::new())..)
            .take_while(|(ks, _)| *ks == keyspace)
            .take(KEYS_PER_KEYSPACE + 1)
            .count();
        if in_keyspace > KEYS_PER_KEYSPACE {
            keys.retain(|(ks, _)| *ks != keyspace);
            self.keyspaces.borrow_mut().insert(keyspace);
        }
    }

    /// Notes a read of a range of `keyspace`.
    pub fn range(&self, keyspace: u32) {
        self.keyspaces.borrow_mut().insert(keyspace);
        self.keys.borrow_mut().retain(|(ks, _)| *ks != keyspace);
    }

    /// Notes a lock of the row at `key` in `keyspace`.
    pub fn lock(&self, keyspace: u32, key: &[u8]) {
        self.locked.borrow_mut().insert((keyspace, key.to_vec()));
    }

    /// The rows locked so far, for a savepoint to restore.
    pub fn locks(&self) -> BTreeSet<(u32, Vec<u8>)> {
        self.locked.borrow().clone()
    }

    /// Makes `locks` the rows locked (`ROLLBACK TO` a savepoint releases
    /// the locks taken after it).
    pub fn set_locks(&self, locks: BTreeSet<(u32, Vec<u8>)>) {
        *self.locked.borrow_mut() = locks;
    }

    /// Whether any row was locked.
    pub fn has_locks(&self) -> bool {
        !self.locked.borrow().is_empty()
    }

    /// The reads, as the storage checks them at commit.
    pub fn into_reads(self) -> Reads {
        Reads {
            keys: self.keys.into_inner().into_iter().collect(),
            keyspaces: self.keyspaces.into_inner().into_iter().collect(),
            locked: self.locked.into_inner().into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{KEYS_PER_KEYSPACE, ReadSet};

    #[test]
    fn many_keys_of_one_keyspace_become_the_keyspace() {
        let reads = ReadSet::default();
        reads.key(7, b"a");
        for i in 0..=KEYS_PER_KEYSPACE {
            reads.key(9, &i.to_be_bytes());
        }
        let r = reads.into_reads();
        assert_eq!(r.keys, vec![(7, b"a".to_vec())]);
        assert_eq!(r.keyspaces, vec![9]);
    }

    #[test]
    fn a_range_read_covers_the_keys_read_before() {
        let reads = ReadSet::default();
        reads.key(3, b"k");
        reads.range(3);
        reads.key(3, b"j");
        let r = reads.into_reads();
        assert!(r.keys.is_empty());
        assert_eq!(r.keyspaces, vec![3]);
    }
}
