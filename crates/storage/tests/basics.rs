//! The storage API end to end: commits, reads of the present and the past,
//! conflicts, segments, checkpoints, reopening and the directory lock.

mod common;

use std::ops::Bound;

use common::{Model, commit_of, del, put};
use driftdb_storage::{Commit, KeyRange, Options, Reads, Result, Storage, StorageError};

fn small_options() -> Options {
    Options {
        segment_bytes: 512,
        checkpoint_bytes: 2048,
        ..Options::default()
    }
}

#[test]
fn reads_present_past_and_history() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let s = Storage::open(dir.path(), Options::default())?;
    let c1 = s.commit(commit_of(vec![put(1, b"a", b"a1"), put(1, b"b", b"b1")]))?;
    let c2 = s.commit(commit_of(vec![put(1, b"a", b"a2")]))?;
    let c3 = s.commit(commit_of(vec![del(1, b"b"), put(2, b"a", b"other")]))?;
    assert_eq!((c1.seq, c2.seq, c3.seq), (1, 2, 3));
    assert!(c1.commit_ts < c2.commit_ts && c2.commit_ts < c3.commit_ts);

    let snap = s.snapshot()?;
    assert_eq!(snap.seq(), 3);
    assert_eq!(snap.get(1, b"a")?.map(|v| v.value), Some(b"a2".to_vec()));
    assert_eq!(snap.get(1, b"b")?, None);
    assert_eq!(
        snap.get_as_of(1, b"a", 1)?.map(|v| v.value),
        Some(b"a1".to_vec())
    );
    assert_eq!(
        snap.get_as_of(1, b"b", 2)?.map(|v| v.value),
        Some(b"b1".to_vec())
    );
    assert_eq!(snap.get_as_of(1, b"b", 0)?, None);
    let h = snap.history(1, b"b")?;
    assert_eq!(h.len(), 1);
    assert_eq!((h[0].seq_from, h[0].seq_to), (1, Some(3)));
    let rows: Vec<_> = snap
        .scan_as_of(1, (Bound::Unbounded, Bound::Unbounded), 1)?
        .collect::<Result<_>>()?;
    assert_eq!(rows.len(), 2);
    let now: Vec<_> = snap
        .scan(1, (Bound::Unbounded, Bound::Unbounded))?
        .collect::<Result<_>>()?;
    assert_eq!(now.len(), 1);
    assert_eq!(snap.seq_at(c2.commit_ts)?, 2);
    assert_eq!(snap.seq_at(c2.commit_ts - 1)?, 1);
    assert_eq!(snap.seq_at(0)?, 0);
    assert_eq!(snap.commit(2)?.map(|c| c.commit_ts), Some(c2.commit_ts));
    Ok(())
}

#[test]
fn first_committer_wins() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let s = Storage::open(dir.path(), Options::default())?;
    s.commit(commit_of(vec![put(1, b"k", b"v0")]))?;
    let snapshot = s.snapshot()?.seq();
    let first = Commit {
        snapshot_seq: Some(snapshot),
        reads: None,
        ..commit_of(vec![put(1, b"k", b"first")])
    };
    let second = Commit {
        snapshot_seq: Some(snapshot),
        reads: None,
        ..commit_of(vec![put(1, b"k", b"second")])
    };
    s.commit(first)?;
    match s.commit(second) {
        Err(StorageError::WriteConflict { committed_seq, .. }) => assert_eq!(committed_seq, 2),
        other => panic!("expected a write conflict, got {other:?}"),
    }
    // A rejected commit takes no number.
    assert_eq!(s.commit(commit_of(vec![put(1, b"x", b"y")]))?.seq, 3);
    // A delete after the snapshot conflicts too.
    let snap = s.snapshot()?.seq();
    s.commit(commit_of(vec![del(1, b"x")]))?;
    let late = Commit {
        snapshot_seq: Some(snap),
        reads: None,
        ..commit_of(vec![put(1, b"x", b"z")])
    };
    assert!(matches!(
        s.commit(late),
        Err(StorageError::WriteConflict { .. })
    ));
    // Fresh writes are applied with the others but never checked.
    let snap = s.snapshot()?.seq();
    s.commit(commit_of(vec![put(1, b"f", b"1")]))?;
    let fresh = Commit {
        snapshot_seq: Some(snap),
        fresh_writes: vec![put(1, b"f", b"2")],
        ..commit_of(vec![put(1, b"g", b"1")])
    };
    let seq = s.commit(fresh)?.seq;
    let read = s.snapshot()?;
    assert_eq!(
        read.get(1, b"f")?.map(|v| (v.seq_from, v.value)),
        Some((seq, b"2".to_vec()))
    );
    assert_eq!(read.get(1, b"g")?.map(|v| v.seq_from), Some(seq));
    Ok(())
}

/// Locked keys are checked like written ones, by a commit or by a check
/// that commits nothing (a transaction that only locked rows).
#[test]
fn a_locked_key_changed_after_the_snapshot_conflicts() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let s = Storage::open(dir.path(), Options::default())?;
    s.commit(commit_of(vec![put(1, b"k", b"v0"), put(1, b"j", b"v0")]))?;
    let snapshot = s.snapshot()?.seq();
    let locking = |key: &[u8], writes| Commit {
        snapshot_seq: Some(snapshot),
        reads: Some(Reads {
            locked: vec![(1, key.to_vec())],
            ..Reads::default()
        }),
        ..commit_of(writes)
    };
    s.commit(commit_of(vec![put(1, b"k", b"v1")]))?;
    let seq = s.snapshot()?.seq();
    assert!(matches!(
        s.check(locking(b"k", Vec::new())),
        Err(StorageError::WriteConflict { .. })
    ));
    assert!(matches!(
        s.commit(locking(b"k", vec![put(2, b"other", b"x")])),
        Err(StorageError::WriteConflict { .. })
    ));
    // The check takes no seq; a lock of an unchanged key passes.
    s.check(locking(b"j", Vec::new()))?;
    assert_eq!(s.snapshot()?.seq(), seq);
    assert_eq!(
        s.commit(locking(b"j", vec![put(2, b"other", b"x")]))?.seq,
        seq + 1
    );
    Ok(())
}

#[test]
fn survives_reopen_across_segments_and_checkpoints() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let mut model = Model::default();
    for round in 0..3u8 {
        let s = Storage::open(dir.path(), small_options())?;
        model.check(&s.snapshot()?, &[1, 2])?;
        for i in 0..40u8 {
            let writes = vec![
                put(1, &[i % 7], &[round, i]),
                if i % 5 == 0 {
                    del(2, &[i % 3, 0])
                } else {
                    put(2, &[i % 3, 0], &[i; 30])
                },
            ];
            let c = s.commit(commit_of(writes.clone()))?;
            model.apply(c.seq, &writes);
        }
        model.check(&s.snapshot()?, &[1, 2])?;
    }
    let segments = std::fs::read_dir(dir.path().join("log"))
        .map_err(|e| StorageError::io("log", e))?
        .count();
    assert!(segments > 5, "segments rolled over: {segments}");
    let report = driftdb_storage::verify(dir.path())?;
    assert_eq!(report.last_seq, 120);
    assert_eq!(report.checkpoint_seq, 120);
    Ok(())
}

#[test]
fn asynchronous_commits_are_visible_and_survive_a_clean_close() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    {
        let s = Storage::open(dir.path(), Options::default())?;
        for i in 0..100u32 {
            let c = Commit {
                synchronous: false,
                ..commit_of(vec![put(1, &i.to_be_bytes(), b"v")])
            };
            assert_eq!(s.commit(c)?.seq, u64::from(i) + 1);
        }
        assert_eq!(s.snapshot()?.seq(), 100);
    }
    let s = Storage::open(dir.path(), Options::default())?;
    assert_eq!(s.snapshot()?.seq(), 100);
    Ok(())
}

#[test]
fn a_second_owner_is_refused() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let _s = Storage::open(dir.path(), Options::default())?;
    match Storage::open(dir.path(), Options::default()) {
        Err(StorageError::Locked { path }) => assert_eq!(path, dir.path()),
        other => panic!("expected the lock error, got {other:?}"),
    }
    assert!(matches!(
        driftdb_storage::verify(dir.path()),
        Err(StorageError::Locked { .. })
    ));
    Ok(())
}

#[test]
fn keys_with_zero_bytes_and_prefixes_stay_apart() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let s = Storage::open(dir.path(), Options::default())?;
    let keys: [&[u8]; 6] = [b"", b"\0", b"\0\0", b"a", b"a\0", b"a\0b"];
    let mut model = Model::default();
    for (i, k) in keys.iter().enumerate() {
        let w = vec![put(7, k, &[i as u8])];
        let c = s.commit(commit_of(w.clone()))?;
        model.apply(c.seq, &w);
    }
    let w = vec![del(7, b"a\0")];
    let c = s.commit(commit_of(w.clone()))?;
    model.apply(c.seq, &w);
    model.check(&s.snapshot()?, &[7])?;
    let range: Vec<_> = s
        .snapshot()?
        .scan(7, (Bound::Included(b"\0"), Bound::Excluded(b"a\0b")))?
        .map(|r| r.map(|(k, _)| k))
        .collect::<Result<_>>()?;
    assert_eq!(range, vec![b"\0".to_vec(), b"\0\0".to_vec(), b"a".to_vec()]);
    Ok(())
}

#[test]
fn concurrent_committers_get_gapless_seqs() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let s = Storage::open(dir.path(), Options::default())?;
    let seqs = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..16u8 {
            let (s, seqs) = (&s, &seqs);
            scope.spawn(move || {
                for i in 0..25u8 {
                    let c = s.commit(commit_of(vec![put(1, &[t, i], b"v")]));
                    if let (Ok(c), Ok(mut seqs)) = (c, seqs.lock()) {
                        seqs.push(c.seq);
                    }
                }
            });
        }
    });
    let mut seqs = seqs
        .into_inner()
        .map_err(|_| StorageError::Poisoned("lock".into()))?;
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=400).collect::<Vec<u64>>());
    Ok(())
}

#[test]
fn the_store_is_rebuilt_from_the_log_when_it_is_lost() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let mut model = Model::default();
    {
        let s = Storage::open(dir.path(), small_options())?;
        for i in 0..60u8 {
            let writes = if i % 4 == 3 {
                vec![del(1, &[i % 9])]
            } else {
                vec![put(1, &[i % 9], &[i]), put(3, &[i], b"x")]
            };
            let c = s.commit(commit_of(writes.clone()))?;
            model.apply(c.seq, &writes);
        }
    }
    std::fs::remove_file(dir.path().join("store.redb")).map_err(|e| StorageError::io("rm", e))?;
    let s = Storage::open(dir.path(), small_options())?;
    model.check(&s.snapshot()?, &[1, 3])?;
    Ok(())
}

#[test]
fn inverted_and_empty_ranges_are_empty_not_a_panic() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let s = Storage::open(dir.path(), Options::default())?;
    s.commit(commit_of(vec![put(1, b"a", b"1"), put(1, b"m", b"2")]))?;
    s.commit(commit_of(vec![put(1, b"m", b"3")]))?;
    let snap = s.snapshot()?;
    let ranges: [KeyRange<'_>; 3] = [
        (Bound::Included(b"z"), Bound::Excluded(b"a")),
        (Bound::Excluded(b"m"), Bound::Excluded(b"m")),
        (Bound::Included(b"m"), Bound::Excluded(b"m")),
    ];
    for range in ranges {
        assert_eq!(snap.scan(1, range)?.count(), 0);
        assert_eq!(snap.scan_as_of(1, range, 1)?.count(), 0);
        assert_eq!(snap.scan_versions(1, range)?.count(), 0);
    }
    Ok(())
}

#[test]
fn a_shared_snapshot_never_hides_an_answered_commit() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let s = std::sync::Arc::new(Storage::open(dir.path(), Options::default())?);
    // Readers on other threads keep taking (and sharing) snapshots while
    // this one commits: each snapshot taken after an answer holds it.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (s, stop) = (std::sync::Arc::clone(&s), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || -> Result<()> {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    s.snapshot()?;
                }
                Ok(())
            })
        })
        .collect();
    for i in 0..200u32 {
        let key = i.to_be_bytes();
        let c = s.commit(commit_of(vec![put(1, &key, b"v")]))?;
        let snap = s.snapshot()?;
        assert!(
            snap.seq() >= c.seq,
            "snapshot at {} after seq {}",
            snap.seq(),
            c.seq
        );
        assert_eq!(snap.get(1, &key)?.map(|v| v.value), Some(b"v".to_vec()));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        r.join()
            .map_err(|_| StorageError::Poisoned("reader panicked".into()))??;
    }
    Ok(())
}

/// Commit n sets key `KEYS[n % 4]` to n, so what a snapshot at seq S must
/// read follows from S alone. Readers check that while checkpoints keep
/// merging the overlay into the store under them.
#[test]
fn snapshots_stay_consistent_while_the_overlay_is_flushed() -> Result<()> {
    const KEYS: [&[u8]; 4] = [b"a", b"b", b"c", b"d"];
    const COMMITS: u64 = 1500;
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let options = Options {
        checkpoint_bytes: 300,
        ..small_options()
    };
    let s = Storage::open(dir.path(), options)?;
    let done = std::sync::atomic::AtomicBool::new(false);
    // The last commit at or before `at` that wrote key `i`.
    let last_write = |i: usize, at: u64| {
        (at.saturating_sub(3)..=at)
            .rev()
            .find(|n| *n > 0 && *n % 4 == i as u64)
    };
    let check = |s: &Storage| -> Result<u64> {
        let mut checked = 0;
        while !done.load(std::sync::atomic::Ordering::Acquire) {
            let snap = s.snapshot()?;
            let seq = snap.seq();
            let mut want_rows = Vec::new();
            for (i, key) in KEYS.iter().enumerate() {
                let want = last_write(i, seq);
                let got = snap.get(1, key)?;
                assert_eq!(got.as_ref().map(|v| v.seq_from), want, "{key:?} at {seq}");
                assert_eq!(got.map(|v| v.value), want.map(|n| n.to_be_bytes().to_vec()));
                if let Some(n) = want {
                    want_rows.push((key.to_vec(), n));
                }
                if seq > 1 {
                    let past = snap.get_as_of(1, key, seq - 1)?;
                    let want = last_write(i, seq - 1).map(|n| (n, (n + 4 <= seq).then_some(n + 4)));
                    assert_eq!(
                        past.map(|v| (v.seq_from, v.seq_to)),
                        want,
                        "{key:?} as of {}",
                        seq - 1
                    );
                }
            }
            let rows: Vec<_> = snap
                .scan(1, (Bound::Unbounded, Bound::Unbounded))?
                .map(|r| r.map(|(k, v)| (k, v.seq_from)))
                .collect::<Result<_>>()?;
            assert_eq!(rows, want_rows, "rows at {seq}");
            if seq > 0 {
                assert_eq!(snap.commit(seq)?.map(|c| c.seq), Some(seq));
            }
            checked += 1;
        }
        Ok(checked)
    };
    std::thread::scope(|scope| -> Result<()> {
        let readers: Vec<_> = (0..2).map(|_| scope.spawn(|| check(&s))).collect();
        let written = (|| -> Result<()> {
            for n in 1..=COMMITS {
                let key = KEYS[(n % 4) as usize];
                s.commit(commit_of(vec![put(1, key, &n.to_be_bytes())]))?;
            }
            Ok(())
        })();
        done.store(true, std::sync::atomic::Ordering::Release);
        written?;
        for reader in readers {
            let checked = reader
                .join()
                .map_err(|_| StorageError::Poisoned("a reader panicked".into()))??;
            assert!(checked > 0);
        }
        Ok(())
    })?;
    Ok(())
}
