//! Sequences over real storage: values survive a reopen, are never handed
//! out twice (not to a rolled-back transaction, not to racing threads), and
//! the definition is versioned like the rest of the catalog.

use std::collections::HashSet;
use std::path::Path;

use driftdb_engine::error::{EngineError, Result};
use driftdb_engine::sequence::{self, SequenceDef, SequenceOptions, SessionValues};
use driftdb_engine::txn::Transaction;
use driftdb_storage::{Options, Storage, StorageError};

fn tempdir() -> Result<tempfile::TempDir> {
    Ok(tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?)
}

fn open(dir: &Path) -> Result<Storage> {
    Ok(Storage::open(dir, Options::default())?)
}

/// Creates sequence `s` and commits it; the seq of that commit.
fn create(storage: &Storage) -> Result<u64> {
    let mut t = Transaction::begin(storage)?;
    let def = SequenceDef::new("public", "s", &SequenceOptions::default(), None)?;
    sequence::create_sequence(&mut t, def)?;
    let committed = t
        .commit(Vec::new(), true)?
        .ok_or_else(|| EngineError::Corrupted("the create made no commit".into()))?;
    Ok(committed.seq)
}

fn next(storage: &Storage) -> Result<i64> {
    let t = Transaction::begin(storage)?;
    let def = sequence::get_sequence(&t, "public", "s", None)?
        .ok_or_else(|| EngineError::UndefinedTable("s".into()))?;
    sequence::nextval(&t, &def)
}

#[test]
fn values_continue_after_a_reopen() -> Result<()> {
    let dir = tempdir()?;
    {
        let storage = open(dir.path())?;
        create(&storage)?;
        assert_eq!(
            (next(&storage)?, next(&storage)?, next(&storage)?),
            (1, 2, 3)
        );
    }
    // The first commit reserved 1 ..= 32; a reopen goes on after them.
    let storage = open(dir.path())?;
    assert_eq!(next(&storage)?, 33);
    Ok(())
}

#[test]
fn a_rolled_back_value_is_not_handed_out_again() -> Result<()> {
    let dir = tempdir()?;
    let storage = open(dir.path())?;
    create(&storage)?;
    {
        let t = Transaction::begin(&storage)?;
        let def = sequence::get_sequence(&t, "public", "s", None)?
            .ok_or_else(|| EngineError::UndefinedTable("s".into()))?;
        assert_eq!(sequence::nextval(&t, &def)?, 1);
        // Dropped without commit: rolled back.
    }
    assert_eq!(next(&storage)?, 2);
    Ok(())
}

#[test]
fn racing_threads_get_distinct_values() -> Result<()> {
    let dir = tempdir()?;
    let storage = open(dir.path())?;
    create(&storage)?;
    let per_thread = 50;
    let taken: Vec<Vec<i64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    (0..per_thread)
                        .map(|_| next(&storage))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(EngineError::Corrupted("thread panicked".into())))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let all: HashSet<i64> = taken.iter().flatten().copied().collect();
    assert_eq!(all.len(), 4 * per_thread);
    assert_eq!(all.iter().max(), Some(&(4 * per_thread as i64)));
    for values in &taken {
        assert!(
            values.windows(2).all(|w| w[0] < w[1]),
            "each thread's values increase"
        );
    }
    Ok(())
}

#[test]
fn currval_is_per_session_and_the_definition_is_versioned() -> Result<()> {
    let dir = tempdir()?;
    let storage = open(dir.path())?;
    let created = create(&storage)?;
    let mut t = Transaction::begin(&storage)?;
    let session = SessionValues::new("u");
    t.set_sequence_values(session.clone());
    let def = sequence::get_sequence(&t, "public", "s", None)?
        .ok_or_else(|| EngineError::UndefinedTable("s".into()))?;
    assert!(matches!(
        session.currval(&def),
        Err(EngineError::NotYetDefined(_))
    ));
    let v = sequence::nextval(&t, &def)?;
    assert_eq!(session.currval(&def)?, v);
    assert!(sequence::get_sequence(&t, "public", "s", Some(created - 1))?.is_none());
    assert!(sequence::get_sequence(&t, "public", "s", Some(created))?.is_some());
    Ok(())
}
