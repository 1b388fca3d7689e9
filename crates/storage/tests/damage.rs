//! Damage to the log: a torn last frame is cut at every possible byte; a bit
//! flip in the middle makes verify fail and open refuse, both naming the place;
//! an explicit policy truncates there.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{Model, commit_of, put};
use driftdb_storage::{
    DamagePolicy, Options, Result, Storage, StorageError, Tail, decode_frame, verify,
};

fn io<T>(what: &str, r: std::io::Result<T>) -> Result<T> {
    r.map_err(|e| StorageError::io(what, e))
}

/// Fills `dir` with `n` commits in one segment, checkpointed at seq `checkpoint`,
/// and leaves in `crashed` the files as a crash right after them would. Returns
/// the model, the crashed copy's segment and the offset where each frame starts.
fn build(
    dir: &Path,
    crashed: &Path,
    n: u64,
    checkpoint: u64,
) -> Result<(Model, PathBuf, Vec<u64>)> {
    let options = Options {
        checkpoint_bytes: u64::MAX,
        ..Options::default()
    };
    let mut model = Model::default();
    let s = Storage::open(dir, options)?;
    for i in 0..n {
        let w = vec![
            put(1, &[(i % 5) as u8], &i.to_le_bytes()),
            put(2, b"n", &i.to_le_bytes()),
        ];
        let c = s.commit(commit_of(w.clone()))?;
        model.apply(c.seq, &w);
        if c.seq == checkpoint {
            s.checkpoint()?;
        }
    }
    // Copy the files while the storage is still open, as a crash would leave
    // them: the store on disk is at `checkpoint` and the rest is only in the log.
    copy_dir(dir, crashed)?;
    drop(s);
    let segment = crashed.join("log").join(format!("{:020}.log", 1));
    let (offsets, _) = frames_of(&segment)?;
    Ok((model, segment, offsets))
}

/// Where each frame of `segment` starts, and where the last one ends (the
/// log may have allocated zeros after it).
fn frames_of(segment: &Path) -> Result<(Vec<u64>, u64)> {
    /// The segment header's length.
    const HEADER: usize = 32;
    let bytes = io("read", fs::read(segment))?;
    let mut offsets = Vec::new();
    let mut at = HEADER;
    while let Some(Ok((_, len))) = bytes.get(at..).map(decode_frame) {
        offsets.push(at as u64);
        at += len;
    }
    Ok((offsets, at as u64))
}

/// Truncates a segment file to `len` bytes, as lost writes would.
fn cut(segment: &Path, len: u64) -> Result<()> {
    let f = io("open", fs::File::options().write(true).open(segment))?;
    io("truncate", f.set_len(len))
}

/// Flips one bit of the byte at `offset` in `segment`; returns the new bytes.
fn flip(segment: &Path, offset: u64) -> Result<Vec<u8>> {
    let mut bytes = io("read", fs::read(segment))?;
    bytes[offset as usize] ^= 0x10;
    io("write", fs::write(segment, &bytes))?;
    Ok(bytes)
}

/// A directory to fill and one to hold its crashed copy.
fn dirs() -> Result<(tempfile::TempDir, tempfile::TempDir)> {
    let made = tempfile::tempdir().and_then(|a| Ok((a, tempfile::tempdir()?)));
    made.map_err(|e| StorageError::io("tempdir", e))
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    io("mkdir", fs::create_dir_all(to.join("log")))?;
    for entry in io("readdir", fs::read_dir(from.join("log")))? {
        let entry = io("entry", entry)?;
        io(
            "copy",
            fs::copy(entry.path(), to.join("log").join(entry.file_name())),
        )?;
    }
    io(
        "copy",
        fs::copy(from.join("store.redb"), to.join("store.redb")),
    )?;
    Ok(())
}

#[test]
fn a_torn_last_frame_is_cut_at_every_offset() -> Result<()> {
    let (live, base) = dirs()?;
    // Commits 1..=6, store checkpointed at 3; the last frame is seq 6.
    let (full, segment, offsets) = build(live.path(), base.path(), 6, 3)?;
    let last_start = offsets[5];
    let (_, end) = frames_of(&segment)?;
    let mut model5 = Model::default();
    for (key, versions) in &full.keys {
        let kept: Vec<_> = versions
            .iter()
            .filter(|v| v.seq_from <= 5)
            .map(|v| driftdb_storage::Version {
                seq_to: v.seq_to.filter(|&to| to <= 5),
                ..v.clone()
            })
            .collect();
        if !kept.is_empty() {
            model5.keys.insert(key.clone(), kept);
        }
    }
    model5.last_seq = 5;
    for at in last_start..end {
        let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
        copy_dir(base.path(), dir.path())?;
        let seg = dir
            .path()
            .join("log")
            .join(segment.file_name().unwrap_or_default());
        cut(&seg, at)?;
        let report = verify(dir.path())?;
        assert_eq!(report.last_seq, 5, "cut at {at}");
        assert_eq!(
            report.tail == Tail::Clean,
            at == last_start,
            "cut at {at}: {:?}",
            report.tail
        );
        let s = Storage::open(dir.path(), Options::default())?;
        model5.check(&s.snapshot()?, &[1, 2])?;
        assert_eq!(
            io("len", fs::metadata(&seg))?.len(),
            last_start,
            "tail cut at {at}"
        );
        // Appending after the cut continues the sequence without a gap.
        assert_eq!(s.commit(commit_of(vec![put(1, b"z", b"z")]))?.seq, 6);
    }
    // A tail of zeros (space allocated, data never written) is a torn frame too.
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    copy_dir(base.path(), dir.path())?;
    let seg = dir
        .path()
        .join("log")
        .join(segment.file_name().unwrap_or_default());
    let mut bytes = io("read", fs::read(&seg))?;
    bytes.extend_from_slice(&[0u8; 100]);
    io("write", fs::write(&seg, &bytes))?;
    let s = Storage::open(dir.path(), Options::default())?;
    full.check(&s.snapshot()?, &[1, 2])?;
    Ok(())
}

#[test]
fn a_bit_flip_in_the_middle_is_refused_with_its_place() -> Result<()> {
    let (live, dir) = dirs()?;
    let (_, segment, offsets) = build(live.path(), dir.path(), 10, 2)?;
    // Flip one bit inside the payload of seq 5.
    let damaged_at = offsets[4];
    let bytes = flip(&segment, damaged_at + 12)?;

    let expect_place = |e: StorageError| match e {
        StorageError::Damaged { position, .. } => {
            assert_eq!(position.file, segment);
            assert_eq!(position.offset, damaged_at);
            let text = format!(
                "{}",
                StorageError::Damaged {
                    reason: String::new(),
                    position
                }
            );
            assert!(
                text.contains(&format!("byte offset {damaged_at}")),
                "{text}"
            );
        }
        other => panic!("expected damage, got {other}"),
    };
    expect_place(
        verify(dir.path())
            .err()
            .ok_or_else(|| StorageError::Poisoned("verify passed".into()))?,
    );
    expect_place(
        Storage::open(dir.path(), Options::default())
            .err()
            .ok_or_else(|| StorageError::Poisoned("open succeeded".into()))?,
    );

    // A damaged length field that points past the end must not pass for a torn tail.
    let mut bytes2 = bytes.clone();
    bytes2[damaged_at as usize + 12] ^= 0x10;
    bytes2[damaged_at as usize + 2] = 0x7F;
    io("write", fs::write(&segment, &bytes2))?;
    assert!(matches!(
        verify(dir.path()),
        Err(StorageError::Damaged { .. })
    ));
    io("write", fs::write(&segment, &bytes))?;

    // Forced truncation keeps seqs 1..=4 and rebuilds nothing it cannot trust.
    let forced = Options {
        damage_policy: DamagePolicy::TruncateAtDamage,
        ..Options::default()
    };
    let s = Storage::open(dir.path(), forced)?;
    assert_eq!(s.snapshot()?.seq(), 4);
    assert_eq!(s.commit(commit_of(vec![put(1, b"after", b"x")]))?.seq, 5);
    drop(s);
    assert_eq!(verify(dir.path())?.last_seq, 5);
    Ok(())
}

#[test]
fn a_checkpoint_ahead_of_the_log_is_refused() -> Result<()> {
    let (live, dir) = dirs()?;
    let (_, segment, offsets) = build(live.path(), dir.path(), 6, 6)?;
    // Losing acknowledged frames that the checkpoint covers is not a torn tail.
    cut(&segment, offsets[4])?;
    assert!(matches!(
        verify(dir.path()),
        Err(StorageError::CheckpointMismatch(_))
    ));
    assert!(matches!(
        Storage::open(dir.path(), Options::default()),
        Err(StorageError::CheckpointMismatch(_))
    ));
    Ok(())
}

#[test]
fn damage_below_the_checkpoint_is_found_by_verify_not_by_open() -> Result<()> {
    let (live, dir) = dirs()?;
    // Checkpoint at seq 8, then damage seq 5: open reads only the log after
    // the checkpoint, so it opens; verify reads everything and names the place.
    let (full, segment, offsets) = build(live.path(), dir.path(), 10, 8)?;
    flip(&segment, offsets[4] + 12)?;
    match verify(dir.path()) {
        Err(StorageError::Damaged { position, .. }) => assert_eq!(position.offset, offsets[4]),
        other => panic!("expected damage, got {other:?}"),
    }
    let s = Storage::open(dir.path(), Options::default())?;
    full.check(&s.snapshot()?, &[1, 2])?;
    Ok(())
}

#[test]
fn forcing_past_a_log_that_ends_below_the_checkpoint_rebuilds_the_store() -> Result<()> {
    let (live, dir) = dirs()?;
    let (_, segment, offsets) = build(live.path(), dir.path(), 6, 6)?;
    cut(&segment, offsets[4])?;
    let forced = Options {
        damage_policy: DamagePolicy::TruncateAtDamage,
        ..Options::default()
    };
    let s = Storage::open(dir.path(), forced)?;
    let mut kept = Model::default();
    for seq in 1..=4u64 {
        let i = seq - 1;
        kept.apply(
            seq,
            &[
                put(1, &[(i % 5) as u8], &i.to_le_bytes()),
                put(2, b"n", &i.to_le_bytes()),
            ],
        );
    }
    kept.check(&s.snapshot()?, &[1, 2])?;
    Ok(())
}

/// The log writes zeros ahead of its frames (so an fsync has no file size to
/// persist); a clean close cuts them, and after a crash open cuts them as a
/// tail that holds nothing, losing no commit.
#[test]
fn space_allocated_ahead_is_cut_at_close_and_after_a_crash() -> Result<()> {
    let (live, crashed) = dirs()?;
    let (full, segment, _) = build(live.path(), crashed.path(), 6, 3)?;
    let (_, end) = frames_of(&segment)?;
    assert!(
        io("len", fs::metadata(&segment))?.len() > end,
        "zeros ahead"
    );
    let closed = live.path().join("log").join(format!("{:020}.log", 1));
    assert_eq!(io("len", fs::metadata(&closed))?.len(), end, "cut at close");
    let report = verify(crashed.path())?;
    assert!(
        matches!(&report.tail, Tail::Torn { reason, .. } if reason == driftdb_storage::ZERO_TAIL),
        "{:?}",
        report.tail
    );
    let s = Storage::open(crashed.path(), Options::default())?;
    full.check(&s.snapshot()?, &[1, 2])?;
    assert_eq!(io("len", fs::metadata(&segment))?.len(), end, "cut at open");
    Ok(())
}
