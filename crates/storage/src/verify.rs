//! `driftdb verify`: reads every frame of the log, checks checksums, seq
//! continuity and time order, and compares the checkpointed store with it.

use std::path::Path;

use crate::error::{Result, StorageError};
use crate::lock::DirLock;
use crate::log::{Tail, scan};
use crate::segment::list_segments;
use crate::store::VersionedStore;
use crate::{log_dir, store_path};

/// What a clean verify found.
#[derive(Debug)]
pub struct VerifyReport {
    /// Segment files read.
    pub segments: usize,
    /// Frames read (each checksum-verified).
    pub frames: u64,
    /// The last seq in the log.
    pub last_seq: u64,
    /// The seq the store's checkpoint covers.
    pub checkpoint_seq: u64,
    /// A torn last frame that the next open will cut off, if any.
    pub tail: Tail,
}

/// Verifies the data directory `dir`, which must not be open elsewhere. Damage
/// is an error naming the file and byte offset.
pub fn verify(dir: &Path) -> Result<VerifyReport> {
    if !dir.is_dir() {
        return Err(StorageError::io(
            dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such data directory"),
        ));
    }
    let _lock = DirLock::acquire(dir)?;
    let segments = list_segments(&log_dir(dir))?;
    let store = VersionedStore::open(&store_path(dir), 64 << 20)?;
    let snap = store.read()?;
    let checkpoint_seq = snap.seq();
    let summary = scan(&segments, 0, None, 0, |record, position| {
        if record.seq > checkpoint_seq {
            return Ok(());
        }
        match snap.commit(record.seq)? {
            Some(c) if c.commit_ts == record.commit_ts && c.meta == record.meta => Ok(()),
            Some(c) => Err(StorageError::CheckpointMismatch(format!(
                "seq {} has time {} in the store but {} in the log ({position})",
                record.seq, c.commit_ts, record.commit_ts
            ))),
            None => Err(StorageError::CheckpointMismatch(format!(
                "seq {} is in the log ({position}) but missing from the store's checkpoint",
                record.seq
            ))),
        }
    })?;
    if let Some(first) = segments.first()
        && first.first_seq != 1
    {
        return Err(StorageError::CheckpointMismatch(format!(
            "the oldest segment {} starts at seq {}, not 1: earlier segments are missing",
            first.path.display(),
            first.first_seq
        )));
    }
    if summary.last_seq < checkpoint_seq {
        return Err(StorageError::CheckpointMismatch(format!(
            "the store's checkpoint covers seq {checkpoint_seq} but the log ends at seq {}",
            summary.last_seq
        )));
    }
    Ok(VerifyReport {
        segments: segments.len(),
        frames: summary.frames,
        last_seq: summary.last_seq,
        checkpoint_seq,
        tail: summary.tail,
    })
}
