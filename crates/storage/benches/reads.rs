//! (b) A point read of a key's current version vs as of a past seq, for keys
//! with 1, 100 and 10,000 versions among 1M keys.
//! (c) A full scan of 1M current rows that each have 10 past versions, vs the
//! same rows with no history.
//!
//! `DRIFTDB_BENCH_ROWS` scales the key count down for a quick run.

#[path = "support.rs"]
mod support;

use std::hint::black_box;
use std::ops::Bound;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use driftdb_storage::{Commit, Write};

fn update(storage: &driftdb_storage::Storage, id: u64, version: u64) -> u64 {
    let commit = Commit {
        writes: vec![Write::Put {
            keyspace: 1,
            key: support::key(id),
            value: support::row(id, version, 100),
        }],
        synchronous: false,
        ..Commit::default()
    };
    match storage.commit(commit) {
        Ok(c) => c.seq,
        Err(e) => panic!("update failed: {e}"),
    }
}

fn point_reads(c: &mut Criterion) {
    let n = support::rows();
    let dir = support::scratch();
    let storage = support::open(dir.path(), support::bulk_options());
    support::load(&storage, 1, n, 0, 100, 10_000);
    // Keys 1, 2 and 3 of the table get 1, 100 and 10,000 versions in all; the
    // past point is the middle of that history.
    let (shallow, mid, deep) = (1u64, 2u64, 3u64);
    let mut middle = 0;
    for v in 1..10_000u64 {
        let seq = update(&storage, deep, v);
        if v % 101 == 0 {
            update(&storage, mid, v);
        }
        if v == 5_000 {
            middle = seq;
        }
    }
    if let Err(e) = storage.checkpoint() {
        panic!("checkpoint failed: {e}");
    }
    let snap = match storage.snapshot() {
        Ok(s) => s,
        Err(e) => panic!("snapshot failed: {e}"),
    };
    for (id, depth) in [(shallow, 1), (mid, 100), (deep, 10_000)] {
        match snap.history(1, &support::key(id)) {
            Ok(h) => assert!(
                h.len() >= depth * 99 / 100,
                "key {id} has {} versions",
                h.len()
            ),
            Err(e) => panic!("history failed: {e}"),
        }
    }
    let mut group = c.benchmark_group("point_read");
    group.measurement_time(Duration::from_secs(4));
    for (id, depth) in [(shallow, 1), (mid, 100), (deep, 10_000)] {
        let key = support::key(id);
        group.bench_with_input(BenchmarkId::new("current", depth), &key, |b, key| {
            b.iter(|| black_box(snap.get(1, key)).is_ok_and(|v| v.is_some()));
        });
        group.bench_with_input(BenchmarkId::new("as_of_past_seq", depth), &key, |b, key| {
            b.iter(|| black_box(snap.get_as_of(1, key, middle)).is_ok_and(|v| v.is_some()));
        });
    }
    group.finish();
}

fn count_current(storage: &driftdb_storage::Storage) -> u64 {
    let snap = match storage.snapshot() {
        Ok(s) => s,
        Err(e) => panic!("snapshot failed: {e}"),
    };
    let rows = match snap.scan(1, (Bound::Unbounded, Bound::Unbounded)) {
        Ok(r) => r,
        Err(e) => panic!("scan failed: {e}"),
    };
    let mut count = 0;
    for r in rows {
        match r {
            Ok(row) => {
                black_box(row);
                count += 1;
            }
            Err(e) => panic!("scan failed: {e}"),
        }
    }
    count
}

fn full_scans(c: &mut Criterion) {
    let n = support::rows();
    let plain_dir = support::scratch();
    let plain = support::open(plain_dir.path(), support::bulk_options());
    support::load(&plain, 1, n, 0, 100, 10_000);
    let hist_dir = support::scratch();
    let hist = support::open(hist_dir.path(), support::bulk_options());
    for version in 0..=10 {
        support::load(&hist, 1, n, version, 100, 10_000);
    }
    for s in [&plain, &hist] {
        if let Err(e) = s.checkpoint() {
            panic!("checkpoint failed: {e}");
        }
    }
    let mut group = c.benchmark_group("full_scan");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(n));
    group.bench_function(BenchmarkId::new("no_history", n), |b| {
        b.iter(|| assert_eq!(count_current(&plain), n));
    });
    group.bench_function(BenchmarkId::new("10_past_versions_each", n), |b| {
        b.iter(|| assert_eq!(count_current(&hist), n));
    });
    group.finish();
}

criterion_group!(benches, point_reads, full_scans);
criterion_main!(benches);
