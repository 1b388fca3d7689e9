//! Shared set-up for the storage benchmarks: opening a scratch directory and
//! loading many keys quickly.

#![allow(dead_code)]

/// The allocator the `driftdb` binary runs with (see its `main.rs`), so the
/// benchmarks measure the engine as it ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;

use driftdb_storage::{Commit, Options, Storage, Write};

/// Options for bulk loading: big segments, rare checkpoints (each one holds
/// up to that much log in the overlay until it is flushed).
pub fn bulk_options() -> Options {
    Options {
        checkpoint_bytes: 64 << 20,
        segment_bytes: 256 << 20,
        ..Options::default()
    }
}

/// The key of row `i`: 8 bytes, big-endian, so keys sort by number.
pub fn key(i: u64) -> Vec<u8> {
    i.to_be_bytes().to_vec()
}

/// A `len`-byte row whose first 8 bytes hold `version`.
pub fn row(i: u64, version: u64, len: usize) -> Vec<u8> {
    let mut v = vec![(i % 251) as u8; len];
    v[..8].copy_from_slice(&version.to_le_bytes());
    v
}

/// Puts rows `0..n` of `keyspace` at `version`, in commits of `batch` rows.
pub fn load(storage: &Storage, keyspace: u32, n: u64, version: u64, len: usize, batch: u64) {
    let mut i = 0;
    while i < n {
        let end = (i + batch).min(n);
        let writes = (i..end)
            .map(|j| Write::Put {
                keyspace,
                key: key(j),
                value: row(j, version, len),
            })
            .collect();
        if let Err(e) = storage.commit(Commit {
            writes,
            synchronous: false,
            ..Commit::default()
        }) {
            panic!("bulk load failed: {e}");
        }
        i = end;
    }
}

/// Opens `dir` or stops the benchmark with the reason.
pub fn open(dir: &Path, options: Options) -> Storage {
    match Storage::open(dir, options) {
        Ok(s) => s,
        Err(e) => panic!("cannot open {}: {e}", dir.display()),
    }
}

/// A scratch directory under `DRIFTDB_BENCH_DIR` (default: the system temp dir).
pub fn scratch() -> tempfile::TempDir {
    let base = std::env::var_os("DRIFTDB_BENCH_DIR").map(std::path::PathBuf::from);
    let made = match base {
        Some(b) => tempfile::tempdir_in(b),
        None => tempfile::tempdir(),
    };
    match made {
        Ok(d) => d,
        Err(e) => panic!("cannot create a scratch directory: {e}"),
    }
}

/// The number of rows for the large benchmarks (`DRIFTDB_BENCH_ROWS`, default 1M).
pub fn rows() -> u64 {
    std::env::var("DRIFTDB_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Size of the file `dir`, or total size of the files under the directory `dir`.
pub fn disk_bytes(dir: &Path) -> u64 {
    if dir.is_file() {
        return std::fs::metadata(dir).map_or(0, |m| m.len());
    }
    let mut total = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in entries.flatten() {
        let Ok(md) = e.metadata() else { continue };
        total += if md.is_dir() {
            disk_bytes(&e.path())
        } else {
            md.len()
        };
    }
    total
}
