//! (d) Reopen time after 1M commits with a recent checkpoint: after a clean
//! close, and after a crash that leaves 10,000 commits to replay.

#[path = "support.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use driftdb_storage::{Commit, Storage, Write};

/// Makes `commits` one-row commits from 8 threads.
fn commit_many(storage: &Storage, commits: u64, offset: u64) {
    std::thread::scope(|s| {
        for t in 0..8u64 {
            s.spawn(move || {
                for i in (t..commits).step_by(8) {
                    let id = offset + i;
                    let commit = Commit {
                        writes: vec![Write::Put {
                            keyspace: 1,
                            key: support::key(id % 100_000),
                            value: support::row(id, id, 100),
                        }],
                        synchronous: false,
                        ..Commit::default()
                    };
                    if let Err(e) = storage.commit(commit) {
                        panic!("commit failed: {e}");
                    }
                }
            });
        }
    });
}

/// Copies the directory `from` to `to`, without the lock file, and syncs
/// every copied file. A crashed directory's files are on disk up to its
/// last checkpoint; a fresh copy is all dirty page cache instead, and the
/// first fsync of the timed open would write the whole copied store back
/// (about 0.8 s of a 1 s open here), which a real restart never pays.
fn copy_tree(from: &Path, to: &Path) {
    if let Err(e) = std::fs::create_dir_all(to) {
        panic!("mkdir {}: {e}", to.display());
    }
    let Ok(entries) = std::fs::read_dir(from) else {
        panic!("cannot read {}", from.display());
    };
    for e in entries.flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_tree(&src, &dst);
        } else if e.file_name() != "LOCK"
            && let Err(err) = std::fs::copy(&src, &dst)
                .and_then(|_| std::fs::File::open(&dst).and_then(|f| f.sync_all()))
        {
            panic!("copy {}: {err}", src.display());
        }
    }
}

fn reopen(c: &mut Criterion) {
    let n = support::rows();
    let dir = support::scratch();
    let crashed = support::scratch();
    {
        let storage = support::open(dir.path(), support::bulk_options());
        commit_many(&storage, n, 0);
        if let Err(e) = storage.checkpoint() {
            panic!("checkpoint failed: {e}");
        }
        commit_many(&storage, 10_000, n);
        // A copy taken while open is what a crash leaves: checkpoint at seq n,
        // 10,000 commits only in the log.
        copy_tree(dir.path(), crashed.path());
    }
    let mut group = c.benchmark_group("reopen_after_1M_commits");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("clean_close", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let s = support::open(dir.path(), support::bulk_options());
                total += start.elapsed();
                drop(s);
            }
            total
        });
    });
    group.bench_function("crash_with_10k_commits_to_replay", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let fresh = support::scratch();
                copy_tree(crashed.path(), fresh.path());
                let start = Instant::now();
                let s = support::open(fresh.path(), support::bulk_options());
                total += start.elapsed();
                match s.snapshot() {
                    Ok(snap) => assert_eq!(snap.seq(), n + 10_000),
                    Err(e) => panic!("snapshot failed: {e}"),
                }
                drop(s);
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, reopen);
criterion_main!(benches);
