//! The commit log: the single source of truth. Appends frames to the newest
//! segment, rolls segments over, fsyncs, and reads itself back at open, at
//! verify time and (later) for replicas.

use std::fs::{self, File};
use std::io::{Read as _, Seek as _, SeekFrom};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use crate::error::{LogPosition, Result, StorageError};
use crate::frame::{CommitRecord, FRAME_HEADER_LEN, FrameError, decode_frame};
use crate::segment::{
    SEGMENT_HEADER_LEN, Segment, check_header, create_segment, list_segments, sync_dir,
};
use crate::store::LogEnd;

/// What to do when the log is damaged somewhere other than a torn last frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DamagePolicy {
    /// Refuse to open, naming the file and byte offset (the default).
    #[default]
    Refuse,
    /// Cut the log at the damage, dropping every later commit. Loses data: only on
    /// an operator's explicit request.
    TruncateAtDamage,
}

/// The reason a torn tail gives when it is only zeros: space the log
/// allocated ahead of its frames (or a crash left unwritten), holding nothing.
pub const ZERO_TAIL: &str = "zeros after the last frame (space allocated ahead, never written)";

/// Bytes of zeros the log writes ahead of its frames at a time, fsynced once
/// with the file's new length: an fdatasync after an append then has no file
/// size to persist, only the data (one device write, not two).
const PREALLOCATE: u64 = 1 << 20;

/// How the end of the log looked when it was scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// The last frame is whole.
    Clean,
    /// The last frame (or a segment header being created) was torn by a crash.
    Torn {
        /// Where the torn bytes start.
        position: LogPosition,
        /// How many bytes follow that point.
        bytes: u64,
        /// Why the bytes do not form a frame.
        reason: String,
    },
}

/// The result of reading the log from some segment to its end.
#[derive(Debug)]
pub struct ScanSummary {
    /// The seq of the last whole frame (0 when the log is empty).
    pub last_seq: u64,
    /// The commit time of that frame (0 when the log is empty).
    pub last_ts: i64,
    /// The segment the scan ended in and the length of its valid prefix.
    pub end: Option<(Segment, u64)>,
    /// Whether a torn last frame follows the valid prefix.
    pub tail: Tail,
    /// Frames read.
    pub frames: u64,
    /// The seq the next frame appended must carry.
    pub next_seq: u64,
}

/// A place to resume reading inside the first scanned segment: the frame at
/// `offset` must be seq `seq`. Checkpoints record it so an open reads only the
/// log written since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// Byte offset of the frame in its segment.
    pub offset: u64,
    /// The seq that frame must carry.
    pub seq: u64,
}

/// The segment's header followed by its bytes from `from` on (`from` is at
/// least the header length), and how many bytes were skipped in between.
fn read_segment(segment: &Segment, from: u64) -> Result<(Vec<u8>, usize)> {
    let io = |e| StorageError::io(&segment.path, e);
    if from <= SEGMENT_HEADER_LEN as u64 {
        return Ok((fs::read(&segment.path).map_err(io)?, 0));
    }
    let mut file = File::open(&segment.path).map_err(io)?;
    let mut bytes = vec![0u8; SEGMENT_HEADER_LEN];
    file.read_exact(&mut bytes).map_err(io)?;
    file.seek(SeekFrom::Start(from)).map_err(io)?;
    file.read_to_end(&mut bytes).map_err(io)?;
    let skipped = usize::try_from(from)
        .map_err(|_| StorageError::Format(format!("offset {from} does not fit this platform")))?
        - SEGMENT_HEADER_LEN;
    Ok((bytes, skipped))
}

/// Reads every frame of `segments[start..]` in order (from `resume` on in the
/// first), checking checksums, seq continuity and timestamp order, and hands
/// each record with seq > `after_seq` to `visit`. A bad frame at the end of the
/// newest segment is reported as a torn tail; any other damage is an error
/// naming its place.
pub fn scan(
    segments: &[Segment],
    start: usize,
    resume: Option<Resume>,
    after_seq: u64,
    mut visit: impl FnMut(CommitRecord, &LogPosition) -> Result<()>,
) -> Result<ScanSummary> {
    let mut summary = ScanSummary {
        last_seq: 0,
        last_ts: 0,
        end: None,
        tail: Tail::Clean,
        frames: 0,
        next_seq: resume.map_or_else(|| segments.get(start).map_or(1, |s| s.first_seq), |r| r.seq),
    };
    let mut expected: Option<u64> = None;
    for (i, segment) in segments.iter().enumerate().skip(start) {
        let newest = i + 1 == segments.len();
        let resume = resume.filter(|_| i == start);
        let (bytes, skip) = read_segment(segment, resume.map_or(0, |r| r.offset))?;
        if newest && bytes.len() < SEGMENT_HEADER_LEN {
            summary.tail = Tail::Torn {
                position: LogPosition {
                    file: segment.path.clone(),
                    offset: 0,
                },
                bytes: bytes.len() as u64,
                reason: "segment header incomplete".into(),
            };
            break;
        }
        check_header(segment, &bytes)?;
        if let Some(exp) = expected
            && segment.first_seq != exp
        {
            return Err(damaged(
                segment,
                0,
                format!(
                    "segment starts at seq {} but seq {exp} was expected",
                    segment.first_seq
                ),
            ));
        }
        let mut exp = resume.map_or(segment.first_seq, |r| r.seq);
        let mut off = SEGMENT_HEADER_LEN;
        while off < bytes.len() {
            let position = LogPosition {
                file: segment.path.clone(),
                offset: (off + skip) as u64,
            };
            match decode_frame(&bytes[off..]) {
                Ok((record, len)) => {
                    if record.seq != exp {
                        return Err(damaged(
                            segment,
                            off + skip,
                            format!("frame has seq {} where seq {exp} was expected", record.seq),
                        ));
                    }
                    if record.commit_ts <= summary.last_ts && summary.frames > 0 {
                        return Err(damaged(
                            segment,
                            off + skip,
                            format!(
                                "commit time {} of seq {} is not after {} of the previous commit",
                                record.commit_ts, record.seq, summary.last_ts
                            ),
                        ));
                    }
                    summary.last_seq = record.seq;
                    summary.last_ts = record.commit_ts;
                    summary.frames += 1;
                    exp += 1;
                    off += len;
                    if record.seq > after_seq {
                        visit(record, &position)?;
                    }
                }
                Err(err) => {
                    if newest && is_torn_tail(&bytes[off..], &err, exp) {
                        let zeros = bytes[off..].iter().all(|&b| b == 0);
                        summary.tail = Tail::Torn {
                            position,
                            bytes: (bytes.len() - off) as u64,
                            reason: if zeros {
                                ZERO_TAIL.into()
                            } else {
                                err.to_string()
                            },
                        };
                        break;
                    }
                    return Err(damaged(segment, off + skip, err.to_string()));
                }
            }
        }
        let valid = match &summary.tail {
            Tail::Torn { position, .. } => position.offset,
            Tail::Clean => (bytes.len() + skip) as u64,
        };
        summary.end = Some((segment.clone(), valid));
        expected = Some(exp);
        summary.next_seq = exp;
    }
    Ok(summary)
}

fn damaged(segment: &Segment, offset: usize, reason: String) -> StorageError {
    StorageError::Damaged {
        reason,
        position: LogPosition {
            file: segment.path.clone(),
            offset: offset as u64,
        },
    }
}

/// Whether a bad frame at the end of the newest segment is a torn write rather
/// than damage: nothing after it may look like a later, intact frame.
fn is_torn_tail(rest: &[u8], err: &FrameError, next_seq: u64) -> bool {
    if rest.iter().all(|&b| b == 0) {
        return true;
    }
    let frame_end = match err {
        FrameError::Truncated { .. } => rest.len(),
        _ => {
            let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            FRAME_HEADER_LEN.saturating_add(len)
        }
    };
    if frame_end < rest.len() && !matches!(err, FrameError::BadLength(_)) {
        // A whole frame with bytes after it: a torn write never leaves that.
        return false;
    }
    // The length itself may be what is damaged: look for any intact frame further on.
    (1..rest.len()).all(|p| !looks_like_frame(&rest[p..], next_seq))
}

/// Cheap test for "a valid frame of seq `seq` or `seq + 1` starts here".
fn looks_like_frame(buf: &[u8], seq: u64) -> bool {
    if buf.len() < FRAME_HEADER_LEN + 10 || buf[FRAME_HEADER_LEN] != 1 {
        return false;
    }
    let mut s = [0u8; 8];
    s.copy_from_slice(&buf[FRAME_HEADER_LEN + 2..FRAME_HEADER_LEN + 10]);
    let found = u64::from_le_bytes(s);
    (found == seq || found == seq + 1) && decode_frame(buf).is_ok()
}

/// The index of the segment holding seq `seq + 1`, where a replay from `seq` starts.
pub fn segment_index_after(segments: &[Segment], seq: u64) -> usize {
    segments
        .iter()
        .rposition(|s| s.first_seq <= seq.saturating_add(1))
        .unwrap_or(0)
}

/// The open, appendable log.
#[derive(Debug)]
pub struct CommitLog {
    dir: PathBuf,
    segment: Segment,
    file: File,
    /// Where the next frame goes in the newest segment.
    len: u64,
    /// The file's length: zeros from `len` up to it.
    allocated: u64,
    segment_size: u64,
    unsynced: bool,
}

/// What opening the log found: the log itself and where it ends.
#[derive(Debug)]
pub struct OpenedLog {
    /// The log, positioned for appending.
    pub log: CommitLog,
    /// The last seq in the log.
    pub last_seq: u64,
    /// Commit time of the last seq.
    pub last_ts: i64,
}

impl CommitLog {
    /// Opens (or creates) the log in `dir`, cuts a torn tail, and replays every
    /// record after `after_seq` through `visit`.
    pub fn open(
        dir: &Path,
        segment_size: u64,
        after_seq: u64,
        resume: Option<LogEnd>,
        policy: DamagePolicy,
        visit: &mut dyn FnMut(CommitRecord, &LogPosition) -> Result<()>,
    ) -> Result<OpenedLog> {
        fs::create_dir_all(dir).map_err(|e| StorageError::io(dir, e))?;
        let mut segments = list_segments(dir)?;
        if segments.is_empty() {
            let (segment, file) = create_segment(dir, 1)?;
            return Ok(OpenedLog {
                log: CommitLog::new(dir, segment, file, SEGMENT_HEADER_LEN as u64, segment_size),
                last_seq: 0,
                last_ts: 0,
            });
        }
        let start = segment_index_after(&segments, after_seq);
        // Resume inside the start segment only if the checkpoint names it and
        // its recorded offset is still inside the file.
        let resume = resume.and_then(|end| {
            let segment = segments.get(start)?;
            let len = fs::metadata(&segment.path).ok()?.len();
            (segment.first_seq == end.segment && end.next_seq == after_seq + 1 && end.offset <= len)
                .then_some(Resume {
                    offset: end.offset,
                    seq: end.next_seq,
                })
        });
        let summary = match scan(&segments, start, resume, after_seq, visit) {
            Ok(summary) => summary,
            Err(StorageError::Damaged { reason, position })
                if policy == DamagePolicy::TruncateAtDamage =>
            {
                tracing::error!(%position, %reason, "commit log damaged; truncating at the damage as requested, every later commit is dropped");
                truncate_at(dir, &mut segments, &position)?;
                return Self::open(
                    dir,
                    segment_size,
                    after_seq,
                    None,
                    DamagePolicy::Refuse,
                    &mut |_, _| Ok(()),
                );
            }
            Err(e) => return Err(e),
        };
        if let Tail::Torn {
            position,
            bytes,
            reason,
        } = &summary.tail
        {
            if reason == ZERO_TAIL {
                tracing::debug!(%position, bytes, "cutting off log space allocated ahead and never written");
            } else {
                tracing::warn!(%position, bytes, %reason, "cutting off a torn last frame left by a crash");
            }
            truncate_at(dir, &mut segments, position)?;
            if position.offset == 0 {
                // The newest segment's header was torn: that file is gone; reopen.
                return Self::open(dir, segment_size, after_seq, None, policy, &mut |_, _| {
                    Ok(())
                });
            }
        }
        let Some((segment, len)) = summary.end else {
            return Err(StorageError::CheckpointMismatch(
                "the log has no readable segment".into(),
            ));
        };
        let file = File::options()
            .write(true)
            .open(&segment.path)
            .map_err(|e| StorageError::io(&segment.path, e))?;
        let (last_seq, last_ts) = (summary.next_seq - 1, summary.last_ts);
        Ok(OpenedLog {
            log: CommitLog::new(dir, segment, file, len, segment_size),
            last_seq,
            last_ts,
        })
    }

    fn new(dir: &Path, segment: Segment, file: File, len: u64, segment_size: u64) -> Self {
        CommitLog {
            dir: dir.to_path_buf(),
            segment,
            file,
            len,
            allocated: len,
            segment_size,
            unsynced: false,
        }
    }

    /// Cuts the newest segment's allocated zeros off durably, so it ends
    /// with its last frame.
    fn trim(&mut self) -> Result<()> {
        if self.allocated > self.len {
            self.file
                .set_len(self.len)
                .and_then(|()| self.file.sync_all())
                .map_err(|e| StorageError::io(&self.segment.path, e))?;
            self.allocated = self.len;
        }
        Ok(())
    }

    /// Extends the newest segment with zeros to hold at least `end` bytes
    /// (and up to [`PREALLOCATE`] more, within the segment size), durably.
    fn allocate(&mut self, end: u64) -> Result<()> {
        let target = end.max((end + PREALLOCATE).min(self.segment_size));
        let zeros = vec![0u8; 64 << 10];
        let mut at = self.allocated;
        while at < target {
            let n = (target - at).min(zeros.len() as u64);
            self.file
                .write_all_at(&zeros[..n as usize], at)
                .map_err(|e| StorageError::io(&self.segment.path, e))?;
            at += n;
        }
        self.file
            .sync_all()
            .map_err(|e| StorageError::io(&self.segment.path, e))?;
        self.allocated = target;
        Ok(())
    }

    /// Appends encoded frames whose first seq is `first_seq`, rolling over to a new
    /// segment first when the current one is full. Not durable until [`Self::sync`].
    pub fn append(&mut self, first_seq: u64, frames: &[u8]) -> Result<()> {
        if self.len >= self.segment_size && first_seq > self.segment.first_seq {
            self.sync()?;
            // Only the newest segment may end in zeros.
            self.trim()?;
            let (segment, file) = create_segment(&self.dir, first_seq)?;
            self.segment = segment;
            self.file = file;
            self.len = SEGMENT_HEADER_LEN as u64;
            self.allocated = self.len;
        }
        let end = self.len + frames.len() as u64;
        if end > self.allocated {
            self.allocate(end)?;
        }
        self.file
            .write_all_at(frames, self.len)
            .map_err(|e| StorageError::io(&self.segment.path, e))?;
        self.len += frames.len() as u64;
        self.unsynced = true;
        metrics::counter!("driftdb_log_bytes_written_total").increment(frames.len() as u64);
        Ok(())
    }

    /// Makes every appended frame durable.
    pub fn sync(&mut self) -> Result<()> {
        if self.unsynced {
            let started = std::time::Instant::now();
            self.file
                .sync_data()
                .map_err(|e| StorageError::io(&self.segment.path, e))?;
            self.unsynced = false;
            metrics::counter!("driftdb_fsyncs_total").increment(1);
            metrics::histogram!("driftdb_fsync_seconds").record(started.elapsed().as_secs_f64());
        }
        Ok(())
    }

    /// Where the next frame, which will carry `next_seq`, goes.
    pub fn end(&self, next_seq: u64) -> LogEnd {
        LogEnd {
            segment: self.segment.first_seq,
            offset: self.len,
            next_seq,
        }
    }

    /// Whether frames were appended since the last sync.
    pub fn has_unsynced(&self) -> bool {
        self.unsynced
    }
}

impl Drop for CommitLog {
    /// A closed log ends with its last frame: the next open has no zeros to cut.
    fn drop(&mut self) {
        if let Err(e) = self.trim() {
            tracing::warn!(error = %e, "could not cut the log's allocated space at close; the next open cuts it");
        }
    }
}

/// Cuts the log at `position`: the file is truncated there (removed when the cut is
/// at its header) and every later segment is removed.
fn truncate_at(dir: &Path, segments: &mut Vec<Segment>, position: &LogPosition) -> Result<()> {
    let Some(idx) = segments.iter().position(|s| s.path == position.file) else {
        return Ok(());
    };
    for later in segments.drain(idx + 1..).rev() {
        fs::remove_file(&later.path).map_err(|e| StorageError::io(&later.path, e))?;
    }
    if position.offset < SEGMENT_HEADER_LEN as u64 {
        fs::remove_file(&position.file).map_err(|e| StorageError::io(&position.file, e))?;
        segments.pop();
    } else {
        let file = File::options()
            .write(true)
            .open(&position.file)
            .map_err(|e| StorageError::io(&position.file, e))?;
        file.set_len(position.offset)
            .and_then(|()| file.sync_all())
            .map_err(|e| StorageError::io(&position.file, e))?;
    }
    sync_dir(dir)
}
