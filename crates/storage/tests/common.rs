//! A plain in-memory model of the versioned store that the tests compare against.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ops::Bound;

use driftdb_storage::{Commit, Result, StoreSnapshot, Version, Write};

/// Every version of every key, as a list per key, oldest first.
#[derive(Debug, Default, Clone)]
pub struct Model {
    pub keys: BTreeMap<(u32, Vec<u8>), Vec<Version>>,
    pub last_seq: u64,
}

impl Model {
    pub fn apply(&mut self, seq: u64, writes: &[Write]) {
        for w in writes {
            let (ks, key) = w.target();
            let versions = self.keys.entry((ks, key.to_vec())).or_default();
            if let Some(last) = versions.last_mut()
                && last.seq_to.is_none()
            {
                if last.seq_from == seq {
                    versions.pop();
                } else {
                    last.seq_to = Some(seq);
                }
            }
            if let Write::Put { value, .. } = w {
                versions.push(Version {
                    seq_from: seq,
                    seq_to: None,
                    value: value.clone(),
                });
            }
        }
        self.keys.retain(|_, v| !v.is_empty());
        self.last_seq = seq;
    }

    pub fn get_as_of(&self, ks: u32, key: &[u8], seq: u64) -> Option<Version> {
        self.keys
            .get(&(ks, key.to_vec()))?
            .iter()
            .find(|v| v.visible_at(seq))
            .cloned()
    }

    pub fn scan_as_of(&self, ks: u32, seq: u64) -> Vec<(Vec<u8>, Version)> {
        self.keys
            .iter()
            .filter(|((k, _), _)| *k == ks)
            .filter_map(|((_, key), vs)| {
                vs.iter()
                    .find(|v| v.visible_at(seq))
                    .map(|v| (key.clone(), v.clone()))
            })
            .collect()
    }

    pub fn history(&self, ks: u32, key: &[u8]) -> Vec<Version> {
        self.keys
            .get(&(ks, key.to_vec()))
            .cloned()
            .unwrap_or_default()
    }

    /// Checks every read of `snap` against the model at every seq.
    pub fn check(&self, snap: &StoreSnapshot, keyspaces: &[u32]) -> Result<()> {
        assert_eq!(snap.seq(), self.last_seq, "applied seq");
        // Existence first, before a range read sorts the overlay's newest
        // keys into its ordered index: for each key, and the key just after
        // it (absent unless also written). A uniqueness check skips the
        // lookup above the greatest key of a keyspace, and must still agree
        // with `get`.
        for (ks, key) in self.keys.keys() {
            let mut next = key.clone();
            next.push(0);
            for probe in [key, &next] {
                assert_eq!(
                    snap.contains(*ks, probe)?,
                    snap.get(*ks, probe)?.is_some(),
                    "contains {probe:?}"
                );
            }
        }
        for seq in 0..=self.last_seq {
            for &ks in keyspaces {
                let got: Vec<_> = snap
                    .scan_as_of(ks, (Bound::Unbounded, Bound::Unbounded), seq)?
                    .collect::<Result<_>>()?;
                let want = self.scan_as_of(ks, seq);
                assert_eq!(got, want, "scan of keyspace {ks} as of seq {seq}");
                for (key, _) in &want {
                    let got = snap.get_as_of(ks, key, seq)?;
                    let want = self.get_as_of(ks, key, seq);
                    assert_eq!(
                        got.map(|v| (v.seq_from, v.value)),
                        want.map(|v| (v.seq_from, v.value)),
                        "get {key:?} as of {seq}"
                    );
                }
            }
        }
        for &ks in keyspaces {
            let got: Vec<_> = snap
                .scan_versions(ks, (Bound::Unbounded, Bound::Unbounded))?
                .collect::<Result<_>>()?;
            let want: Vec<_> = self
                .keys
                .iter()
                .filter(|((k, _), _)| *k == ks)
                .flat_map(|((_, key), vs)| vs.iter().rev().map(|v| (key.clone(), v.clone())))
                .collect();
            assert_eq!(got, want, "every version of keyspace {ks}");
        }
        let commits: Vec<u64> = snap
            .commits(..)?
            .map(|c| c.map(|c| c.seq))
            .collect::<Result<_>>()?;
        assert_eq!(commits, (1..=self.last_seq).collect::<Vec<_>>(), "commits");
        for ((ks, key), versions) in &self.keys {
            assert_eq!(&snap.history(*ks, key)?, versions, "history of {key:?}");
            let last_change = versions
                .last()
                .map_or(0, |v| v.seq_from.max(v.seq_to.unwrap_or(0)));
            assert_eq!(
                snap.last_change_seq(*ks, key)?,
                last_change,
                "last change of {key:?}"
            );
            for seq in 0..=self.last_seq {
                let got = snap.get_as_of(*ks, key, seq)?;
                let want = self.get_as_of(*ks, key, seq);
                assert_eq!(got, want, "get {key:?} as of {seq}");
            }
        }
        Ok(())
    }
}

/// A synchronous commit of `writes` with no conflict check.
pub fn commit_of(writes: Vec<Write>) -> Commit {
    Commit {
        writes,
        meta: Vec::new(),
        synchronous: true,
        snapshot_seq: None,
        reads: None,
        invalidates_caches: false,
        fresh_writes: Vec::new(),
    }
}

pub fn put(ks: u32, key: &[u8], value: &[u8]) -> Write {
    Write::Put {
        keyspace: ks,
        key: key.to_vec(),
        value: value.to_vec(),
    }
}

pub fn del(ks: u32, key: &[u8]) -> Write {
    Write::Delete {
        keyspace: ks,
        key: key.to_vec(),
    }
}
