//! The data directory's exclusive lock: one process owns a directory at a time.

use std::fs::{File, TryLockError};
use std::path::Path;

use crate::error::{Result, StorageError};

/// Held for as long as the directory is open; the OS releases it when the
/// process dies, so a crash never leaves a stale lock behind.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock on `dir`, failing at once if another owner holds it.
    pub fn acquire(dir: &Path) -> Result<Self> {
        let path = dir.join("LOCK");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StorageError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(StorageError::Locked {
                path: dir.to_path_buf(),
            }),
            Err(TryLockError::Error(e)) => Err(StorageError::io(&path, e)),
        }
    }
}
