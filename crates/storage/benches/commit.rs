//! (a) Commits per second with 1, 8 and 64 concurrent committers, fsync on:
//! group commit should make 64 committers far faster than one.
//!
//! `handoff_ceiling` measures, in the same run, what the machine allows any
//! group commit whose committers are threads (as our server's sessions are):
//! the same committers hand a 150-byte record to one thread over the same
//! kind of channel, which writes each batch to a preallocated file, fsyncs
//! it once and answers each committer; no database work at all. DriftDB's
//! figures read best against it.

#[path = "support.rs"]
mod support;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use driftdb_storage::{Commit, Options, Write};

/// Runs `op(thread, i)` on 1, 8 and 64 threads at once as the group
/// `name`, each thread for every iteration: one element per thread.
fn with_committers(c: &mut Criterion, name: &str, op: impl Fn(u64, u64) + Sync) {
    let mut group = c.benchmark_group(name);
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
                            let op = &op;
                            s.spawn(move || (0..iters).for_each(|i| op(t, i)));
                        }
                    });
                    start.elapsed()
                });
            },
        );
    }
    group.finish();
}

fn commits(c: &mut Criterion) {
    let dir = support::scratch();
    let storage = support::open(dir.path(), Options::default());
    with_committers(c, "durable_commits", |t, i| {
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
    });
}

/// A request to the hand-off thread: its record and where to answer.
type Handoff = (Vec<u8>, SyncSender<()>);

/// The hand-off thread: takes every waiting record, writes them at the
/// end of `file` (preallocated up to `room` bytes, then reused from the
/// start), fsyncs once and answers each.
fn sync_loop(file: &File, room: u64, requests: &Receiver<Handoff>) {
    let mut at = 0u64;
    let mut batch: Vec<Handoff> = Vec::new();
    let mut bytes = Vec::new();
    while let Ok(first) = requests.recv() {
        batch.push(first);
        while let Ok(next) = requests.try_recv() {
            batch.push(next);
        }
        bytes.clear();
        for (record, _) in &batch {
            bytes.extend_from_slice(record);
        }
        if at + bytes.len() as u64 > room {
            at = 0;
        }
        if let Err(e) = file
            .write_all_at(&bytes, at)
            .and_then(|()| file.sync_data())
        {
            panic!("write failed: {e}");
        }
        at += bytes.len() as u64;
        for (_, reply) in batch.drain(..) {
            let _ = reply.send(());
        }
    }
}

fn handoff_ceiling(c: &mut Criterion) {
    const ROOM: u64 = 64 << 20;
    let dir = support::scratch();
    let path = dir.path().join("handoff");
    let file = match File::create(&path).and_then(|f| {
        f.write_all_at(&vec![0u8; ROOM as usize], 0)?;
        f.sync_all()?;
        Ok(f)
    }) {
        Ok(f) => f,
        Err(e) => panic!("cannot make {}: {e}", path.display()),
    };
    let (to_syncer, requests) = sync_channel::<Handoff>(4096);
    std::thread::scope(|s| {
        let file = &file;
        s.spawn(move || sync_loop(file, ROOM, &requests));
        with_committers(c, "handoff_ceiling", |_, i| {
            let (reply, answer) = sync_channel(1);
            let record = support::row(i, i, 150);
            if to_syncer.send((record, reply)).is_err() || answer.recv().is_err() {
                panic!("the hand-off thread stopped");
            }
        });
        drop(to_syncer);
    });
}

criterion_group!(benches, commits, handoff_ceiling);
criterion_main!(benches);
