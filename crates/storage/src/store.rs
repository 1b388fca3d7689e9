//! The versioned store: every row version, derived from the log, in redb.
//!
//! ```text
//! current   keyspace|key                       -> seq_from: u64 LE | value
//! history   keyspace|esc(key)|00 00|!seq_from  -> seq_to: u64 LE (0 = current) | value
//! commits   seq                                -> commit_ts: i64 LE | meta
//! meta      "applied_seq" | "format" | "log_segment" | "log_offset"
//!           | "log_next_seq"                    -> u64
//! ```
//!
//! A key's versions over time (newest first in `history`):
//!
//! ```text
//! seq:     1     2     3     4     5
//! k:       [v1-------)[v2-------------)      put@1, put@3, delete@5
//!                                            history: (k,!3)->5|v2, (k,!1)->3|v1
//! ```
//!
//! `current` holds only live rows, so reading and scanning the present never
//! touches history, however long it grows. A read as of N seeks `history` to
//! `(k, !N)`: the first entry is the newest version that started at or before N,
//! visible when it had not ended by N.
//!
//! Commits reach redb in checkpoints: the sequencer makes them visible in the
//! overlay (`overlay.rs`), and each checkpoint merges a layer of it into redb
//! in one durable commit that records `applied_seq`; reads merge the two.
//! After a crash redb comes back at the last checkpoint and the log after it
//! is replayed.

use std::collections::{HashMap, VecDeque};
use std::iter::Peekable;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};

use crate::error::{Result, StorageError, store_err};
use crate::frame::CommitRecord;
use crate::keys::{
    as_slice, current_bounds, current_key, history_key, history_key_in, history_key_into,
    history_prefix, order_prefix, prefix_end,
};
use crate::overlay::{self, Change, LastChange, Layer, OverlayRange, OverlayView, PointRead};
use crate::{CommitInfo, Version, Write};

type Bytes = &'static [u8];
const CURRENT: TableDefinition<Bytes, Bytes> = TableDefinition::new("current");
const HISTORY: TableDefinition<Bytes, Bytes> = TableDefinition::new("history");
const COMMITS: TableDefinition<u64, Bytes> = TableDefinition::new("commits");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const APPLIED_SEQ: &str = "applied_seq";
const FORMAT_KEY: &str = "format";
const LOG_SEGMENT: &str = "log_segment";
const LOG_OFFSET: &str = "log_offset";
const LOG_NEXT_SEQ: &str = "log_next_seq";
const FORMAT: u64 = 1;

/// The redb database holding current rows, history and the commit table,
/// with the overlay of commits visible but not yet merged into it.
pub struct VersionedStore {
    db: Database,
    overlay: Mutex<OverlayState>,
}

/// The overlay's layers and how far commits are visible.
struct OverlayState {
    /// The last seq visible to new snapshots.
    applied: u64,
    /// Layers not yet merged into redb, oldest first; the last takes new commits.
    layers: Vec<Arc<Layer>>,
}

impl std::fmt::Debug for VersionedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VersionedStore").finish_non_exhaustive()
    }
}

fn u64_at(bytes: &[u8]) -> Result<u64> {
    let head: [u8; 8] = bytes
        .get(..8)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| StorageError::Format("store value shorter than its 8-byte header".into()))?;
    Ok(u64::from_le_bytes(head))
}

fn versioned_value(head: u64, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + value.len());
    v.extend_from_slice(&head.to_le_bytes());
    v.extend_from_slice(value);
    v
}

impl VersionedStore {
    /// Opens or creates the store file; `cache_bytes` bounds redb's page cache.
    pub fn open(path: &Path, cache_bytes: usize) -> Result<Self> {
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)
            .map_err(store_err)?;
        let txn = db.begin_write().map_err(store_err)?;
        {
            txn.open_table(CURRENT).map_err(store_err)?;
            txn.open_table(HISTORY).map_err(store_err)?;
            txn.open_table(COMMITS).map_err(store_err)?;
            let mut meta = txn.open_table(META).map_err(store_err)?;
            let format = meta.get(FORMAT_KEY).map_err(store_err)?.map(|g| g.value());
            match format {
                None => {
                    meta.insert(FORMAT_KEY, FORMAT).map_err(store_err)?;
                }
                Some(FORMAT) => {}
                Some(other) => {
                    return Err(StorageError::Format(format!(
                        "{} has store format {other}; this build reads format {FORMAT}",
                        path.display()
                    )));
                }
            }
        }
        txn.commit().map_err(store_err)?;
        let store = VersionedStore {
            db,
            overlay: Mutex::new(OverlayState {
                applied: 0,
                layers: vec![Arc::default()],
            }),
        };
        let applied = store.read()?.seq();
        store.state().applied = applied;
        Ok(store)
    }

    fn state(&self) -> MutexGuard<'_, OverlayState> {
        self.overlay.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes commits visible to new snapshots: they go to the overlay's
    /// active layer, and into redb at the next [`VersionedStore::flush`].
    pub fn stage(&self, records: Vec<Arc<CommitRecord>>) {
        let Some(last) = records.last().map(|r| r.seq) else {
            return;
        };
        let active = self.state().layers.last().cloned();
        if let Some(layer) = active {
            layer.add(records);
        }
        let mut state = self.state();
        state.applied = state.applied.max(last);
    }

    /// Closes the active layer for a flush and opens a new one, sized for
    /// as many keys as the closed one took (the next interval is likely to
    /// write about as many, and growing a map rehashes it).
    pub fn freeze(&self) -> Arc<Layer> {
        let mut state = self.state();
        let frozen = state.layers.last().cloned().unwrap_or_default();
        state
            .layers
            .push(Arc::new(Layer::with_capacity(frozen.key_count())));
        frozen
    }

    /// Merges a frozen layer into redb in one durable transaction (a
    /// checkpoint) that records where the log ends, then retires the layer.
    pub fn flush(&self, layer: &Arc<Layer>, log_end: LogEnd) -> Result<()> {
        let records = layer.records();
        self.write(true, |tx| {
            for (seq, w) in in_key_order(&records) {
                tx.apply_write(seq, w)?;
            }
            records.iter().try_for_each(|r| tx.record_commit(r))?;
            tx.set_log_end(log_end);
            Ok(())
        })?;
        self.state().layers.retain(|l| !Arc::ptr_eq(l, layer));
        Ok(())
    }

    /// Runs `f` in one write transaction and commits it straight to redb;
    /// durably (a checkpoint) when `checkpoint` is set. Nothing is applied if
    /// `f` fails. Only for commits no snapshot sees in the overlay: replay at
    /// open, and flushes.
    pub fn write<R>(
        &self,
        checkpoint: bool,
        f: impl FnOnce(&mut StoreBatch<'_>) -> Result<R>,
    ) -> Result<R> {
        let mut txn = self.db.begin_write().map_err(store_err)?;
        if checkpoint {
            txn.set_quick_repair(true);
        } else {
            txn.set_durability(Durability::None).map_err(store_err)?;
        }
        let (out, applied_seq) = {
            let mut batch = StoreBatch {
                current: txn.open_table(CURRENT).map_err(store_err)?,
                history: txn.open_table(HISTORY).map_err(store_err)?,
                commits: txn.open_table(COMMITS).map_err(store_err)?,
                applied_seq: None,
                log_end: None,
                key_buf: Vec::new(),
                value_buf: Vec::new(),
            };
            let out = f(&mut batch)?;
            let mut meta = txn.open_table(META).map_err(store_err)?;
            if let Some(seq) = batch.applied_seq {
                meta.insert(APPLIED_SEQ, seq).map_err(store_err)?;
            }
            if let Some(end) = batch.log_end {
                meta.insert(LOG_SEGMENT, end.segment).map_err(store_err)?;
                meta.insert(LOG_OFFSET, end.offset).map_err(store_err)?;
                meta.insert(LOG_NEXT_SEQ, end.next_seq).map_err(store_err)?;
            }
            (out, batch.applied_seq)
        };
        txn.commit().map_err(store_err)?;
        if let Some(seq) = applied_seq {
            let mut state = self.state();
            state.applied = state.applied.max(seq);
        }
        Ok(out)
    }

    /// How much of the store file holds data, metadata and free space.
    pub fn stats(&self) -> Result<StoreStats> {
        let txn = self.db.begin_write().map_err(store_err)?;
        let stats = txn.stats().map_err(store_err)?;
        txn.abort().map_err(store_err)?;
        Ok(StoreStats {
            stored_bytes: stats.stored_bytes(),
            metadata_bytes: stats.metadata_bytes(),
            fragmented_bytes: stats.fragmented_bytes(),
        })
    }

    /// A consistent read-only view of everything applied so far.
    pub fn read(&self) -> Result<StoreSnapshot> {
        // The layers before redb: a layer leaves the list only once redb holds
        // it, so whatever the view needs is in one or the other.
        let (applied, layers) = {
            let state = self.state();
            (state.applied, state.layers.clone())
        };
        let txn = self.db.begin_read().map_err(store_err)?;
        let meta = txn.open_table(META).map_err(store_err)?;
        let get =
            |k| -> Result<Option<u64>> { Ok(meta.get(k).map_err(store_err)?.map(|g| g.value())) };
        let base = get(APPLIED_SEQ)?.unwrap_or(0);
        let seq = applied.max(base);
        Ok(StoreSnapshot(Arc::new(SnapshotTables {
            seq,
            base,
            overlay: OverlayView::new(layers, base, seq),
            current: txn.open_table(CURRENT).map_err(store_err)?,
            history: OnceLock::new(),
            commits: OnceLock::new(),
            last_keys: Mutex::new(HashMap::new()),
            txn,
        })))
    }
}

/// Where the log ends: the next frame goes to byte `offset` of the segment
/// starting at seq `segment`, and carries seq `next_seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogEnd {
    /// First seq of the segment.
    pub segment: u64,
    /// Byte offset in that segment.
    pub offset: u64,
    /// Seq of the next frame.
    pub next_seq: u64,
}

/// Space use inside the store file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreStats {
    /// Bytes of keys and values.
    pub stored_bytes: u64,
    /// Bytes of B-tree structure around them.
    pub metadata_bytes: u64,
    /// Bytes allocated but unused (freed pages, page slack).
    pub fragmented_bytes: u64,
}

/// The writes of `records` (commits in seq order) in the order a flush
/// applies them: by key in the `current` layout, each key's in the order
/// the commits made them. redb then inserts each key next to the one
/// before, where commits taken in seq order may scatter their keys over
/// the whole tree; a key's writes keep their order, which is all applying
/// them relies on. Each key's [`order_prefix`] decides most comparisons
/// without reading the key.
fn in_key_order(records: &[Arc<CommitRecord>]) -> impl Iterator<Item = (u64, &Write)> {
    let mut writes: Vec<(u128, usize, &CommitRecord, &Write)> = records
        .iter()
        .flat_map(|r| r.writes.iter().enumerate().map(move |(i, w)| (r, i, w)))
        .map(|(r, i, w)| {
            let (keyspace, key) = w.target();
            let prefix = order_prefix(&[&keyspace.to_be_bytes(), key]);
            (prefix, i, &**r, w)
        })
        .collect();
    writes.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.3.target().1.cmp(b.3.target().1))
            .then_with(|| (a.2.seq, a.1).cmp(&(b.2.seq, b.1)))
    });
    writes.into_iter().map(|(_, _, r, w)| (r.seq, w))
}

/// The tables of one write transaction, for applying commits.
pub struct StoreBatch<'t> {
    current: redb::Table<'t, Bytes, Bytes>,
    history: redb::Table<'t, Bytes, Bytes>,
    commits: redb::Table<'t, u64, Bytes>,
    applied_seq: Option<u64>,
    log_end: Option<LogEnd>,
    key_buf: Vec<u8>,
    value_buf: Vec<u8>,
}

impl StoreBatch<'_> {
    /// Records where the log ends after the commits of this transaction, so an
    /// open can resume reading there.
    pub fn set_log_end(&mut self, end: LogEnd) {
        self.log_end = Some(end);
    }

    /// Applies one commit's writes and records the commit.
    pub fn apply(&mut self, record: &CommitRecord) -> Result<()> {
        for w in &record.writes {
            self.apply_write(record.seq, w)?;
        }
        self.record_commit(record)
    }

    /// Applies one write of commit `seq`. The writes of one key must come
    /// in seq order; those of different keys in any.
    fn apply_write(&mut self, seq: u64, w: &Write) -> Result<()> {
        match w {
            Write::Put {
                keyspace,
                key,
                value,
            } => {
                // One key buffer and one value buffer serve both tables: the
                // history value differs from the current one only in its header.
                let (kbuf, vbuf) = (&mut self.key_buf, &mut self.value_buf);
                kbuf.clear();
                kbuf.extend_from_slice(&keyspace.to_be_bytes());
                kbuf.extend_from_slice(key);
                vbuf.clear();
                vbuf.extend_from_slice(&seq.to_le_bytes());
                vbuf.extend_from_slice(value);
                let prev = self
                    .current
                    .insert(kbuf.as_slice(), vbuf.as_slice())
                    .map_err(store_err)?
                    .map(|g| g.value().to_vec());
                if let Some(prev) = prev {
                    self.end_version(*keyspace, key, &prev, seq)?;
                }
                let (kbuf, vbuf) = (&mut self.key_buf, &mut self.value_buf);
                history_key_into(*keyspace, key, seq, kbuf);
                vbuf[..8].copy_from_slice(&0u64.to_le_bytes());
                self.history
                    .insert(kbuf.as_slice(), vbuf.as_slice())
                    .map_err(store_err)?;
            }
            Write::Delete { keyspace, key } => {
                let ck = current_key(*keyspace, key);
                let prev = self
                    .current
                    .remove(ck.as_slice())
                    .map_err(store_err)?
                    .map(|g| g.value().to_vec());
                if let Some(prev) = prev {
                    self.end_version(*keyspace, key, &prev, seq)?;
                }
            }
        }
        Ok(())
    }

    /// Records commit `record` in the commit table and as applied. Each
    /// commit's writes are applied by then.
    fn record_commit(&mut self, record: &CommitRecord) -> Result<()> {
        let seq = record.seq;
        let mut info = Vec::with_capacity(8 + record.meta.len());
        info.extend_from_slice(&record.commit_ts.to_le_bytes());
        info.extend_from_slice(&record.meta);
        self.commits
            .insert(seq, info.as_slice())
            .map_err(store_err)?;
        self.applied_seq = Some(seq);
        Ok(())
    }

    /// Closes the version `prev` (a `current` value) at `seq`. A version that
    /// started in this same commit never existed at a commit boundary: it goes.
    fn end_version(&mut self, keyspace: u32, key: &[u8], prev: &[u8], seq: u64) -> Result<()> {
        let prev_seq = u64_at(prev)?;
        let hk = history_key(keyspace, key, prev_seq);
        if prev_seq == seq {
            self.history.remove(hk.as_slice()).map_err(store_err)?;
        } else {
            self.history
                .insert(hk.as_slice(), versioned_value(seq, &prev[8..]).as_slice())
                .map_err(store_err)?;
        }
        Ok(())
    }
}

/// A consistent, read-only view of the store as of `applied_seq`. Cloning
/// shares it: readers of the same state use one redb read transaction.
#[derive(Clone)]
pub struct StoreSnapshot(Arc<SnapshotTables>);

/// What a [`StoreSnapshot`] reads from.
struct SnapshotTables {
    /// The last seq this view includes.
    seq: u64,
    /// The last seq redb holds in `txn`; the overlay view has the rest.
    base: u64,
    overlay: OverlayView,
    current: redb::ReadOnlyTable<Bytes, Bytes>,
    /// Opened on first use: most snapshots (a point read of the present)
    /// never touch history or the commit table.
    history: OnceLock<redb::ReadOnlyTable<Bytes, Bytes>>,
    commits: OnceLock<redb::ReadOnlyTable<u64, Bytes>>,
    /// Per keyspace, the greatest key the view holds (`None`: none), found
    /// on the first uniqueness check there (see `above_last_key`).
    last_keys: Mutex<HashMap<u32, Option<Vec<u8>>>>,
    txn: redb::ReadTransaction,
}

impl std::fmt::Debug for StoreSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSnapshot")
            .field("seq", &self.0.seq)
            .finish_non_exhaustive()
    }
}

/// A range of user keys inside one keyspace.
pub type KeyRange<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

/// Scan of current rows: `(key, version)` in key order.
pub type ScanIter = Box<dyn Iterator<Item = Result<(Vec<u8>, Version)>>>;

/// The table `cell` holds, opened from `txn` on first use.
fn opened<'c, K: redb::Key + 'static, V: redb::Value + 'static>(
    cell: &'c OnceLock<redb::ReadOnlyTable<K, V>>,
    txn: &redb::ReadTransaction,
    table: TableDefinition<K, V>,
) -> Result<&'c redb::ReadOnlyTable<K, V>> {
    if let Some(t) = cell.get() {
        return Ok(t);
    }
    let t = txn.open_table(table).map_err(store_err)?;
    Ok(cell.get_or_init(|| t))
}

impl StoreSnapshot {
    /// The history table.
    fn history_table(&self) -> Result<&redb::ReadOnlyTable<Bytes, Bytes>> {
        opened(&self.0.history, &self.0.txn, HISTORY)
    }

    /// The commit table.
    fn commit_table(&self) -> Result<&redb::ReadOnlyTable<u64, Bytes>> {
        opened(&self.0.commits, &self.0.txn, COMMITS)
    }

    /// The last seq this view includes.
    pub fn seq(&self) -> u64 {
        self.0.seq
    }

    /// Where the log ended when this state was recorded (read when asked:
    /// only recovery needs it).
    pub fn log_end(&self) -> Result<Option<LogEnd>> {
        let meta = self.0.txn.open_table(META).map_err(store_err)?;
        let get =
            |k| -> Result<Option<u64>> { Ok(meta.get(k).map_err(store_err)?.map(|g| g.value())) };
        Ok(
            match (get(LOG_SEGMENT)?, get(LOG_OFFSET)?, get(LOG_NEXT_SEQ)?) {
                (Some(segment), Some(offset), Some(next_seq)) => Some(LogEnd {
                    segment,
                    offset,
                    next_seq,
                }),
                _ => None,
            },
        )
    }

    /// The current version of `key`.
    pub fn get(&self, keyspace: u32, key: &[u8]) -> Result<Option<Version>> {
        self.get_at(keyspace, key, u64::MAX)
    }

    /// Whether `key` has a current version: [`StoreSnapshot::get`] without
    /// copying the value.
    pub fn contains(&self, keyspace: u32, key: &[u8]) -> Result<bool> {
        if self.above_last_key(keyspace, key)? {
            return Ok(false);
        }
        match self.0.overlay.point(keyspace, key, u64::MAX) {
            PointRead::Decided(answer) => Ok(answer.is_some()),
            PointRead::Stored { .. } => Ok(self.stored_current(keyspace, key)?.is_some()),
        }
    }

    /// Whether `key` lies above every key of `keyspace` this view holds, so
    /// that no lookup is needed to know it is absent: a bulk load that
    /// appends ascending keys checks each row's uniqueness this way. The
    /// bound is found once per keyspace and view.
    fn above_last_key(&self, keyspace: u32, key: &[u8]) -> Result<bool> {
        let mut bounds = self
            .0
            .last_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let bound = match bounds.get(&keyspace) {
            Some(bound) => bound,
            None => {
                let stored = self.stored_last_key(keyspace)?;
                let bound = stored.max(self.0.overlay.last_key(keyspace));
                bounds.entry(keyspace).or_insert(bound)
            }
        };
        Ok(bound.as_deref().is_none_or(|last| key > last))
    }

    /// The greatest key of `keyspace` in redb's `current` table.
    fn stored_last_key(&self, keyspace: u32) -> Result<Option<Vec<u8>>> {
        let (lo, hi) = current_bounds(keyspace, (Bound::Unbounded, Bound::Unbounded));
        let mut keys = self
            .0
            .current
            .range::<&[u8]>((as_slice(&lo), as_slice(&hi)))
            .map_err(store_err)?;
        let Some(last) = keys.next_back() else {
            return Ok(None);
        };
        let (k, _) = last.map_err(store_err)?;
        Ok(k.value().get(4..).map(<[u8]>::to_vec))
    }

    /// The version of `key` that was current right after commit `seq`.
    pub fn get_as_of(&self, keyspace: u32, key: &[u8], seq: u64) -> Result<Option<Version>> {
        self.get_at(keyspace, key, seq.min(self.seq()))
    }

    /// The version of `key` right after commit `seq` (at most this view's).
    fn get_at(&self, keyspace: u32, key: &[u8], seq: u64) -> Result<Option<Version>> {
        match self.0.overlay.point(keyspace, key, seq) {
            PointRead::Decided(answer) => Ok(answer),
            PointRead::Stored { ended_at } => {
                let mut version = self.stored_get_as_of(keyspace, key, seq)?;
                if let Some(v) = &mut version
                    && v.seq_to.is_none()
                {
                    v.seq_to = ended_at;
                }
                Ok(version)
            }
        }
    }

    /// Every version of `key`, oldest first, deleted ones included.
    pub fn history(&self, keyspace: u32, key: &[u8]) -> Result<Vec<Version>> {
        let mut out = self.stored_history(keyspace, key)?;
        let changes = self.0.overlay.changes(keyspace, key);
        if let Some(newest) = out.last_mut() {
            overlay::close(newest, &changes);
        }
        out.extend(overlay::versions(&changes));
        Ok(out)
    }

    /// The current rows of `keyspace` within `range`, in key order.
    pub fn scan(&self, keyspace: u32, range: KeyRange<'_>) -> Result<ScanIter> {
        let stored = self.stored_scan(keyspace, range)?;
        Ok(self.merged(keyspace, range, stored, |_, changes| {
            overlay::as_of(&changes, u64::MAX)
                .flatten()
                .into_iter()
                .collect()
        }))
    }

    /// The rows of `keyspace` within `range` as they were right after commit `seq`.
    pub fn scan_as_of(&self, keyspace: u32, range: KeyRange<'_>, seq: u64) -> Result<ScanIter> {
        if seq >= self.seq() {
            return self.scan(keyspace, range);
        }
        let stored = self.stored_scan_as_of(keyspace, range, seq)?;
        Ok(self.merged(
            keyspace,
            range,
            stored,
            move |mut stored, changes| match overlay::as_of(&changes, seq) {
                Some(answer) => answer.into_iter().collect(),
                None => {
                    stored.iter_mut().for_each(|v| overlay::close(v, &changes));
                    stored
                }
            },
        ))
    }

    /// Every version of every key of `keyspace` within `range`, in key order and
    /// newest first within a key.
    pub fn scan_versions(&self, keyspace: u32, range: KeyRange<'_>) -> Result<ScanIter> {
        let stored = self.stored_scan_versions(keyspace, range)?;
        Ok(self.merged(keyspace, range, stored, |mut stored, changes| {
            if let Some(newest) = stored.first_mut() {
                overlay::close(newest, &changes);
            }
            let mut out = overlay::versions(&changes);
            out.reverse();
            out.extend(stored);
            out
        }))
    }

    /// The last seq that put or deleted `key` (0 if none). Deleting a key that
    /// did not exist changes nothing.
    pub fn last_change_seq(&self, keyspace: u32, key: &[u8]) -> Result<u64> {
        match self.0.overlay.last_change(keyspace, key) {
            LastChange::At(seq) => Ok(seq),
            LastChange::DeleteIfStored(seq) if self.stored_get(keyspace, key)?.is_some() => Ok(seq),
            _ => last_change_seq(self.history_table()?, keyspace, key),
        }
    }

    /// The commit numbered `seq`, if it has been applied.
    pub fn commit(&self, seq: u64) -> Result<Option<CommitInfo>> {
        if let Some(info) = self.0.overlay.commit(seq) {
            return Ok(Some(info));
        }
        let Some(g) = self.commit_table()?.get(seq).map_err(store_err)? else {
            return Ok(None);
        };
        Ok(Some(decode_commit(seq, g.value())?))
    }

    /// Every applied commit with seq in `range`, in seq order.
    pub fn commits(
        &self,
        range: impl std::ops::RangeBounds<u64>,
    ) -> Result<impl Iterator<Item = Result<CommitInfo>>> {
        let bounds = (range.start_bound().cloned(), range.end_bound().cloned());
        let iter = self.commit_table()?.range(bounds).map_err(store_err)?;
        let staged = self.0.overlay.commits(&bounds);
        Ok(iter
            .map(|entry| {
                let (k, v) = entry.map_err(store_err)?;
                decode_commit(k.value(), v.value())
            })
            .chain(staged.into_iter().map(Ok)))
    }

    /// The last seq committed at or before `ts` (µs since the epoch); 0 if none.
    /// Commit times increase with seq, so this is a binary search over commits.
    pub fn seq_at(&self, ts: i64) -> Result<u64> {
        let (mut lo, mut hi) = (0u64, self.seq());
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let at = self.commit(mid)?.map_or(i64::MAX, |c| c.commit_ts);
            if at <= ts {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Ok(lo)
    }

    /// `stored` (rows of a range from redb) with the overlay's changes to the
    /// same range merged in: `resolve` turns a key's stored versions (in
    /// `stored`'s order) and its overlay changes into what the key yields.
    fn merged(
        &self,
        keyspace: u32,
        range: KeyRange<'_>,
        stored: ScanIter,
        resolve: impl FnMut(Vec<Version>, Vec<Change>) -> Vec<Version> + 'static,
    ) -> ScanIter {
        let changed = self.0.overlay.range(keyspace, range);
        Box::new(Merged {
            stored: stored.peekable(),
            changed: changed.peekable(),
            out: VecDeque::new(),
            resolve,
        })
    }

    /// The entry of `key` in redb's current table.
    fn stored_current(
        &self,
        keyspace: u32,
        key: &[u8],
    ) -> Result<Option<redb::AccessGuard<'static, Bytes>>> {
        let ck = current_key(keyspace, key);
        self.0.current.get(ck.as_slice()).map_err(store_err)
    }

    /// The current version of `key` in redb.
    fn stored_get(&self, keyspace: u32, key: &[u8]) -> Result<Option<Version>> {
        let Some(g) = self.stored_current(keyspace, key)? else {
            return Ok(None);
        };
        let v = g.value();
        Ok(Some(Version {
            seq_from: u64_at(v)?,
            seq_to: None,
            value: v[8..].to_vec(),
        }))
    }

    /// The version of `key` current right after commit `seq` in redb.
    fn stored_get_as_of(&self, keyspace: u32, key: &[u8], seq: u64) -> Result<Option<Version>> {
        if seq >= self.0.base {
            return self.stored_get(keyspace, key);
        }
        let history = self.history_table()?;
        let version =
            newest_version_until(history, keyspace, key, seq, |seq_from, seq_to, v| Version {
                seq_from,
                seq_to,
                value: v.to_vec(),
            })?;
        Ok(version.filter(|v| v.visible_at(seq)))
    }

    /// Every version of `key` in redb, oldest first.
    fn stored_history(&self, keyspace: u32, key: &[u8]) -> Result<Vec<Version>> {
        let prefix = history_prefix(keyspace, key);
        let end = history_key(keyspace, key, 0);
        let mut out = Vec::new();
        for entry in self
            .history_table()?
            .range::<&[u8]>(prefix.as_slice()..=end.as_slice())
            .map_err(store_err)?
        {
            let (k, v) = entry.map_err(store_err)?;
            out.push(decode_version(k.value(), v.value())?.1);
        }
        out.reverse();
        Ok(out)
    }

    /// The current rows of a range in redb.
    fn stored_scan(&self, keyspace: u32, range: KeyRange<'_>) -> Result<ScanIter> {
        let (lo, hi) = current_bounds(keyspace, range);
        let iter = self
            .0
            .current
            .range::<&[u8]>((as_slice(&lo), as_slice(&hi)))
            .map_err(store_err)?;
        Ok(Box::new(iter.map(|entry| {
            let (k, v) = entry.map_err(store_err)?;
            let (k, v) = (k.value(), v.value());
            Ok((
                k[4..].to_vec(),
                Version {
                    seq_from: u64_at(v)?,
                    seq_to: None,
                    value: v[8..].to_vec(),
                },
            ))
        })))
    }

    /// The rows of a range in redb as of `seq`.
    fn stored_scan_as_of(&self, keyspace: u32, range: KeyRange<'_>, seq: u64) -> Result<ScanIter> {
        if seq >= self.0.base {
            return self.stored_scan(keyspace, range);
        }
        Ok(Box::new(
            self.stored_scan_versions(keyspace, range)?
                .filter(move |r| r.as_ref().map_or(true, |(_, v)| v.visible_at(seq))),
        ))
    }

    /// Every version of every key of a range in redb, newest first within a key.
    fn stored_scan_versions(&self, keyspace: u32, range: KeyRange<'_>) -> Result<ScanIter> {
        let ks = keyspace.to_be_bytes();
        let esc = |k: &[u8]| {
            let mut p = ks.to_vec();
            crate::keys::escape_into(k, &mut p);
            p
        };
        let lo = match range.0 {
            Bound::Included(k) => Bound::Included(esc(k)),
            Bound::Excluded(k) => Bound::Excluded(history_key(keyspace, k, 0)),
            Bound::Unbounded => Bound::Included(ks.to_vec()),
        };
        let hi = match range.1 {
            Bound::Included(k) => Bound::Included(history_key(keyspace, k, 0)),
            Bound::Excluded(k) => Bound::Excluded(esc(k)),
            Bound::Unbounded => prefix_end(&ks).map_or(Bound::Unbounded, Bound::Excluded),
        };
        let iter = self
            .history_table()?
            .range::<&[u8]>((as_slice(&lo), as_slice(&hi)))
            .map_err(store_err)?;
        Ok(Box::new(iter.map(|entry| {
            let (k, v) = entry.map_err(store_err)?;
            decode_version(k.value(), v.value())
        })))
    }
}

/// A range of redb rows merged with the overlay's changes to it; see
/// [`StoreSnapshot::merged`].
struct Merged<F> {
    stored: Peekable<ScanIter>,
    changed: Peekable<OverlayRange>,
    out: VecDeque<Result<(Vec<u8>, Version)>>,
    resolve: F,
}

impl<F: FnMut(Vec<Version>, Vec<Change>) -> Vec<Version>> Iterator for Merged<F> {
    type Item = Result<(Vec<u8>, Version)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            // A key the overlay did not change passes straight through.
            let stored_first = match (self.stored.peek(), self.changed.peek()) {
                (None, None) => return None,
                (Some(Ok((stored, _))), Some((changed, _))) => stored < changed,
                (Some(_), _) => true,
                (None, Some(_)) => false,
            };
            if stored_first {
                return self.stored.next();
            }
            let (key, changes) = self.changed.next()?;
            let mut versions = Vec::new();
            while let Some(Ok((k, _))) = self.stored.peek()
                && *k == key
            {
                if let Some(Ok((_, v))) = self.stored.next() {
                    versions.push(v);
                }
            }
            for v in (self.resolve)(versions, changes) {
                self.out.push_back(Ok((key.clone(), v)));
            }
        }
    }
}

/// The last seq that put or deleted `key` in `history` (0 if none): the newest
/// version's end when it was deleted, else its start.
fn last_change_seq(
    history: &impl ReadableTable<Bytes, Bytes>,
    keyspace: u32,
    key: &[u8],
) -> Result<u64> {
    let last = newest_version_until(history, keyspace, key, u64::MAX, |seq_from, seq_to, _| {
        seq_from.max(seq_to.unwrap_or(0))
    })?;
    Ok(last.unwrap_or(0))
}

/// The newest version of `key` in `history` that started at or before
/// `seq`, handed to `read` as its start, its end (`None` while current) and
/// its value; `None` when the key has no such version. History keys sort a
/// key's versions newest first, so this is one cursor seek to `(key, !seq)`.
fn newest_version_until<R>(
    history: &impl ReadableTable<Bytes, Bytes>,
    keyspace: u32,
    key: &[u8],
    seq: u64,
    read: impl FnOnce(u64, Option<u64>, &[u8]) -> R,
) -> Result<Option<R>> {
    let mut buf = [0u8; 64];
    let heap;
    let start = match history_key_in(keyspace, key, seq, &mut buf) {
        Some(k) => k,
        None => {
            heap = history_key(keyspace, key, seq);
            heap.as_slice()
        }
    };
    let prefix = &start[..start.len() - 8];
    let mut at = history
        .lower_bound(Bound::Included(start))
        .map_err(store_err)?;
    let Some((k, v)) = at.next().map_err(store_err)? else {
        return Ok(None);
    };
    let (k, v) = (k.value(), v.value());
    if !k.starts_with(prefix) {
        return Ok(None);
    }
    let seq_from = k
        .get(prefix.len()..)
        .and_then(|tail| <[u8; 8]>::try_from(tail).ok())
        .map(|b| !u64::from_be_bytes(b))
        .ok_or_else(|| StorageError::Format("malformed history key in the store".into()))?;
    let seq_to = u64_at(v)?;
    Ok(Some(read(
        seq_from,
        (seq_to != 0).then_some(seq_to),
        &v[8..],
    )))
}

fn decode_version(hkey: &[u8], value: &[u8]) -> Result<(Vec<u8>, Version)> {
    let (_, key, seq_from) = crate::keys::decode_history_key(hkey)
        .ok_or_else(|| StorageError::Format("malformed history key in the store".into()))?;
    let seq_to = u64_at(value)?;
    Ok((
        key,
        Version {
            seq_from,
            seq_to: (seq_to != 0).then_some(seq_to),
            value: value[8..].to_vec(),
        },
    ))
}

fn decode_commit(seq: u64, bytes: &[u8]) -> Result<CommitInfo> {
    let ts = u64_at(bytes)?;
    Ok(CommitInfo {
        seq,
        commit_ts: ts as i64,
        meta: bytes[8..].to_vec(),
    })
}
