//! Group commit as a two-stage pipeline, one thread per stage:
//!
//! ```text
//! committers ─► requests ─► SEQUENCER: check conflicts, number, timestamp,
//!                           encode, append to the log, fsync once per batch
//!                               │ batches (log order, durable when synchronous)
//!                               ▼
//!                           APPLIER: apply to the store in one transaction,
//!                           then answer every committer of the batch
//! ```
//!
//! While the applier writes batch N into the store, the sequencer already
//! fsyncs batch N+1, and the applier merges whatever batches queued up into one
//! store transaction: the more committers wait, the bigger both batches get.
//! A commit becomes visible when the applier's transaction commits, which is
//! after its fsync whenever it is synchronous. Conflicts are checked against the
//! store plus the commits the sequencer has numbered but the applier has not yet
//! applied.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::CommitClock;
use crate::error::{Result, StorageError};
use crate::frame::{CommitRecord, encode_commit};
use crate::log::CommitLog;
use crate::store::{StoreSnapshot, VersionedStore};
use crate::{Commit, Committed};

/// What the committer is asked to do.
pub enum Request {
    /// Commit these writes and answer with the commit's number and time.
    Commit(Commit, SyncSender<Result<Committed>>),
    /// Fsync the log and make the store durable up to the last commit.
    Checkpoint(SyncSender<Result<()>>),
}

/// Numbered, logged commits on their way to the store.
struct Batch {
    records: Vec<CommitRecord>,
    replies: Vec<Reply>,
    checkpoint: bool,
}

enum Reply {
    Commit(SyncSender<Result<Committed>>, Result<Committed>),
    Checkpoint(SyncSender<Result<()>>),
}

/// Set, with the reason, when a write failed; every later request fails.
pub type Poison = Arc<Mutex<Option<String>>>;

fn poison(p: &Poison, e: &StorageError) {
    tracing::error!(error = %e, "storage write failed; refusing further commits until reopened");
    if let Ok(mut p) = p.lock() {
        p.get_or_insert_with(|| e.to_string());
    }
}

fn is_poisoned(p: &Poison) -> bool {
    p.lock().map_or(true, |p| p.is_some())
}

/// Settings of the committer.
pub struct CommitterConfig {
    /// Log bytes after which a checkpoint is taken.
    pub checkpoint_bytes: u64,
    /// How long an asynchronous commit may stay unsynced.
    pub flush_interval: Duration,
}

const MAX_BATCH: usize = 4096;
const QUEUED_BATCHES: usize = 16;

/// Runs the committer until every request sender is gone: the sequencer on
/// this thread, the applier on a thread of its own. Ends with a checkpoint.
pub fn run(
    log: CommitLog,
    store: Arc<VersionedStore>,
    next_seq: u64,
    clock: CommitClock,
    config: CommitterConfig,
    poisoned: Poison,
    requests: Receiver<Request>,
) {
    let (to_applier, batches) = std::sync::mpsc::sync_channel(QUEUED_BATCHES);
    let applier = {
        let (store, poisoned) = (Arc::clone(&store), Arc::clone(&poisoned));
        std::thread::Builder::new()
            .name("driftdb-applier".into())
            .spawn(move || apply_loop(&store, &batches, &poisoned))
    };
    let applier = match applier {
        Ok(h) => h,
        Err(e) => {
            poison(&poisoned, &StorageError::io("applier thread", e));
            return;
        }
    };
    let mut sequencer = Sequencer {
        log,
        store,
        next_seq,
        clock,
        config,
        poisoned,
        pending: HashMap::new(),
        pending_order: VecDeque::new(),
        bytes_since_checkpoint: 0,
    };
    sequencer.serve(&requests, &to_applier);
    if let Err(e) = sequencer.log.sync() {
        poison(&sequencer.poisoned, &e);
    } else {
        // The final checkpoint: nothing to replay at the next open.
        let _ = to_applier.send(Batch {
            records: Vec::new(),
            replies: Vec::new(),
            checkpoint: true,
        });
    }
    drop(to_applier);
    let _ = applier.join();
}

/// A key as the conflict check tracks it: keyspace and key.
type KeyId = (u32, Vec<u8>);

struct Sequencer {
    log: CommitLog,
    store: Arc<VersionedStore>,
    next_seq: u64,
    clock: CommitClock,
    config: CommitterConfig,
    poisoned: Poison,
    /// Last change seq of keys written by commits not yet in the store.
    pending: HashMap<KeyId, u64>,
    /// The commits behind `pending`, oldest first, to forget them once applied.
    pending_order: VecDeque<(u64, Vec<KeyId>)>,
    bytes_since_checkpoint: u64,
}

impl Sequencer {
    fn serve(&mut self, requests: &Receiver<Request>, to_applier: &SyncSender<Batch>) {
        loop {
            let first = if self.log.has_unsynced() {
                match requests.recv_timeout(self.config.flush_interval) {
                    Ok(r) => r,
                    Err(RecvTimeoutError::Timeout) => {
                        if let Err(e) = self.log.sync() {
                            poison(&self.poisoned, &e);
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
            if is_poisoned(&self.poisoned) {
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
                Ok(batch) => {
                    if to_applier.send(batch).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    poison(&self.poisoned, &e);
                    return;
                }
            }
        }
    }

    /// Numbers and logs one batch. A failure here is a log failure: fatal.
    fn sequence(&mut self, requests: Vec<Request>) -> Result<Batch> {
        let snapshot = self.store.read()?;
        self.forget_applied(snapshot.seq());
        let mut batch = Batch {
            records: Vec::with_capacity(requests.len()),
            replies: Vec::with_capacity(requests.len()),
            checkpoint: self.bytes_since_checkpoint >= self.config.checkpoint_bytes,
        };
        let start_seq = self.next_seq;
        let mut frames = Vec::new();
        let mut any_sync = false;
        for request in requests {
            match request {
                Request::Checkpoint(reply) => {
                    batch.checkpoint = true;
                    batch.replies.push(Reply::Checkpoint(reply));
                }
                Request::Commit(commit, reply) => {
                    let synchronous = commit.synchronous;
                    let outcome = self.number(&snapshot, commit, &mut frames);
                    let outcome = match outcome? {
                        Ok(record) => {
                            any_sync |= synchronous;
                            let committed = Committed {
                                seq: record.seq,
                                commit_ts: record.commit_ts,
                            };
                            batch.records.push(record);
                            Ok(committed)
                        }
                        Err(e) => Err(e),
                    };
                    batch.replies.push(Reply::Commit(reply, outcome));
                }
            }
        }
        if !frames.is_empty() {
            self.log.append(start_seq, &frames)?;
        }
        if any_sync || batch.checkpoint {
            self.log.sync()?;
        }
        self.bytes_since_checkpoint = if batch.checkpoint {
            0
        } else {
            self.bytes_since_checkpoint + frames.len() as u64
        };
        Ok(batch)
    }

    fn forget_applied(&mut self, applied_seq: u64) {
        while let Some((seq, _)) = self.pending_order.front()
            && *seq <= applied_seq
        {
            let Some((seq, keys)) = self.pending_order.pop_front() else {
                break;
            };
            for k in keys {
                if self.pending.get(&k) == Some(&seq) {
                    self.pending.remove(&k);
                }
            }
        }
    }

    /// Checks one commit for conflicts, numbers it and encodes its frame. The
    /// inner result is the commit's own outcome (a rejected commit takes no
    /// number and adds no frame); the outer one is a store failure.
    fn number(
        &mut self,
        snapshot: &StoreSnapshot,
        commit: Commit,
        frames: &mut Vec<u8>,
    ) -> Result<Result<CommitRecord>> {
        if let Some(snapshot_seq) = commit.snapshot_seq {
            for w in &commit.writes {
                let (keyspace, key) = w.target();
                let committed_seq = match self.pending.get(&(keyspace, key.to_vec())) {
                    Some(&seq) => seq,
                    None => snapshot.last_change_seq(keyspace, key)?,
                };
                if committed_seq > snapshot_seq {
                    return Ok(Err(StorageError::WriteConflict {
                        keyspace,
                        committed_seq,
                        snapshot_seq,
                    }));
                }
            }
        }
        let record = CommitRecord {
            seq: self.next_seq,
            commit_ts: self.clock.peek(),
            meta: commit.meta,
            writes: commit.writes,
        };
        if let Err(e) = encode_commit(&record, frames) {
            return Ok(Err(e));
        }
        self.clock.advance(record.commit_ts);
        self.next_seq += 1;
        let keys: Vec<KeyId> = record
            .writes
            .iter()
            .map(|w| {
                let (ks, k) = w.target();
                (ks, k.to_vec())
            })
            .collect();
        for k in &keys {
            self.pending.insert(k.clone(), record.seq);
        }
        self.pending_order.push_back((record.seq, keys));
        Ok(Ok(record))
    }
}

/// The applier: merges queued batches into one store transaction each time.
fn apply_loop(store: &VersionedStore, batches: &Receiver<Batch>, poisoned: &Poison) {
    while let Ok(first) = batches.recv() {
        // A checkpoint ends the merge: batches behind it may not be fsynced yet,
        // and a durable store must never hold a commit the log could lose.
        let mut checkpoint = first.checkpoint;
        let mut merged = vec![first];
        while !checkpoint && merged.len() < QUEUED_BATCHES {
            match batches.try_recv() {
                Ok(b) => {
                    checkpoint = b.checkpoint;
                    merged.push(b);
                }
                Err(_) => break,
            }
        }
        let applied = store.write(checkpoint, |tx| {
            merged
                .iter()
                .flat_map(|b| &b.records)
                .try_for_each(|r| tx.apply(r))
        });
        if let Err(e) = applied {
            poison(poisoned, &e);
            // Dropping the replies tells each committer to read the poison.
            return;
        }
        for reply in merged.into_iter().flat_map(|b| b.replies) {
            match reply {
                Reply::Commit(tx, outcome) => {
                    let _ = tx.send(outcome);
                }
                Reply::Checkpoint(tx) => {
                    let _ = tx.send(Ok(()));
                }
            }
        }
    }
}
