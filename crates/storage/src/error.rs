//! The storage layer's error type: every failure names what failed and where.

use std::io;
use std::path::PathBuf;

/// Where in the log a problem was found: a segment file and a byte offset in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPosition {
    /// The segment file.
    pub file: PathBuf,
    /// Byte offset of the frame (or header) inside that file.
    pub offset: u64,
}

impl std::fmt::Display for LogPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte offset {}", self.file.display(), self.offset)
    }
}

/// Everything that can go wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// An operating-system call on a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Another process (or another handle in this one) owns the data directory.
    #[error(
        "data directory {path} is locked by another DriftDB process; stop it or use another --data-dir"
    )]
    Locked {
        /// The data directory.
        path: PathBuf,
    },
    /// The log is damaged somewhere other than a torn last frame.
    #[error("commit log damaged: {reason} in {position}")]
    Damaged {
        /// What is wrong with the bytes found there.
        reason: String,
        /// Where the damage starts.
        position: LogPosition,
    },
    /// The log and the checkpointed store disagree.
    #[error("checkpoint disagrees with the commit log: {0}")]
    CheckpointMismatch(String),
    /// The embedded ordered store failed.
    #[error("versioned store error: {0}")]
    Store(#[from] redb::Error),
    /// A transaction wrote a key that another transaction committed after its snapshot.
    #[error(
        "could not serialize access due to concurrent update (keyspace {keyspace}, committed at seq {committed_seq} after snapshot seq {snapshot_seq})"
    )]
    WriteConflict {
        /// The keyspace of the conflicting key.
        keyspace: u32,
        /// The seq that changed the key after the snapshot.
        committed_seq: u64,
        /// The snapshot the losing transaction read from.
        snapshot_seq: u64,
    },
    /// A serializable transaction read something that another transaction
    /// changed after its snapshot.
    #[error(
        "could not serialize access due to read/write dependencies among transactions (keyspace {keyspace}, changed at seq {committed_seq} after snapshot seq {snapshot_seq})"
    )]
    ReadConflict {
        /// The keyspace of what was read.
        keyspace: u32,
        /// The seq that changed it after the snapshot.
        committed_seq: u64,
        /// The snapshot the losing transaction read from.
        snapshot_seq: u64,
    },
    /// A key or value is larger than the log format allows.
    #[error("{what} of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// "key", "value" or "commit".
        what: &'static str,
        /// The size given.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A previous log write or fsync failed; no further commit is accepted until the
    /// directory is reopened (and recovered from the log).
    #[error("storage is unavailable after an earlier write failure: {0}")]
    Poisoned(String),
    /// The store was opened from a file with a format this build does not understand.
    #[error("unsupported on-disk format: {0}")]
    Format(String),
}

impl StorageError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Converts any of redb's per-operation errors into [`StorageError::Store`].
pub(crate) fn store_err(e: impl Into<redb::Error>) -> StorageError {
    StorageError::Store(e.into())
}

/// Result alias of the storage layer.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
