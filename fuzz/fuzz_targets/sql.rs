//! Feeds arbitrary text to the SQL layer: parse, bind, plan and execute, in a
//! fresh session on one data directory that already holds two tables with a
//! little history (so names resolve and time travel finds versions). Any
//! result or SQL error is fine; a panic is a bug. Input that is not UTF-8 is
//! skipped: SQL text reaches the engine as `&str`.

#![no_main]

use std::sync::OnceLock;

use driftdb_sql::session::Session;
use driftdb_storage::{Options, Storage};
use libfuzzer_sys::fuzz_target;

/// The tables every input can use; the UPDATE gives `t` a past.
const SETUP: &str = "
    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v BIGINT);
    CREATE TABLE u (id INTEGER PRIMARY KEY, t_id INTEGER, amount DOUBLE PRECISION, ok BOOLEAN, day DATE);
    INSERT INTO t VALUES (1, 'ann', 10), (2, 'bob', NULL), (3, NULL, -5);
    INSERT INTO u VALUES (1, 1, 2.5, true, '2024-01-31'), (2, 1, NULL, false, NULL), (3, 3, -1e300, NULL, '1999-12-31');
    UPDATE t SET v = v + 1 WHERE id = 1;
    DELETE FROM u WHERE id = 2;
";

/// The data directory, opened and set up once per fuzzing process. It lives
/// under the temp dir (`scripts/fuzz.sh` points TMPDIR at a scratch directory
/// it removes afterwards).
fn storage() -> &'static Storage {
    static STORAGE: OnceLock<(tempfile::TempDir, Storage)> = OnceLock::new();
    let (_, storage) = STORAGE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
        let storage = Storage::open(dir.path(), Options::default())
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", dir.path().display()));
        if let Err(e) = Session::new(&storage, "fuzz").execute(SETUP) {
            panic!("setup failed: {}: {}", e.sqlstate, e.message);
        }
        (dir, storage)
    });
    storage
}

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    let mut session = Session::new(storage(), "fuzz");
    // Commits need not wait for an fsync: durability is not under test here.
    if let Err(e) = session.set_parameter("synchronous_commit", "off") {
        panic!("cannot turn synchronous_commit off: {}", e.message);
    }
    let _ = session.execute_each(sql);
});
