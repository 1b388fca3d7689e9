//! Crash test: a real child process commits from several threads and reports
//! each acknowledged seq; the parent SIGKILLs it at a random moment, reopens the
//! directory and checks that every acknowledged commit is there and that the
//! store equals a model rebuilt from what the log kept.
//!
//! `DRIFTDB_CRASH_ROUNDS` sets the number of rounds (default 50).

mod common;

use std::io::{BufRead, BufReader};
use std::ops::Bound;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Model, del, put};
use driftdb_storage::{Commit, Options, Result, Storage, StorageError, Write};
use rand::RngExt;

const CHILD_ENV: &str = "DRIFTDB_CRASH_CHILD_DIR";
const THREADS: u8 = 4;

/// The writes of commit number `counter` of `thread` in `round`: a pure function,
/// so the parent can rebuild any commit from its metadata.
fn writes_of(round: u32, thread: u8, counter: u32) -> Vec<Write> {
    let mut w = vec![
        put(
            1,
            &[thread, (counter % 16) as u8],
            &[&round.to_le_bytes()[..], &counter.to_le_bytes()].concat(),
        ),
        put(2, &[thread], &counter.to_le_bytes()),
    ];
    if counter.is_multiple_of(3) {
        w.push(del(1, &[thread, ((counter + 8) % 16) as u8]));
    }
    w
}

fn meta_of(round: u32, thread: u8, counter: u32) -> Vec<u8> {
    [&round.to_le_bytes()[..], &[thread], &counter.to_le_bytes()].concat()
}

fn parse_meta(meta: &[u8]) -> Option<(u32, u8, u32)> {
    if meta.len() != 9 {
        return None;
    }
    let round = u32::from_le_bytes(meta[0..4].try_into().ok()?);
    let counter = u32::from_le_bytes(meta[5..9].try_into().ok()?);
    Some((round, meta[4], counter))
}

fn options() -> Options {
    Options {
        segment_bytes: 64 << 10,
        checkpoint_bytes: 16 << 10,
        ..Options::default()
    }
}

/// The child: commits forever from several threads, printing `ack SEQ` for each.
#[test]
#[ignore = "run by crash_recovery_keeps_every_acknowledged_commit as its child process"]
fn crash_child() -> Result<()> {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return Ok(());
    };
    let round: u32 = std::env::var("DRIFTDB_CRASH_ROUND")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let storage = Storage::open(std::path::Path::new(&dir), options())?;
    let out = std::sync::Mutex::new(std::io::stdout());
    std::thread::scope(|s| {
        for thread in 0..THREADS {
            let (storage, out) = (&storage, &out);
            s.spawn(move || {
                for counter in 0.. {
                    let c = Commit {
                        writes: writes_of(round, thread, counter),
                        meta: meta_of(round, thread, counter),
                        // One thread commits asynchronously: it may lose its last
                        // commits, but it never acknowledges them as durable.
                        synchronous: thread != 0,
                        snapshot_seq: None,
                        reads: None,
                        invalidates_caches: false,
                        fresh_writes: Vec::new(),
                    };
                    match storage.commit(c) {
                        Ok(c) if thread != 0 => {
                            if let Ok(mut o) = out.lock() {
                                use std::io::Write as _;
                                let _ = writeln!(o, "ack {}", c.seq);
                                let _ = o.flush();
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            eprintln!("child commit failed: {e}");
                            return;
                        }
                    }
                }
            });
        }
    });
    Ok(())
}

#[test]
fn crash_recovery_keeps_every_acknowledged_commit() -> Result<()> {
    let rounds: u32 = std::env::var("DRIFTDB_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let exe = std::env::current_exe().map_err(|e| StorageError::io("current_exe", e))?;
    let mut rng = rand::rng();
    let mut model = Model::default();
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .env("DRIFTDB_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| StorageError::io(&exe, e))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| StorageError::Poisoned("no stdout".into()))?;
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(std::result::Result::ok)
                .filter_map(|l| l.strip_prefix("ack ").and_then(|s| s.parse::<u64>().ok()))
                .max()
                .unwrap_or(0)
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(30..250)));
        child.kill().map_err(|e| StorageError::io("kill", e))?;
        child.wait().map_err(|e| StorageError::io("wait", e))?;
        let max_acked = reader
            .join()
            .map_err(|_| StorageError::Poisoned("reader".into()))?;

        // verify accepts a crashed directory (a torn tail is a note, not damage).
        let report = driftdb_storage::verify(dir.path())?;
        assert!(
            report.last_seq >= max_acked,
            "round {round}: acknowledged seq {max_acked} lost"
        );
        if round % 2 == 1 && round + 1 < rounds {
            // Leave the recovery to the next child: it replays and crashes
            // again before the parent opens the directory.
            continue;
        }
        let storage = Storage::open(dir.path(), options())?;
        let snap = storage.snapshot()?;
        assert!(
            snap.seq() >= max_acked,
            "round {round}: acknowledged seq {max_acked} lost; store ends at {}",
            snap.seq()
        );
        for c in snap.commits(model.last_seq + 1..)? {
            let c = c?;
            let (r, t, n) = parse_meta(&c.meta)
                .ok_or_else(|| StorageError::Format(format!("bad meta at seq {}", c.seq)))?;
            model.apply(c.seq, &writes_of(r, t, n));
        }
        check(&model, &snap, &mut rng)?;
        drop(snap);
        drop(storage);
    }
    eprintln!(
        "crash test: {rounds} rounds, {} commits recovered",
        model.last_seq
    );
    assert!(
        model.last_seq > u64::from(rounds),
        "the child committed too little: {}",
        model.last_seq
    );
    Ok(())
}

/// The present, a few random past points, and every key's history.
fn check(
    model: &Model,
    snap: &driftdb_storage::StoreSnapshot,
    rng: &mut impl RngExt,
) -> Result<()> {
    assert_eq!(snap.seq(), model.last_seq);
    let mut points = vec![model.last_seq];
    for _ in 0..3 {
        points.push(rng.random_range(0..=model.last_seq));
    }
    for seq in points {
        for ks in [1, 2] {
            let got: Vec<_> = snap
                .scan_as_of(ks, (Bound::Unbounded, Bound::Unbounded), seq)?
                .map(|r| r.map(|(k, v)| (k, v.seq_from, v.value)))
                .collect::<Result<_>>()?;
            let want: Vec<_> = model
                .scan_as_of(ks, seq)
                .into_iter()
                .map(|(k, v)| (k, v.seq_from, v.value))
                .collect();
            assert_eq!(got, want, "keyspace {ks} as of seq {seq}");
        }
    }
    for ((ks, key), versions) in &model.keys {
        assert_eq!(&snap.history(*ks, key)?, versions);
    }
    Ok(())
}
