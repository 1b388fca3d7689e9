//! (a) Commits per second with 1, 8 and 64 concurrent committers, fsync on:
//! group commit should make 64 committers far faster than one.

#[path = "support.rs"]
mod support;

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use driftdb_storage::{Commit, Options, Write};

fn commits(c: &mut Criterion) {
    let dir = support::scratch();
    let storage = support::open(dir.path(), Options::default());
    let mut group = c.benchmark_group("durable_commits");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for committers in [1u64, 8, 64] {
        group.throughput(Throughput::Elements(committers));
        group.bench_with_input(
            BenchmarkId::from_parameter(committers),
            &committers,
            |b, &n| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    std::thread::scope(|s| {
                        for t in 0..n {
                            let storage = &storage;
                            s.spawn(move || {
                                for i in 0..iters {
                                    let commit = Commit {
                                        writes: vec![Write::Put {
                                            keyspace: 1,
                                            key: support::key(t * 1_000_000_000 + i),
                                            value: support::row(i, i, 100),
                                        }],
                                        synchronous: true,
                                        ..Commit::default()
                                    };
                                    if let Err(e) = storage.commit(commit) {
                                        panic!("commit failed: {e}");
                                    }
                                }
                            });
                        }
                    });
                    start.elapsed()
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, commits);
criterion_main!(benches);
