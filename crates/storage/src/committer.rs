//! Group commit: one thread takes every waiting commit, checks conflicts,
//! numbers them, appends their frames with one write, fsyncs once, applies them
//! to the store in one transaction, then answers them all.
//!
//! ```text
//! committers ──► channel ──► [batch: check, number, encode, apply] ──► log.append
//!                                                      └── fsync (once) ──► store commit ──► replies
//! ```
//!
//! A commit becomes visible to readers only when the store transaction commits,
//! which is after the fsync whenever the batch holds a synchronous commit.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::CommitClock;
use crate::error::{Result, StorageError};
use crate::frame::{CommitRecord, encode_commit};
use crate::log::CommitLog;
use crate::store::{StoreBatch, VersionedStore};
use crate::{Commit, Committed};

/// What the committer thread is asked to do.
pub enum Request {
    /// Commit these writes and answer with the commit's number and time.
    Commit(Commit, SyncSender<Result<Committed>>),
    /// Fsync the log and make the store durable up to the last commit.
    Checkpoint(SyncSender<Result<()>>),
}

/// State the committer thread owns.
pub struct Committer {
    /// The log, appended to only here.
    pub log: CommitLog,
    /// The store, written to only here (readers take snapshots).
    pub store: Arc<VersionedStore>,
    /// The next seq to hand out.
    pub next_seq: u64,
    /// Commit timestamps.
    pub clock: CommitClock,
    /// Log bytes after which a checkpoint is taken.
    pub checkpoint_bytes: u64,
    /// How long an asynchronous commit may stay unsynced.
    pub flush_interval: Duration,
    /// Set, with the reason, when a write failed; every later request fails.
    pub poisoned: Arc<Mutex<Option<String>>>,
    bytes_since_checkpoint: u64,
}

const MAX_BATCH: usize = 4096;

impl Committer {
    /// A committer continuing from `next_seq`.
    pub fn new(
        log: CommitLog,
        store: Arc<VersionedStore>,
        next_seq: u64,
        clock: CommitClock,
        checkpoint_bytes: u64,
        flush_interval: Duration,
        poisoned: Arc<Mutex<Option<String>>>,
    ) -> Self {
        Committer {
            log,
            store,
            next_seq,
            clock,
            checkpoint_bytes,
            flush_interval,
            poisoned,
            bytes_since_checkpoint: 0,
        }
    }

    /// Serves requests until every sender is gone, then syncs and checkpoints.
    pub fn run(mut self, rx: Receiver<Request>) {
        loop {
            let first = if self.log.has_unsynced() {
                match rx.recv_timeout(self.flush_interval) {
                    Ok(r) => r,
                    Err(RecvTimeoutError::Timeout) => {
                        if let Err(e) = self.log.sync() {
                            self.poison(&e);
                            return;
                        }
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match rx.recv() {
                    Ok(r) => r,
                    Err(_) => break,
                }
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            if !self.serve(batch) {
                return;
            }
        }
        if let Err(e) = self
            .log
            .sync()
            .and_then(|()| self.store.write(true, |_| Ok(())))
        {
            tracing::error!(error = %e, "final checkpoint at shutdown failed; the log will be replayed at next open");
        }
    }

    fn poison(&self, e: &StorageError) {
        tracing::error!(error = %e, "commit log write failed; refusing further commits until reopened");
        if let Ok(mut p) = self.poisoned.lock() {
            *p = Some(e.to_string());
        }
    }

    /// Handles one batch; false when the committer must stop.
    fn serve(&mut self, batch: Vec<Request>) -> bool {
        let mut commits = Vec::with_capacity(batch.len());
        let mut checkpoint_waiters = Vec::new();
        for r in batch {
            match r {
                Request::Commit(c, reply) => commits.push((c, reply)),
                Request::Checkpoint(reply) => checkpoint_waiters.push(reply),
            }
        }
        let checkpoint =
            !checkpoint_waiters.is_empty() || self.bytes_since_checkpoint >= self.checkpoint_bytes;
        let start_seq = self.next_seq;
        let store = Arc::clone(&self.store);
        let (log, clock) = (&mut self.log, &mut self.clock);
        // The reply channels move into the transaction; if it fails they are
        // dropped, and their committers read the poison reason.
        let written = store.write(checkpoint, |b| {
            let mut frames = Vec::new();
            let mut replies = Vec::with_capacity(commits.len());
            let mut seq = start_seq;
            let mut any_sync = false;
            for (c, reply) in commits {
                let synchronous = c.synchronous;
                let outcome = prepare(b, c, seq, clock, &mut frames)?;
                if outcome.is_ok() {
                    seq += 1;
                    any_sync |= synchronous;
                }
                replies.push((reply, outcome));
            }
            if seq > start_seq {
                log.append(start_seq, &frames)?;
            }
            if any_sync || checkpoint {
                log.sync()?;
            }
            Ok((replies, seq, frames.len() as u64))
        });
        match written {
            Ok((replies, next_seq, bytes)) => {
                self.next_seq = next_seq;
                self.bytes_since_checkpoint = if checkpoint {
                    0
                } else {
                    self.bytes_since_checkpoint + bytes
                };
                for (reply, outcome) in replies {
                    let _ = reply.send(outcome);
                }
                for reply in checkpoint_waiters {
                    let _ = reply.send(Ok(()));
                }
                true
            }
            Err(e) => {
                self.poison(&e);
                for reply in checkpoint_waiters {
                    let _ = reply.send(Err(StorageError::Poisoned(e.to_string())));
                }
                false
            }
        }
    }
}

/// Checks one commit for conflicts, numbers it, encodes its frame and applies it.
/// The inner result is the commit's own outcome (a rejected commit takes no number
/// and adds no frame); the outer one is a store failure that ends the batch.
fn prepare(
    b: &mut StoreBatch<'_>,
    c: Commit,
    seq: u64,
    clock: &mut CommitClock,
    frames: &mut Vec<u8>,
) -> Result<Result<Committed>> {
    if let Some(snapshot_seq) = c.snapshot_seq {
        for w in &c.writes {
            let (keyspace, key) = w.target();
            let committed_seq = b.last_change_seq(keyspace, key)?;
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
        seq,
        commit_ts: clock.peek(),
        meta: c.meta,
        writes: c.writes,
    };
    if let Err(e) = encode_commit(&record, frames) {
        return Ok(Err(e));
    }
    clock.advance(record.commit_ts);
    b.apply(&record)?;
    Ok(Ok(Committed {
        seq,
        commit_ts: record.commit_ts,
    }))
}
