//! Group commit on one thread, with checkpoints on a second:
//!
//! ```text
//! committers ─► requests ─► SEQUENCER: check conflicts, number, timestamp,
//!                           encode, append to the log, fsync once per batch,
//!                           add the batch to the store's overlay (visible),
//!                           answer the batch's committers
//!                               │ at each checkpoint: the overlay's layer
//!                               ▼
//!                           FLUSHER: merge the layer into redb in one
//!                           durable transaction, answer checkpoint waiters
//! ```
//!
//! A commit is answered once its frame is durable (or, when asynchronous, once
//! it is written), and made visible right after: adding it to the overlay is a
//! few map inserts, cheaper than handing it to another thread, and answering
//! first lets the committer go on (parse its next statement, say) while the
//! sequencer adds them. Every snapshot taken after an answer holds it
//! ([`Watermarks::wait_visible`] waits out the window between the answer and
//! the overlay), so a committer always reads its own writes and no one reads
//! a commit that was not yet logged. redb's write
//! transactions stay off the path of a commit, on the flusher. Conflicts are
//! checked against the store plus the commits of the batch numbered before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::clock::CommitClock;
use crate::error::{Result, StorageError};
use crate::frame::{CommitRecord, encode_commit};
use crate::keys::key_hash;
use crate::log::CommitLog;
use crate::overlay::Layer;
use crate::store::{LogEnd, StoreSnapshot, VersionedStore};
use crate::{Commit, Committed, Write};

/// What the committer is asked to do.
pub enum Request {
    /// Commit these writes and answer with the commit's number and time.
    Commit(Commit, SyncSender<Result<Committed>>),
    /// Fsync the log and make the store durable up to the last commit.
    Checkpoint(SyncSender<Result<()>>),
    /// Check a commit without writes for conflicts, as [`Request::Commit`]
    /// would, and answer without numbering or logging anything.
    Check(Commit, SyncSender<Result<()>>),
}

/// The answers owed to a batch's committers, each with where it goes.
type Replies = Vec<(SyncSender<Result<Committed>>, Result<Committed>)>;

/// Numbered, logged commits on their way to the overlay.
struct Batch {
    records: Vec<CommitRecord>,
    /// Where the log ends after this batch.
    log_end: LogEnd,
    checkpoint_waiters: Vec<SyncSender<Result<()>>>,
    checkpoint: bool,
    /// Whether a commit in it invalidates caches ([`Commit::invalidates_caches`]).
    invalidates_caches: bool,
}

/// Progress shared between the committer threads and readers.
#[derive(Debug, Default)]
pub struct Watermarks {
    /// Set, with the reason, when a write failed; every later request fails.
    poisoned: Mutex<Option<String>>,
    /// The last seq applied to the store.
    applied: Mutex<u64>,
    applied_changed: Condvar,
    /// The highest seq answered to a committer.
    acked: AtomicU64,
    /// Twice [`crate::Storage::cache_epoch`], plus one while the sequencer
    /// applies a change that invalidates caches (a sequence lock).
    cache_epoch: AtomicU64,
    /// The newest snapshot a reader took, with the cache epoch it holds:
    /// later readers share it while it holds every answered commit. It is
    /// dropped as soon as newer commits are applied, so it never keeps the
    /// store from reusing old pages for long.
    shared: Mutex<Option<(StoreSnapshot, Option<u64>)>>,
}

impl Watermarks {
    /// Watermarks of a store whose log and store both end at `seq`.
    pub fn new(seq: u64) -> Self {
        Watermarks {
            poisoned: Mutex::new(None),
            applied: Mutex::new(seq),
            applied_changed: Condvar::new(),
            acked: AtomicU64::new(seq),
            cache_epoch: AtomicU64::new(0),
            shared: Mutex::new(None),
        }
    }

    /// The shared snapshot and its cache epoch, when it holds every commit
    /// answered so far: what a fresh snapshot would hold, without a read
    /// transaction of its own.
    pub fn shared_snapshot(&self) -> Option<(StoreSnapshot, Option<u64>)> {
        let answered = self.acked.load(Ordering::Acquire);
        let shared = self.shared.lock().ok()?;
        shared
            .as_ref()
            .filter(|(s, _)| s.seq() >= answered)
            .cloned()
    }

    /// Offers a snapshot just taken for later readers to share; one older
    /// than what is applied already is not kept.
    pub fn share_snapshot(&self, snapshot: &StoreSnapshot, epoch: Option<u64>) {
        let applied = match self.applied.lock() {
            Ok(a) => *a,
            Err(_) => return,
        };
        if snapshot.seq() < applied {
            return;
        }
        if let Ok(mut shared) = self.shared.lock() {
            *shared = Some((snapshot.clone(), epoch));
        }
    }

    /// See [`crate::Storage::cache_epoch`].
    pub fn cache_epoch(&self) -> Option<u64> {
        let raw = self.cache_epoch.load(Ordering::Acquire);
        raw.is_multiple_of(2).then_some(raw / 2)
    }

    /// Records a write failure; the first reason is kept.
    pub fn poison(&self, e: &StorageError) {
        tracing::error!(error = %e, "storage write failed; refusing further commits until reopened");
        if let Ok(mut p) = self.poisoned.lock() {
            p.get_or_insert_with(|| e.to_string());
        }
        self.applied_changed.notify_all();
    }

    /// The failure that stopped the committer, if any.
    pub fn poison_reason(&self) -> Option<String> {
        match self.poisoned.lock() {
            Ok(p) => p.clone(),
            Err(_) => Some("a committer thread panicked".into()),
        }
    }

    fn set_applied(&self, seq: u64) {
        if let Ok(mut a) = self.applied.lock() {
            *a = seq;
        }
        self.applied_changed.notify_all();
        // Newer commits are visible now: the shared snapshot is stale.
        if let Ok(mut shared) = self.shared.lock() {
            *shared = None;
        }
    }

    /// Blocks until every commit answered so far is applied to the store.
    pub fn wait_visible(&self) -> Result<()> {
        let target = self.acked.load(Ordering::Acquire);
        let panicked = || StorageError::Poisoned("a committer thread panicked".into());
        let mut applied = self.applied.lock().map_err(|_| panicked())?;
        while *applied < target {
            if let Some(why) = self.poison_reason() {
                return Err(StorageError::Poisoned(why));
            }
            applied = self
                .applied_changed
                .wait_timeout(applied, Duration::from_millis(100))
                .map_err(|_| panicked())?
                .0;
        }
        Ok(())
    }
}

/// Settings of the committer.
pub struct CommitterConfig {
    /// Log bytes after which a checkpoint is taken.
    pub checkpoint_bytes: u64,
    /// How long an asynchronous commit may stay unsynced.
    pub flush_interval: Duration,
}

const MAX_BATCH: usize = 4096;

/// The most frame buffer kept between batches: a rare huge commit does not
/// hold its size for good.
const KEPT_FRAME_BYTES: usize = 4 << 20;

/// Runs the committer until every request sender is gone: the sequencer on
/// this thread, the flusher on a thread of its own. Ends with a checkpoint.
pub fn run(
    log: CommitLog,
    store: Arc<VersionedStore>,
    next_seq: u64,
    clock: CommitClock,
    config: CommitterConfig,
    marks: Arc<Watermarks>,
    requests: Receiver<Request>,
) {
    // One frozen layer may wait while another is flushed; beyond that the
    // sequencer waits, which bounds the overlay's memory.
    let (to_flusher, frozen) = std::sync::mpsc::sync_channel(1);
    let flusher = {
        let (store, marks) = (Arc::clone(&store), Arc::clone(&marks));
        std::thread::Builder::new()
            .name("driftdb-flusher".into())
            .spawn(move || flush_loop(&store, &frozen, &marks))
    };
    let flusher = match flusher {
        Ok(h) => h,
        Err(e) => {
            marks.poison(&StorageError::io("flusher thread", e));
            return;
        }
    };
    let mut sequencer = Sequencer {
        log,
        store,
        next_seq,
        clock,
        config,
        marks,
        pending: KeyMap::default(),
        keyspace_seq: HashMap::new(),
        bytes_since_checkpoint: 0,
        frames: Vec::new(),
        to_flusher,
    };
    sequencer.serve(&requests);
    if let Err(e) = sequencer.log.sync() {
        sequencer.marks.poison(&e);
    } else if sequencer.marks.poison_reason().is_none() {
        // The final checkpoint: nothing to replay at the next open.
        let last = Batch {
            records: Vec::new(),
            log_end: sequencer.log.end(sequencer.next_seq),
            checkpoint_waiters: Vec::new(),
            checkpoint: true,
            invalidates_caches: false,
        };
        let _ = sequencer.publish(last, Vec::new());
    }
    drop(sequencer);
    let _ = flusher.join();
}

/// A key as the conflict check tracks it: its [`key_hash`]. Two keys that
/// collide make the later commit fail with a write conflict it did not
/// strictly have; with 64 bits that is vanishingly rare, and a conflict is
/// always safe to report. Hashing avoids copying every written key.
type KeyId = u64;

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type KeyMap = HashMap<KeyId, u64, std::hash::BuildHasherDefault<PassThrough>>;

struct Sequencer {
    log: CommitLog,
    store: Arc<VersionedStore>,
    next_seq: u64,
    clock: CommitClock,
    config: CommitterConfig,
    marks: Arc<Watermarks>,
    /// Last change seq of keys written by the commits of this batch so far
    /// (earlier batches are in the store's overlay).
    pending: KeyMap,
    /// The last seq numbered since open that wrote each keyspace (commits
    /// before the open are older than any snapshot taken since).
    keyspace_seq: HashMap<u32, u64>,
    bytes_since_checkpoint: u64,
    /// The frames of the batch being logged; kept between batches so a
    /// large commit does not grow a fresh buffer each time.
    frames: Vec<u8>,
    /// Frozen overlay layers on their way into redb.
    to_flusher: SyncSender<Frozen>,
}

impl Sequencer {
    fn serve(&mut self, requests: &Receiver<Request>) {
        loop {
            let first = if self.log.has_unsynced() {
                match requests.recv_timeout(self.config.flush_interval) {
                    Ok(r) => r,
                    Err(RecvTimeoutError::Timeout) => {
                        if let Err(e) = self.log.sync() {
                            self.marks.poison(&e);
                            return;
                        }
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            } else {
                match requests.recv() {
                    Ok(r) => r,
                    Err(_) => return,
                }
            };
            if self.marks.poison_reason().is_some() {
                return;
            }
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match requests.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            match self.sequence(batch) {
                Ok((batch, replies)) => {
                    if let Err(e) = self.publish(batch, replies) {
                        self.marks.poison(&e);
                        return;
                    }
                }
                Err(e) => {
                    self.marks.poison(&e);
                    return;
                }
            }
        }
    }

    /// Answers a logged batch's committers, makes the batch visible in the
    /// store's overlay and advances the applied watermark; a checkpoint batch
    /// then sends the overlay's layer to the flusher (waiting while another
    /// one waits there). The answered watermark moves before the replies go,
    /// so a committer's next snapshot waits until the batch is applied.
    fn publish(&mut self, batch: Batch, replies: Replies) -> Result<()> {
        let Batch {
            records,
            log_end,
            checkpoint_waiters,
            checkpoint,
            invalidates_caches,
        } = batch;
        let last_seq = records.last().map(|r| r.seq);
        if let Some(seq) = last_seq {
            self.marks.acked.store(seq, Ordering::Release);
        }
        for (reply, outcome) in replies {
            let _ = reply.send(outcome);
        }
        if invalidates_caches {
            self.marks.cache_epoch.fetch_add(1, Ordering::AcqRel);
        }
        self.store
            .stage(records.into_iter().map(Arc::new).collect());
        if invalidates_caches {
            self.marks.cache_epoch.fetch_add(1, Ordering::AcqRel);
        }
        if let Some(seq) = last_seq {
            self.marks.set_applied(seq);
        }
        if checkpoint {
            let frozen = Frozen {
                layer: self.store.freeze(),
                log_end,
                checkpoint_waiters,
            };
            self.to_flusher
                .send(frozen)
                .map_err(|_| StorageError::Poisoned("the flusher has stopped".into()))?;
        }
        Ok(())
    }

    /// Numbers and logs one batch. A failure here is a log failure: fatal.
    fn sequence(&mut self, requests: Vec<Request>) -> Result<(Batch, Replies)> {
        let mut batch = Batch {
            records: Vec::with_capacity(requests.len()),
            log_end: self.log.end(self.next_seq),
            checkpoint_waiters: Vec::new(),
            checkpoint: self.bytes_since_checkpoint >= self.config.checkpoint_bytes,
            invalidates_caches: false,
        };
        let mut replies = Vec::with_capacity(requests.len());
        let mut snapshot = None;
        // Every earlier batch is in the overlay, which the snapshot reads.
        self.pending.clear();
        let start_seq = self.next_seq;
        let mut frames = std::mem::take(&mut self.frames);
        let mut any_sync = false;
        for request in requests {
            match request {
                Request::Checkpoint(reply) => {
                    batch.checkpoint = true;
                    batch.checkpoint_waiters.push(reply);
                }
                Request::Check(commit, reply) => {
                    let outcome = match self.conflict(&mut snapshot, &commit)? {
                        Some(e) => Err(e),
                        None => Ok(()),
                    };
                    let _ = reply.send(outcome);
                }
                Request::Commit(commit, reply) => {
                    let synchronous = commit.synchronous;
                    let invalidates_caches = commit.invalidates_caches;
                    let outcome = match self.number(&mut snapshot, commit, &mut frames)? {
                        Ok(record) => {
                            any_sync |= synchronous;
                            batch.invalidates_caches |= invalidates_caches;
                            let committed = Committed {
                                seq: record.seq,
                                commit_ts: record.commit_ts,
                            };
                            batch.records.push(record);
                            Ok(committed)
                        }
                        Err(e) => Err(e),
                    };
                    replies.push((reply, outcome));
                }
            }
        }
        if !frames.is_empty() {
            self.log.append(start_seq, &frames)?;
        }
        if any_sync || batch.checkpoint {
            self.log.sync()?;
        }
        batch.log_end = self.log.end(self.next_seq);
        self.bytes_since_checkpoint = if batch.checkpoint {
            0
        } else {
            self.bytes_since_checkpoint + frames.len() as u64
        };
        if self.next_seq > start_seq {
            metrics::counter!("driftdb_commits_total").increment(self.next_seq - start_seq);
        }
        frames.clear();
        frames.shrink_to(KEPT_FRAME_BYTES);
        self.frames = frames;
        Ok((batch, replies))
    }

    /// The store as the conflict check sees it (every earlier batch), taken
    /// once per batch when a check needs it.
    fn snapshot<'a>(&self, cached: &'a mut Option<StoreSnapshot>) -> Result<&'a StoreSnapshot> {
        if cached.is_none() {
            *cached = Some(self.store.read()?);
        }
        cached
            .as_ref()
            .ok_or_else(|| StorageError::Poisoned("no store snapshot".into()))
    }

    /// The last seq that changed `key`: a commit numbered and not yet in the
    /// store, else the store's. When no commit since `since` wrote the key's
    /// keyspace, `since` stands in for it: no key there changed after it, and
    /// the caller only asks whether one did, which spares the store a read.
    fn last_change(
        &mut self,
        snapshot: &mut Option<StoreSnapshot>,
        keyspace: u32,
        key: &[u8],
        since: u64,
    ) -> Result<u64> {
        if self.keyspace_seq.get(&keyspace).is_none_or(|&s| s <= since) {
            return Ok(since);
        }
        match self.pending.get(&key_hash(keyspace, key)) {
            Some(&seq) => Ok(seq),
            None => self.snapshot(snapshot)?.last_change_seq(keyspace, key),
        }
    }

    /// The conflict that fails `commit`, if any: a key it writes, or
    /// something it read, changed by a commit after its snapshot.
    fn conflict(
        &mut self,
        snapshot: &mut Option<StoreSnapshot>,
        commit: &Commit,
    ) -> Result<Option<StorageError>> {
        if let Some(snapshot_seq) = commit.snapshot_seq {
            let locked = commit.reads.iter().flat_map(|r| &r.locked);
            let targets = commit
                .writes
                .iter()
                .map(Write::target)
                .chain(locked.map(|(ks, key)| (*ks, key.as_slice())));
            for (keyspace, key) in targets {
                let committed_seq = self.last_change(snapshot, keyspace, key, snapshot_seq)?;
                if committed_seq > snapshot_seq {
                    return Ok(Some(StorageError::WriteConflict {
                        keyspace,
                        committed_seq,
                        snapshot_seq,
                    }));
                }
            }
            if let Some(reads) = &commit.reads {
                let scanned: Vec<(u32, u64)> = reads
                    .keyspaces
                    .iter()
                    .map(|ks| (*ks, self.keyspace_seq.get(ks).copied().unwrap_or(0)))
                    .collect();
                let keyed = reads
                    .keys
                    .iter()
                    .map(|(ks, key)| Ok((*ks, self.last_change(snapshot, *ks, key, snapshot_seq)?)))
                    .collect::<Result<Vec<_>>>()?;
                if let Some((keyspace, committed_seq)) = scanned
                    .into_iter()
                    .chain(keyed)
                    .find(|(_, seq)| *seq > snapshot_seq)
                {
                    return Ok(Some(StorageError::ReadConflict {
                        keyspace,
                        committed_seq,
                        snapshot_seq,
                    }));
                }
            }
        }
        Ok(None)
    }

    /// Checks one commit for conflicts, numbers it and encodes its frame. The
    /// inner result is the commit's own outcome (a rejected commit takes no
    /// number and adds no frame); the outer one is a store failure.
    fn number(
        &mut self,
        snapshot: &mut Option<StoreSnapshot>,
        commit: Commit,
        frames: &mut Vec<u8>,
    ) -> Result<Result<CommitRecord>> {
        if let Some(e) = self.conflict(snapshot, &commit)? {
            return Ok(Err(e));
        }
        let mut writes = commit.writes;
        writes.extend(commit.fresh_writes);
        let record = CommitRecord {
            seq: self.next_seq,
            commit_ts: self.clock.peek(),
            meta: commit.meta,
            writes,
        };
        if let Err(e) = encode_commit(&record, frames) {
            return Ok(Err(e));
        }
        self.clock.advance(record.commit_ts);
        self.next_seq += 1;
        let mut last_keyspace = None;
        for w in &record.writes {
            let (keyspace, key) = w.target();
            self.pending.insert(key_hash(keyspace, key), record.seq);
            // A commit's writes come grouped by keyspace: one entry per run.
            if last_keyspace != Some(keyspace) {
                self.keyspace_seq.insert(keyspace, record.seq);
                last_keyspace = Some(keyspace);
            }
        }
        Ok(Ok(record))
    }
}

/// A layer of the overlay on its way into redb.
struct Frozen {
    layer: Arc<Layer>,
    /// Where the log ends after the layer's last commit.
    log_end: LogEnd,
    checkpoint_waiters: Vec<SyncSender<Result<()>>>,
}

/// How often the flusher looks for retired layers no reader holds any more.
const RETIRED_SWEEP: Duration = Duration::from_millis(50);

/// The flusher: merges each frozen layer into redb durably, then answers the
/// checkpoint's waiters. Dropping their replies on a failure tells them to
/// read the poison reason.
///
/// A merged layer may still be in use by readers; the flusher keeps it until
/// it is the last holder and frees it then, so the reader that happens to
/// finish last does not stop to free a checkpoint's worth of changes.
fn flush_loop(store: &VersionedStore, frozen: &Receiver<Frozen>, marks: &Watermarks) {
    let mut retired: Vec<Arc<Layer>> = Vec::new();
    loop {
        retired.retain(|layer| Arc::strong_count(layer) > 1);
        // Idle, it sleeps until the next layer; with layers still held, it
        // looks again now and then.
        let next = if retired.is_empty() {
            frozen.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            frozen.recv_timeout(RETIRED_SWEEP)
        };
        let f = match next {
            Ok(f) => f,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if let Err(e) = store.flush(&f.layer, f.log_end) {
            marks.poison(&e);
            return;
        }
        for reply in f.checkpoint_waiters {
            let _ = reply.send(Ok(()));
        }
        retired.push(f.layer);
    }
}
