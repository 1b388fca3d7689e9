//! Segment files: the log is split into files named by the first seq they hold,
//! each starting with a 32-byte header.
//!
//! ```text
//! header = magic "DRIFTLOG" | format: u32 LE (1) | flags: u32 LE (0)
//!          | first_seq: u64 LE | crc: u32 LE (CRC-32 of the 24 bytes before) | zero: u32
//! ```

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{LogPosition, Result, StorageError};

/// Length of the segment header.
pub const SEGMENT_HEADER_LEN: usize = 32;
const MAGIC: &[u8; 8] = b"DRIFTLOG";
const FORMAT: u32 = 1;
const SUFFIX: &str = ".log";

/// A segment file of the log and the first seq it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Sequence number of the first frame in the file.
    pub first_seq: u64,
    /// Path of the file.
    pub path: PathBuf,
}

/// The file name of the segment that starts at `first_seq`.
pub fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(format!("{first_seq:020}{SUFFIX}"))
}

/// The segments in `dir`, oldest first. Files that are not segments are ignored.
pub fn list_segments(dir: &Path) -> Result<Vec<Segment>> {
    let mut out = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| StorageError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StorageError::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(SUFFIX) else {
            continue;
        };
        if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(first_seq) = stem.parse::<u64>() {
            out.push(Segment {
                first_seq,
                path: entry.path(),
            });
        }
    }
    out.sort_by_key(|s| s.first_seq);
    Ok(out)
}

/// The header bytes of a segment starting at `first_seq`.
pub fn encode_header(first_seq: u64) -> [u8; SEGMENT_HEADER_LEN] {
    let mut h = [0u8; SEGMENT_HEADER_LEN];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&FORMAT.to_le_bytes());
    h[16..24].copy_from_slice(&first_seq.to_le_bytes());
    let crc = crc32fast::hash(&h[..24]);
    h[24..28].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Checks a segment's header against the seq its file name promises.
pub fn check_header(segment: &Segment, bytes: &[u8]) -> Result<()> {
    let damaged = |reason: String| StorageError::Damaged {
        reason,
        position: LogPosition {
            file: segment.path.clone(),
            offset: 0,
        },
    };
    if bytes.len() < SEGMENT_HEADER_LEN {
        return Err(damaged(format!(
            "segment header truncated ({} of {SEGMENT_HEADER_LEN} bytes)",
            bytes.len()
        )));
    }
    if &bytes[..8] != MAGIC {
        return Err(damaged("not a DriftDB log segment (bad magic)".into()));
    }
    let crc = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
    if crc != crc32fast::hash(&bytes[..24]) {
        return Err(damaged("segment header checksum mismatch".into()));
    }
    let format = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if format != FORMAT {
        return Err(StorageError::Format(format!(
            "{} has log format {format}; this build reads format {FORMAT}",
            segment.path.display()
        )));
    }
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes[16..24]);
    let first_seq = u64::from_le_bytes(first);
    if first_seq != segment.first_seq {
        return Err(damaged(format!(
            "header says first seq {first_seq}, file name says {}",
            segment.first_seq
        )));
    }
    Ok(())
}

/// Creates a new, empty segment durably: header written and fsynced, then the
/// directory fsynced so the file's name survives a crash.
pub fn create_segment(dir: &Path, first_seq: u64) -> Result<(Segment, File)> {
    let path = segment_path(dir, first_seq);
    let mut file = File::options()
        .create_new(true)
        .write(true)
        .open(&path)
        .map_err(|e| StorageError::io(&path, e))?;
    file.write_all(&encode_header(first_seq))
        .and_then(|()| file.sync_all())
        .map_err(|e| StorageError::io(&path, e))?;
    sync_dir(dir)?;
    Ok((Segment { first_seq, path }, file))
}

/// Fsyncs a directory, making file creations, renames and removals in it durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io(dir, e))
}
