//! Bulk load: rows per second when 1,000-row commits of new keys (in key order)
//! are committed one after another, the storage-level bound of a bulk INSERT.

#[path = "support.rs"]
mod support;

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bulk(c: &mut Criterion) {
    let rows = 200_000u64;
    let mut group = c.benchmark_group("bulk_load");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(rows));
    group.bench_function("200k_rows_in_1000_row_commits", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = support::scratch();
                let storage = support::open(dir.path(), driftdb_storage::Options::default());
                let start = Instant::now();
                support::load(&storage, 1, rows, 0, 100, 1_000);
                if let Err(e) = storage.snapshot() {
                    panic!("snapshot failed: {e}");
                }
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, bulk);
criterion_main!(benches);
