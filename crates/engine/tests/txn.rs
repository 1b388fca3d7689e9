//! Transactions over real storage: own writes, conflicts, savepoints, the past.

use std::collections::BTreeMap;
use std::ops::Bound;

use driftdb_engine::error::{EngineError, Result};
use driftdb_engine::txn::Transaction;
use driftdb_storage::{Options, Storage, StorageError};
use proptest::prelude::*;

fn open() -> Result<(tempfile::TempDir, Storage)> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let storage = Storage::open(dir.path(), Options::default())?;
    Ok((dir, storage))
}

type Rows = Vec<(Vec<u8>, Vec<u8>)>;

fn scan(t: &Transaction<'_>, ks: u32) -> Result<Rows> {
    t.scan(ks, (Bound::Unbounded, Bound::Unbounded))?.collect()
}

#[test]
fn own_writes_are_seen_and_merge_with_stored_rows() -> Result<()> {
    let (_dir, s) = open()?;
    let mut t = Transaction::begin(&s)?;
    t.put(5, b"a".to_vec(), b"1".to_vec());
    t.put(5, b"c".to_vec(), b"3".to_vec());
    t.put(6, b"z".to_vec(), b"other keyspace".to_vec());
    assert_eq!(t.commit(Vec::new(), true)?.map(|c| c.seq), Some(1));

    let mut t = Transaction::begin(&s)?;
    t.put(5, b"b".to_vec(), b"2".to_vec());
    t.put(5, b"c".to_vec(), b"3'".to_vec());
    t.delete(5, b"a".to_vec());
    assert_eq!(t.get(5, b"a")?, None);
    assert_eq!(t.get(5, b"c")?, Some(b"3'".to_vec()));
    assert_eq!(
        scan(&t, 5)?,
        vec![
            (b"b".to_vec(), b"2".to_vec()),
            (b"c".to_vec(), b"3'".to_vec())
        ]
    );
    // Another transaction sees none of it before commit.
    let other = Transaction::begin(&s)?;
    assert_eq!(other.get(5, b"a")?, Some(b"1".to_vec()));
    drop(other);
    t.commit(Vec::new(), true)?;
    let after = Transaction::begin(&s)?;
    assert_eq!(scan(&after, 5)?.len(), 2);
    // The past stays readable.
    assert_eq!(
        after.get_as_of(5, b"a", 1)?.map(|v| v.value),
        Some(b"1".to_vec())
    );
    let past: Vec<_> = after
        .scan_as_of(5, (Bound::Unbounded, Bound::Unbounded), 1)?
        .collect::<std::result::Result<_, _>>()?;
    assert_eq!(past.len(), 2);
    Ok(())
}

#[test]
fn the_second_writer_of_a_key_fails_with_40001() -> Result<()> {
    let (_dir, s) = open()?;
    let mut first = Transaction::begin(&s)?;
    let mut second = Transaction::begin(&s)?;
    first.put(1, b"k".to_vec(), b"first".to_vec());
    second.put(1, b"k".to_vec(), b"second".to_vec());
    first.commit(Vec::new(), true)?;
    let err = second.commit(Vec::new(), true).err();
    assert_eq!(
        err.as_ref().map(EngineError::sqlstate),
        Some("40001"),
        "{err:?}"
    );
    // Writers of different keys both commit.
    let mut a = Transaction::begin(&s)?;
    let mut b = Transaction::begin(&s)?;
    a.put(1, b"x".to_vec(), b"a".to_vec());
    b.put(1, b"y".to_vec(), b"b".to_vec());
    assert!(a.commit(Vec::new(), true)?.is_some());
    assert!(b.commit(Vec::new(), true)?.is_some());
    Ok(())
}

#[test]
fn a_transaction_without_writes_takes_no_seq() -> Result<()> {
    let (_dir, s) = open()?;
    let t = Transaction::begin(&s)?;
    assert!(!t.has_writes());
    assert_eq!(t.commit(Vec::new(), true)?, None);
    let mut t = Transaction::begin(&s)?;
    t.put(1, b"k".to_vec(), b"v".to_vec());
    assert_eq!(t.commit(Vec::new(), true)?.map(|c| c.seq), Some(1));
    Ok(())
}

#[test]
fn savepoints_roll_back_and_release() -> Result<()> {
    let (_dir, s) = open()?;
    let mut t = Transaction::begin(&s)?;
    t.put(1, b"a".to_vec(), b"1".to_vec());
    t.savepoint("s1");
    t.put(1, b"b".to_vec(), b"2".to_vec());
    t.savepoint("s2");
    t.delete(1, b"a".to_vec());
    t.rollback_to("s1")?;
    assert_eq!(t.get(1, b"a")?, Some(b"1".to_vec()));
    assert_eq!(t.get(1, b"b")?, None);
    // The savepoint survives ROLLBACK TO; s2 does not.
    t.put(1, b"c".to_vec(), b"3".to_vec());
    t.rollback_to("s1")?;
    assert_eq!(t.get(1, b"c")?, None);
    assert_eq!(
        t.rollback_to("s2").err().map(|e| e.sqlstate()),
        Some("3B001")
    );
    t.put(1, b"d".to_vec(), b"4".to_vec());
    t.release("s1")?;
    assert_eq!(t.get(1, b"d")?, Some(b"4".to_vec()));
    assert_eq!(t.release("s1").err().map(|e| e.sqlstate()), Some("3B001"));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn scans_merge_like_an_overlay(
        stored in proptest::collection::btree_map(0u8..16, any::<u8>(), 0..12),
        own in proptest::collection::btree_map(0u8..16, proptest::option::of(any::<u8>()), 0..12),
        lo in 0u8..17,
        hi in 0u8..17,
    ) {
        let (_dir, s) = open()?;
        let mut t = Transaction::begin(&s)?;
        for (k, v) in &stored {
            t.put(3, vec![*k], vec![*v]);
        }
        t.commit(Vec::new(), false)?;
        let mut t = Transaction::begin(&s)?;
        let mut want: BTreeMap<u8, u8> = stored.clone();
        for (k, v) in &own {
            match v {
                Some(v) => {
                    t.put(3, vec![*k], vec![*v]);
                    want.insert(*k, *v);
                }
                None => {
                    t.delete(3, vec![*k]);
                    want.remove(k);
                }
            }
        }
        let want: Vec<_> = want.into_iter().map(|(k, v)| (vec![k], vec![v])).collect();
        prop_assert_eq!(scan(&t, 3)?, want.clone());
        let (lo, hi) = ([lo], [hi]);
        let ranged: Rows = t
            .scan(3, (Bound::Included(&lo[..]), Bound::Excluded(&hi[..])))?
            .collect::<Result<_>>()?;
        let want_range: Rows = want.into_iter().filter(|(k, _)| lo[0] <= k[0] && k[0] < hi[0]).collect();
        prop_assert_eq!(ranged, want_range);
    }
}
