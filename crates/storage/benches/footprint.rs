//! (e) Bytes on disk per version when one 8-byte field of a 100-byte row
//! changes: log bytes, store bytes and their sum, per new version. Not timed.

#[path = "support.rs"]
mod support;

use driftdb_storage::{Commit, Write};

fn main() {
    let rows = 100_000u64;
    let rounds = 10u64;
    let dir = support::scratch();
    let storage = support::open(dir.path(), driftdb_storage::Options::default());
    support::load(&storage, 1, rows, 0, 100, 1_000);
    if let Err(e) = storage.checkpoint() {
        panic!("checkpoint failed: {e}");
    }
    let stats_before = stats(&storage);
    let log_before = support::disk_bytes(&dir.path().join("log"));
    let store_before = support::disk_bytes(&dir.path().join("store.redb"));
    for version in 1..=rounds {
        for start in (0..rows).step_by(1_000) {
            let writes = (start..start + 1_000)
                .map(|i| Write::Put {
                    keyspace: 1,
                    key: support::key(i),
                    // Only the first 8 bytes (the version field) differ.
                    value: support::row(i, version, 100),
                })
                .collect();
            let commit = Commit {
                writes,
                synchronous: false,
                ..Commit::default()
            };
            if let Err(e) = storage.commit(commit) {
                panic!("commit failed: {e}");
            }
        }
    }
    if let Err(e) = storage.checkpoint() {
        panic!("checkpoint failed: {e}");
    }
    let stats_after = stats(&storage);
    let versions = rows * rounds;
    let per = |bytes: u64| bytes as f64 / versions as f64;
    let log = support::disk_bytes(&dir.path().join("log")) - log_before;
    let store = support::disk_bytes(&dir.path().join("store.redb")).saturating_sub(store_before);
    println!(
        "footprint: {versions} new versions of 100-byte rows, one 8-byte field changed in each"
    );
    println!(
        "footprint: log   {:>7.1} bytes/version",
        log as f64 / versions as f64
    );
    println!(
        "footprint: store {:>7.1} bytes/version (file growth)",
        store as f64 / versions as f64
    );
    println!(
        "footprint: total {:>7.1} bytes/version",
        (log + store) as f64 / versions as f64
    );
    println!(
        "footprint: inside the store: data {:.1}, B-tree {:.1}, free/slack {:.1} bytes/version",
        per(stats_after.stored_bytes - stats_before.stored_bytes),
        per(stats_after
            .metadata_bytes
            .saturating_sub(stats_before.metadata_bytes)),
        per(stats_after
            .fragmented_bytes
            .saturating_sub(stats_before.fragmented_bytes)),
    );
}

fn stats(storage: &driftdb_storage::Storage) -> driftdb_storage::StoreStats {
    match storage.store_stats() {
        Ok(s) => s,
        Err(e) => panic!("stats failed: {e}"),
    }
}
