//! Transactions: snapshot isolation over the versioned store.
//!
//! A transaction reads the store as of the seq it began at (or, for a read of
//! the past, as of any earlier seq) and buffers its writes in memory, where its
//! own reads see them. Commit hands the buffer to the storage layer as one
//! commit that fails with SQLSTATE 40001 if another commit changed any key it
//! writes after its snapshot (first committer wins). A transaction that wrote
//! nothing takes no seq. Savepoints are copies of the buffer.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::hash::{BuildHasher, RandomState};
use std::ops::Bound;

use driftdb_storage::{
    Commit, Committed, KeyRange, ScanIter, Storage, StoreSnapshot, Version, Write,
};

use crate::error::{EngineError, Result};
use crate::interrupt::Interrupt;
use crate::reads::ReadSet;
use crate::sequence::SessionValues;
use crate::write_buffer::{Pending, StoreKey, WriteBuffer};

/// One transaction; dropped without commit, it rolls back.
pub struct Transaction<'s> {
    storage: &'s Storage,
    snapshot: StoreSnapshot,
    /// See [`Transaction::cache_epoch`].
    cache_epoch: Option<u64>,
    writes: WriteBuffer,
    /// Each savepoint's name, writes and locked rows.
    savepoints: Vec<(String, WriteBuffer, BTreeSet<StoreKey>)>,
    /// Random per transaction: with the snapshot seq and `row_ids`, it makes
    /// generated row ids unique without any coordination. Drawn at the
    /// first row id: most transactions make none.
    nonce: Option<u64>,
    row_ids: u32,
    /// The keyspaces it generated row ids in.
    fresh_keyspaces: Vec<u32>,
    /// Every table definition as this transaction sees them, kept between
    /// catalog writes (foreign-key checks ask for them once per row).
    tables: std::cell::RefCell<Option<std::sync::Arc<Vec<crate::catalog::TableDef>>>>,
    /// Raised by another thread to stop the statement running in it.
    interrupt: Interrupt,
    /// What it read of the present (noted when it is serializable) and
    /// the rows it locked.
    reads: ReadSet,
    /// Whether it is SERIALIZABLE.
    serializable: bool,
    /// The store as of the last commit answered, taken once per statement
    /// that locks rows, to fail a lock on a row changed after the snapshot.
    latest: std::cell::RefCell<Option<StoreSnapshot>>,
    /// The session's `currval`/`lastval` record, which `nextval` updates.
    sequences: SessionValues,
    /// `READ ONLY` (or reading the past): even the writes made outside the
    /// transaction (`nextval`) are refused.
    read_only: bool,
    /// When it began, in µs since 2000-01-01 UTC: `now()`.
    started_at: i64,
    /// When its current statement began: `statement_timestamp()`.
    statement_at: std::cell::Cell<i64>,
}

/// The wall clock in µs since 2000-01-01 UTC, PostgreSQL's timestamp epoch.
pub fn wall_clock_micros() -> i64 {
    /// Seconds from 1970-01-01 to 2000-01-01.
    const UNIX_TO_2000: i64 = 946_684_800;
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    since_unix - UNIX_TO_2000 * 1_000_000
}

impl<'s> Transaction<'s> {
    /// Begins a transaction that sees every commit answered so far.
    pub fn begin(storage: &'s Storage) -> Result<Self> {
        let (snapshot, cache_epoch) = storage.snapshot_with_epoch()?;
        let now = wall_clock_micros();
        Ok(Transaction {
            storage,
            snapshot,
            cache_epoch,
            writes: WriteBuffer::default(),
            savepoints: Vec::new(),
            nonce: None,
            row_ids: 0,
            fresh_keyspaces: Vec::new(),
            tables: std::cell::RefCell::new(None),
            interrupt: Interrupt::default(),
            reads: ReadSet::default(),
            serializable: false,
            latest: std::cell::RefCell::new(None),
            sequences: SessionValues::default(),
            read_only: false,
            started_at: now,
            statement_at: std::cell::Cell::new(now),
        })
    }

    /// When the transaction began (µs since 2000-01-01 UTC), which
    /// `now()` and `current_timestamp` give throughout it.
    pub fn started_at(&self) -> i64 {
        self.started_at
    }

    /// When the running statement began (µs since 2000-01-01 UTC).
    pub fn statement_at(&self) -> i64 {
        self.statement_at.get()
    }

    /// Notes that a new statement of the transaction begins now.
    pub fn start_statement(&self) {
        self.statement_at.set(wall_clock_micros());
        self.latest.borrow_mut().take();
    }

    /// Makes the transaction SERIALIZABLE (`on`) or snapshot isolation:
    /// serializable, what it reads of the present is noted, and its commit
    /// fails with 40001 if any of it changed after its snapshot.
    pub fn set_serializable(&mut self, on: bool) {
        self.serializable = on;
    }

    /// Whether the transaction is SERIALIZABLE.
    pub fn is_serializable(&self) -> bool {
        self.serializable
    }

    /// Locks the row at `key` of `keyspace` (`SELECT … FOR UPDATE`): the
    /// commit fails with 40001 if another commit changes it after the
    /// snapshot, and so does this call if one already has (PostgreSQL's
    /// REPEATABLE READ, without waiting). A row this transaction wrote
    /// itself is its own already.
    pub fn lock(&self, keyspace: u32, key: &[u8]) -> Result<()> {
        if self.writes.get(keyspace, key).is_some() {
            return Ok(());
        }
        let mut latest = self.latest.borrow_mut();
        let store = match latest.as_mut() {
            Some(s) => s,
            None => latest.insert(self.storage.snapshot()?),
        };
        let committed_seq = store.last_change_seq(keyspace, key)?;
        let snapshot_seq = self.snapshot.seq();
        if committed_seq > snapshot_seq {
            return Err(driftdb_storage::StorageError::WriteConflict {
                keyspace,
                committed_seq,
                snapshot_seq,
            }
            .into());
        }
        self.reads.lock(keyspace, key);
        Ok(())
    }

    /// Marks the transaction read-only.
    pub fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
    }

    /// Whether the transaction is read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Lets this transaction's `nextval` calls update the session's record.
    pub fn set_sequence_values(&mut self, values: SessionValues) {
        self.sequences = values;
    }

    /// The session's `currval`/`lastval` record.
    pub fn sequence_values(&self) -> &SessionValues {
        &self.sequences
    }

    /// The storage, for the commits sequences make outside the transaction.
    pub(crate) fn storage(&self) -> &'s Storage {
        self.storage
    }

    /// Lets `interrupt` stop statements running in this transaction.
    pub fn set_interrupt(&mut self, interrupt: Interrupt) {
        self.interrupt = interrupt;
    }

    /// Fails with SQLSTATE 57014 once the statement was asked to stop; the
    /// executor calls it between rows.
    pub fn check_interrupt(&self) -> Result<()> {
        self.interrupt.check()
    }

    /// The seq this transaction's snapshot includes.
    pub fn snapshot_seq(&self) -> u64 {
        self.snapshot.seq()
    }

    /// The store snapshot, for reads of history that bypass the write buffer.
    pub fn snapshot(&self) -> &StoreSnapshot {
        &self.snapshot
    }

    /// The generation of the catalog this transaction reads
    /// ([`Storage::cache_epoch`]), under which what is derived from the
    /// catalog (a statement's description, a prepared query's plan) can be
    /// cached and shared; `None` when not known for sure (a catalog change
    /// was being applied as the snapshot was taken) or when the transaction
    /// has changed the catalog itself.
    pub fn cache_epoch(&self) -> Option<u64> {
        self.cache_epoch.filter(|_| !self.changes_catalog())
    }

    /// Whether the transaction has changed the catalog: a table (and its
    /// indexes and constraints), the id counter, a schema, a view or a
    /// sequence's definition, the keyspaces below
    /// [`SEQUENCE_STATE`](crate::sequence::SEQUENCE_STATE) (whose values
    /// `nextval` commits on their own). Binding reads all of them, so its
    /// commit moves the catalog generation on.
    pub fn changes_catalog(&self) -> bool {
        self.writes
            .range((
                Bound::Included((crate::catalog::TABLES, Vec::new())),
                Bound::Excluded((crate::sequence::SEQUENCE_STATE, Vec::new())),
            ))
            .next()
            .is_some()
    }

    /// Whether the transaction has written anything.
    pub fn has_writes(&self) -> bool {
        !self.writes.is_empty()
    }

    /// Whether the transaction locked rows, which its commit checks even
    /// without writes.
    pub fn has_locks(&self) -> bool {
        self.reads.has_locks()
    }

    /// The value of `key`: this transaction's own write, else the snapshot's.
    pub fn get(&self, keyspace: u32, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.look_up(keyspace, key, Pending::clone, |snapshot| {
            Ok(snapshot.get(keyspace, key)?.map(|v| v.value))
        })
    }

    /// Whether `key` exists as this transaction sees it: [`Transaction::get`]
    /// without copying the value (a uniqueness check per inserted row).
    pub fn contains(&self, keyspace: u32, key: &[u8]) -> Result<bool> {
        self.look_up(keyspace, key, Pending::is_some, |snapshot| {
            Ok(snapshot.contains(keyspace, key)?)
        })
    }

    /// Reads `key` from this transaction's own writes (`own`), else from its
    /// snapshot (`stored`), recording the read when serializable.
    fn look_up<R>(
        &self,
        keyspace: u32,
        key: &[u8],
        own: impl FnOnce(&Pending) -> R,
        stored: impl FnOnce(&StoreSnapshot) -> Result<R>,
    ) -> Result<R> {
        if let Some(pending) = self.writes.get(keyspace, key) {
            return Ok(own(pending));
        }
        if self.serializable {
            self.reads.key(keyspace, key);
        }
        stored(&self.snapshot)
    }

    /// The version of `key` right after commit `seq` (the past is read-only, so
    /// this transaction's own writes play no part).
    pub fn get_as_of(&self, keyspace: u32, key: &[u8], seq: u64) -> Result<Option<Version>> {
        if self.serializable && seq >= self.snapshot.seq() {
            self.reads.key(keyspace, key);
        }
        Ok(self.snapshot.get_as_of(keyspace, key, seq)?)
    }

    /// The rows of `keyspace` within `range` as this transaction sees them, in
    /// key order.
    pub fn scan(
        &self,
        keyspace: u32,
        range: KeyRange<'_>,
    ) -> Result<impl Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + use<>> {
        if self.serializable {
            self.reads.range(keyspace);
        }
        let stored = self.snapshot.scan(keyspace, range)?;
        let own: Vec<(Vec<u8>, Pending)> = if is_empty(range) {
            Vec::new()
        } else {
            self.writes
                .range(buffer_range(keyspace, range))
                .map(|((_, k), v)| (k.clone(), v.clone()))
                .collect()
        };
        Ok(Merge::new(stored, own))
    }

    /// The rows of `keyspace` within `range` right after commit `seq`, in key
    /// order.
    pub fn scan_as_of(&self, keyspace: u32, range: KeyRange<'_>, seq: u64) -> Result<ScanIter> {
        if self.serializable && seq >= self.snapshot.seq() {
            self.reads.range(keyspace);
        }
        Ok(self.snapshot.scan_as_of(keyspace, range, seq)?)
    }

    /// A key for a row of `keyspace`, a table without a primary key:
    /// snapshot seq, this transaction's random nonce and a counter,
    /// big-endian, so ids sort roughly by insertion and never repeat.
    pub fn next_row_id(&mut self, keyspace: u32) -> Vec<u8> {
        self.row_ids = self.row_ids.wrapping_add(1);
        if !self.fresh_keyspaces.contains(&keyspace) {
            self.fresh_keyspaces.push(keyspace);
        }
        let nonce = *self
            .nonce
            .get_or_insert_with(|| RandomState::new().hash_one(std::time::SystemTime::now()));
        let mut id = Vec::with_capacity(20);
        id.extend_from_slice(&self.snapshot.seq().to_be_bytes());
        id.extend_from_slice(&nonce.to_be_bytes());
        id.extend_from_slice(&self.row_ids.to_be_bytes());
        id
    }

    /// Whether `key` of `keyspace` is a row id this transaction generated:
    /// every key of such a keyspace is a generated id, and ids start with
    /// their transaction's snapshot seq and nonce. No other transaction can
    /// write it, so its write needs no conflict check.
    fn is_fresh(&self, keyspace: u32, key: &[u8]) -> bool {
        let Some(nonce) = self.nonce else {
            return false;
        };
        key.len() == 20
            && self.fresh_keyspaces.contains(&keyspace)
            && key[..8] == self.snapshot.seq().to_be_bytes()
            && key[8..16] == nonce.to_be_bytes()
    }

    /// Buffers `key = value`.
    pub fn put(&mut self, keyspace: u32, key: Vec<u8>, value: Vec<u8>) {
        self.forget_tables(keyspace);
        self.writes.insert((keyspace, key), Some(value));
    }

    /// Buffers the deletion of `key`.
    pub fn delete(&mut self, keyspace: u32, key: Vec<u8>) {
        self.forget_tables(keyspace);
        self.writes.insert((keyspace, key), None);
    }

    fn forget_tables(&mut self, keyspace: u32) {
        if keyspace == crate::catalog::TABLES {
            self.tables.get_mut().take();
        }
    }

    /// Every present table definition, read once until the catalog changes
    /// (and shared with other transactions of the same catalog generation).
    pub(crate) fn cached_tables(
        &self,
        read: impl FnOnce() -> Result<Vec<crate::catalog::TableDef>>,
    ) -> Result<std::sync::Arc<Vec<crate::catalog::TableDef>>> {
        if let Some(t) = self.tables.borrow().as_ref() {
            return Ok(std::sync::Arc::clone(t));
        }
        let t = crate::shared_tables::tables(self, read)?;
        *self.tables.borrow_mut() = Some(std::sync::Arc::clone(&t));
        Ok(t)
    }

    /// `SAVEPOINT name`: remembers the writes and locks so far.
    pub fn savepoint(&mut self, name: &str) {
        self.savepoints
            .push((name.to_string(), self.writes.clone(), self.reads.locks()));
    }

    /// `ROLLBACK TO name`: forgets the writes and releases the locks since
    /// the savepoint, which stays.
    pub fn rollback_to(&mut self, name: &str) -> Result<()> {
        let at = self.find_savepoint(name)?;
        self.savepoints.truncate(at + 1);
        if let Some((_, writes, locks)) = self.savepoints.last() {
            self.writes = writes.clone();
            self.reads.set_locks(locks.clone());
        }
        self.tables.get_mut().take();
        Ok(())
    }

    /// `RELEASE name`: drops the savepoint and every later one, keeping writes.
    pub fn release(&mut self, name: &str) -> Result<()> {
        let at = self.find_savepoint(name)?;
        self.savepoints.truncate(at);
        Ok(())
    }

    fn find_savepoint(&self, name: &str) -> Result<usize> {
        self.savepoints
            .iter()
            .rposition(|(n, _, _)| n == name)
            .ok_or_else(|| EngineError::UndefinedSavepoint(name.to_string()))
    }

    /// Commits the buffered writes with `meta` as the commit's metadata. A
    /// transaction without writes takes no seq and returns `None`; if it
    /// locked rows, they are still checked (40001 if another commit
    /// changed one after the snapshot).
    pub fn commit(mut self, meta: Vec<u8>, synchronous: bool) -> Result<Option<Committed>> {
        if self.writes.is_empty() {
            if self.reads.has_locks() {
                self.storage.check(Commit {
                    snapshot_seq: Some(self.snapshot.seq()),
                    reads: Some(self.reads.into_reads()),
                    ..Commit::default()
                })?;
            }
            return Ok(None);
        }
        let catalog_changed = self.changes_catalog();
        let (mut writes, mut fresh_writes) = (Vec::new(), Vec::new());
        for ((keyspace, key), v) in std::mem::take(&mut self.writes) {
            let fresh = self.is_fresh(keyspace, &key);
            let write = match v {
                Some(value) => Write::Put {
                    keyspace,
                    key,
                    value,
                },
                None => Write::Delete { keyspace, key },
            };
            if fresh {
                fresh_writes.push(write);
            } else {
                writes.push(write);
            }
        }
        let commit = Commit {
            writes,
            fresh_writes,
            meta,
            synchronous,
            snapshot_seq: Some(self.snapshot.seq()),
            reads: Some(self.reads.into_reads()),
            invalidates_caches: catalog_changed,
        };
        Ok(Some(self.storage.commit(commit)?))
    }
}

/// Whether no key can lie within `range` (a start past its end, which
/// `BTreeMap::range` would refuse with a panic).
fn is_empty(range: KeyRange<'_>) -> bool {
    match range {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b))
        | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => false,
    }
}

/// The write-buffer keys of `keyspace` within a non-empty `range`.
fn buffer_range(keyspace: u32, range: KeyRange<'_>) -> (Bound<StoreKey>, Bound<StoreKey>) {
    let at = |k: &[u8]| (keyspace, k.to_vec());
    let lo = match range.0 {
        Bound::Included(k) => Bound::Included(at(k)),
        Bound::Excluded(k) => Bound::Excluded(at(k)),
        Bound::Unbounded => Bound::Included((keyspace, Vec::new())),
    };
    let hi = match range.1 {
        Bound::Included(k) => Bound::Included(at(k)),
        Bound::Excluded(k) => Bound::Excluded(at(k)),
        Bound::Unbounded => match keyspace.checked_add(1) {
            Some(next) => Bound::Excluded((next, Vec::new())),
            None => Bound::Unbounded,
        },
    };
    (lo, hi)
}

/// Merges the store's rows with the transaction's own writes (which win).
struct Merge {
    stored: std::iter::Peekable<ScanIter>,
    own: std::iter::Peekable<std::vec::IntoIter<(Vec<u8>, Pending)>>,
}

impl Merge {
    fn new(stored: ScanIter, own: Vec<(Vec<u8>, Pending)>) -> Self {
        Merge {
            stored: stored.peekable(),
            own: own.into_iter().peekable(),
        }
    }
}

impl Iterator for Merge {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let order = match (self.stored.peek(), self.own.peek()) {
                (None, None) => return None,
                (Some(Err(_)), _) | (Some(Ok(_)), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(Ok((stored, _))), Some((own, _))) => stored.cmp(own),
            };
            if order == Ordering::Less {
                return self
                    .stored
                    .next()
                    .map(|r| r.map(|(k, v)| (k, v.value)).map_err(Into::into));
            }
            if order == Ordering::Equal {
                // The transaction's own write replaces the stored row.
                self.stored.next();
            }
            match self.own.next() {
                Some((k, Some(v))) => return Some(Ok((k, v))),
                Some((_, None)) => {}
                None => return None,
            }
        }
    }
}
