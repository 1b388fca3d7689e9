//! DriftDB storage: the commit log (the truth), the versioned store derived
//! from it, group commit, checkpoints and recovery.
//!
//! A commit walks through these files:
//! 1. [`Storage::commit`] sends it to the sequencer thread (`committer.rs`).
//! 2. The sequencer checks write conflicts against the store and the commits
//!    not yet applied, gives it the next seq and a timestamp (`clock.rs`), and
//!    encodes its frame (`frame.rs`).
//! 3. The batch's frames are appended to the newest segment (`log.rs`,
//!    `segment.rs`) and fsynced once for the whole batch.
//! 4. The sequencer makes the batch visible in the store's in-memory overlay
//!    (`overlay.rs`), then answers its committers. At each checkpoint the
//!    flusher thread merges a layer of the overlay into redb (`store.rs`, keys
//!    laid out by `keys.rs`) in one durable transaction.
//!
//! Opening takes the directory lock (`lock.rs`), opens the store at its last
//! checkpoint, and replays the log after it, cutting a torn last frame.
//! [`verify`] reads the whole log and compares it with the checkpoint.

mod append_map;
mod clock;
mod committer;
mod error;
mod frame;
mod keys;
mod lock;
mod log;
mod overlay;
mod segment;
mod store;
mod verify;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

pub use append_map::AppendMap;
pub use error::{LogPosition, Result, StorageError};
pub use frame::{
    CommitRecord, FrameError, MAX_KEY_LEN, MAX_PAYLOAD_LEN, decode_frame, encode_commit,
};
pub use log::{DamagePolicy, Tail, ZERO_TAIL};
pub use store::{KeyRange, LogEnd, ScanIter, StoreSnapshot, StoreStats};
pub use verify::{VerifyReport, verify};

use clock::CommitClock;
use committer::{CommitterConfig, Request, Watermarks};
use lock::DirLock;
use log::CommitLog;
use store::VersionedStore;

/// One change inside a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Set `key` in `keyspace` to `value`, making a new version.
    Put {
        /// The keyspace (a table, an index, the catalog: the layer above decides).
        keyspace: u32,
        /// The key inside the keyspace.
        key: Vec<u8>,
        /// The new value.
        value: Vec<u8>,
    },
    /// End the current version of `key`; its history stays.
    Delete {
        /// The keyspace.
        keyspace: u32,
        /// The key inside the keyspace.
        key: Vec<u8>,
    },
}

impl Write {
    /// The keyspace and key this write changes.
    pub fn target(&self) -> (u32, &[u8]) {
        match self {
            Write::Put { keyspace, key, .. } | Write::Delete { keyspace, key } => (*keyspace, key),
        }
    }
}

/// A transaction's changes, handed to [`Storage::commit`].
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// The changes, applied in order.
    pub writes: Vec<Write>,
    /// Changes of keys no other transaction can write (rows it inserted
    /// under ids it generated), applied after `writes`: they are never
    /// checked for conflicts, which spares the check a store read per row.
    pub fresh_writes: Vec<Write>,
    /// Opaque metadata kept with the commit (who, which application, which tables).
    pub meta: Vec<u8>,
    /// Wait for the frame to be durable before returning (`synchronous_commit`).
    pub synchronous: bool,
    /// When set, the commit fails with [`StorageError::WriteConflict`] if any key it
    /// writes was changed by a commit after this seq (first committer wins).
    pub snapshot_seq: Option<u64>,
    /// What a serializable transaction read of the present; with
    /// `snapshot_seq` set, the commit fails with
    /// [`StorageError::ReadConflict`] if any of it was changed by a commit
    /// after that seq, so the commit is as if it ran alone at its seq.
    pub reads: Option<Reads>,
    /// Whether the commit changes state that readers derive and cache (the
    /// catalog): applying it moves [`Storage::cache_epoch`] on.
    pub invalidates_caches: bool,
}

/// What a transaction read of the present (serializable) and the rows it
/// locked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// Keys read one at a time: `(keyspace, key)`.
    pub keys: Vec<(u32, Vec<u8>)>,
    /// Keyspaces read by range: a change anywhere in one counts (the check
    /// is per keyspace, so it may fail a commit whose range missed the
    /// change; a conflict is always safe to report).
    pub keyspaces: Vec<u32>,
    /// Keys of rows locked (`SELECT … FOR UPDATE` and the like), of any
    /// transaction: a change to one after the snapshot fails the commit
    /// with [`StorageError::WriteConflict`], as if the transaction had
    /// written it.
    pub locked: Vec<(u32, Vec<u8>)>,
}

/// The number and time a commit was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// Its seq.
    pub seq: u64,
    /// Its commit time, µs since the Unix epoch.
    pub commit_ts: i64,
}

/// A commit as the store remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Its seq.
    pub seq: u64,
    /// Its commit time, µs since the Unix epoch.
    pub commit_ts: i64,
    /// The metadata given at commit.
    pub meta: Vec<u8>,
}

/// One version of a key: valid for `seq_from <= N < seq_to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The commit that wrote it.
    pub seq_from: u64,
    /// The commit that replaced or deleted it; `None` while current.
    pub seq_to: Option<u64>,
    /// The value.
    pub value: Vec<u8>,
}

impl Version {
    /// Whether this version was the key's value right after commit `seq`.
    pub fn visible_at(&self, seq: u64) -> bool {
        self.seq_from <= seq && self.seq_to.is_none_or(|to| to > seq)
    }
}

/// Tuning of a [`Storage`]; `Default` gives the production values.
#[derive(Debug, Clone)]
pub struct Options {
    /// A segment is closed and a new one started once it reaches this size.
    pub segment_bytes: u64,
    /// A checkpoint is taken after this many log bytes; it bounds replay at open.
    pub checkpoint_bytes: u64,
    /// Page cache of the versioned store.
    pub cache_bytes: usize,
    /// How long an asynchronous commit may wait for its fsync.
    pub async_flush_interval: Duration,
    /// What to do with damage in the middle of the log.
    pub damage_policy: DamagePolicy,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            segment_bytes: 64 << 20,
            checkpoint_bytes: 8 << 20,
            cache_bytes: 512 << 20,
            async_flush_interval: Duration::from_millis(10),
            damage_policy: DamagePolicy::Refuse,
        }
    }
}

/// The storage of one data directory: log, store and committer.
pub struct Storage {
    store: Arc<VersionedStore>,
    requests: Option<SyncSender<Request>>,
    committer: Option<JoinHandle<()>>,
    marks: Arc<Watermarks>,
    dir: PathBuf,
    _lock: DirLock,
    /// In-memory state the layers above share across every user of this
    /// open directory, one value per type (see [`Storage::shared`]).
    shared: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Paths inside a data directory.
pub(crate) fn log_dir(dir: &Path) -> PathBuf {
    dir.join("log")
}
pub(crate) fn store_path(dir: &Path) -> PathBuf {
    dir.join("store.redb")
}

const REPLAY_BATCH: usize = 1024;

impl Storage {
    /// Opens (creating if needed) the data directory `dir`: takes its lock, opens
    /// the store at its checkpoint and replays the log written since.
    pub fn open(dir: &Path, options: Options) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::io(dir, e))?;
        let lock = DirLock::acquire(dir)?;
        Self::open_locked(dir, options, lock)
    }

    fn open_locked(dir: &Path, options: Options, lock: DirLock) -> Result<Self> {
        let store = Arc::new(VersionedStore::open(&store_path(dir), options.cache_bytes)?);
        let (checkpoint_seq, checkpoint_ts, resume) = {
            let snap = store.read()?;
            let seq = snap.seq();
            (
                seq,
                snap.commit(seq)?.map_or(0, |c| c.commit_ts),
                snap.log_end()?,
            )
        };
        let mut pending: Vec<CommitRecord> = Vec::new();
        let mut replayed = 0u64;
        let flush = |pending: &mut Vec<CommitRecord>| -> Result<()> {
            store.write(false, |b| pending.iter().try_for_each(|r| b.apply(r)))?;
            pending.clear();
            Ok(())
        };
        let opened = CommitLog::open(
            &log_dir(dir),
            options.segment_bytes,
            checkpoint_seq,
            resume,
            options.damage_policy,
            &mut |record, _| {
                pending.push(record);
                replayed += 1;
                if pending.len() >= REPLAY_BATCH {
                    flush(&mut pending)?;
                }
                Ok(())
            },
        )?;
        flush(&mut pending)?;
        if opened.last_seq < checkpoint_seq {
            if options.damage_policy == DamagePolicy::TruncateAtDamage {
                // The log was cut below the checkpoint on request: the store holds
                // commits that no longer exist. It is derived data; rebuild it.
                tracing::warn!(
                    checkpoint_seq,
                    log_end = opened.last_seq,
                    "the store is ahead of the truncated log; rebuilding it from the log"
                );
                drop(opened);
                drop(store);
                let path = store_path(dir);
                std::fs::remove_file(&path).map_err(|e| StorageError::io(&path, e))?;
                return Self::open_locked(dir, options, lock);
            }
            return Err(StorageError::CheckpointMismatch(format!(
                "the store's checkpoint covers seq {checkpoint_seq} but the log ends at seq {}",
                opened.last_seq
            )));
        }
        if replayed > 0 {
            tracing::info!(
                replayed,
                last_seq = opened.last_seq,
                "replayed the log after the checkpoint"
            );
            let end = opened.log.end(opened.last_seq + 1);
            store.write(true, |b| {
                b.set_log_end(end);
                Ok(())
            })?;
        }
        let clock = CommitClock::new(opened.last_ts.max(checkpoint_ts));
        let marks = Arc::new(Watermarks::new(opened.last_seq));
        let config = CommitterConfig {
            checkpoint_bytes: options.checkpoint_bytes,
            flush_interval: options.async_flush_interval,
        };
        let (tx, rx) = mpsc::sync_channel(4096);
        let handle = {
            let (store, marks) = (Arc::clone(&store), Arc::clone(&marks));
            let next_seq = opened.last_seq + 1;
            std::thread::Builder::new()
                .name("driftdb-sequencer".into())
                .spawn(move || {
                    committer::run(opened.log, store, next_seq, clock, config, marks, rx)
                })
                .map_err(|e| StorageError::io(dir, e))?
        };
        Ok(Storage {
            store,
            requests: Some(tx),
            committer: Some(handle),
            marks,
            dir: dir.to_path_buf(),
            _lock: lock,
            shared: Mutex::default(),
        })
    }

    /// The one value of type `T` shared by everyone using this open
    /// directory (created on first use): what a layer above keeps in memory
    /// for all its sessions, such as the sequence values reserved ahead. It
    /// lives as long as this `Storage`, so a reopen starts afresh.
    pub fn shared<T: Any + Send + Sync + Default>(&self) -> Arc<T> {
        let mut map = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(Ok(value)) = map
            .get(&TypeId::of::<T>())
            .map(|v| Arc::clone(v).downcast::<T>())
        {
            return value;
        }
        let value = Arc::new(T::default());
        map.insert(
            TypeId::of::<T>(),
            Arc::clone(&value) as Arc<dyn Any + Send + Sync>,
        );
        value
    }

    /// Commits `commit` and returns its seq and time once it is applied (and
    /// durable, when `commit.synchronous`).
    pub fn commit(&self, commit: Commit) -> Result<Committed> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Request::Commit(commit, tx))?;
        rx.recv().map_err(|_| self.poison_error())?
    }

    /// Checks `commit` for conflicts as [`Storage::commit`] would, without
    /// committing it: how a transaction that wrote nothing but must still
    /// not have been overtaken (it locked rows) ends. Its writes, if any,
    /// are checked and dropped.
    pub fn check(&self, commit: Commit) -> Result<()> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Request::Check(commit, tx))?;
        rx.recv().map_err(|_| self.poison_error())?
    }

    /// Fsyncs the log and makes the store durable up to the last commit, so the
    /// next open replays nothing.
    pub fn checkpoint(&self) -> Result<()> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Request::Checkpoint(tx))?;
        rx.recv().map_err(|_| self.poison_error())?
    }

    fn send(&self, r: Request) -> Result<()> {
        if let Some(why) = self.marks.poison_reason() {
            return Err(StorageError::Poisoned(why));
        }
        match &self.requests {
            Some(tx) => tx.send(r).map_err(|_| self.poison_error()),
            None => Err(self.poison_error()),
        }
    }

    fn poison_error(&self) -> StorageError {
        let why = self
            .marks
            .poison_reason()
            .unwrap_or_else(|| "the committer has stopped".into());
        StorageError::Poisoned(why)
    }

    /// A consistent view that includes every commit answered so far. Readers
    /// while no commit is answered share one (a clone of the same view).
    pub fn snapshot(&self) -> Result<StoreSnapshot> {
        Ok(self.snapshot_with_epoch()?.0)
    }

    /// [`Storage::snapshot`] and the [`Storage::cache_epoch`] whose state it
    /// holds: `None` when a change that invalidates caches was being
    /// applied as it was taken (then which generation it holds is unknown).
    pub fn snapshot_with_epoch(&self) -> Result<(StoreSnapshot, Option<u64>)> {
        if let Some(shared) = self.marks.shared_snapshot() {
            return Ok(shared);
        }
        self.marks.wait_visible()?;
        let before = self.marks.cache_epoch();
        let snapshot = self.store.read()?;
        let after = self.marks.cache_epoch();
        let epoch = if before == after { before } else { None };
        self.marks.share_snapshot(&snapshot, epoch);
        Ok((snapshot, epoch))
    }

    /// The generation of what the layers above derive from the store and
    /// cache (the engine: anything read from the catalog). It changes
    /// whenever a commit marked [`Commit::invalidates_caches`] is applied,
    /// and is `None` while one is being applied, so a snapshot taken between
    /// two equal readings of it sees exactly that generation's state. A
    /// cache entry made under one value is good while the generation still
    /// has it. It starts at 0 with every open.
    /// Like a snapshot, it reflects every commit answered so far.
    pub fn cache_epoch(&self) -> Result<Option<u64>> {
        self.marks.wait_visible()?;
        Ok(self.marks.cache_epoch())
    }

    /// Space use inside the versioned store.
    pub fn store_stats(&self) -> Result<StoreStats> {
        self.store.stats()
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        self.requests.take();
        if let Some(h) = self.committer.take() {
            let _ = h.join();
        }
    }
}
