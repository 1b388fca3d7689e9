//! An ordered map for keys that mostly come in ascending order.
//!
//! A bulk load adds rows by ascending key, and several ordered indexes on
//! its path (the overlay's key order, a transaction's write buffer) take one
//! key per row. In a B-tree each such key costs a search from the root;
//! here a key above every held one is appended to a sorted run after one
//! comparison. A key that falls among the held ones goes to a B-tree, which
//! holds only keys below every key of the run, so reading the tree and then
//! the run reads the map in order.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;

/// An ordered map; see the module documentation.
#[derive(Debug, Clone)]
pub struct AppendMap<K, V> {
    /// Keys below every key of `run`.
    tree: BTreeMap<K, V>,
    /// Keys above every key of `tree`, ascending.
    run: Vec<(K, V)>,
}

impl<K, V> Default for AppendMap<K, V> {
    fn default() -> Self {
        AppendMap {
            tree: BTreeMap::new(),
            run: Vec::new(),
        }
    }
}

impl<K: Ord, V> AppendMap<K, V> {
    /// Whether the map holds nothing.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty() && self.run.is_empty()
    }

    /// How many keys the map holds.
    pub fn len(&self) -> usize {
        self.tree.len() + self.run.len()
    }

    /// The greatest key held.
    fn last_key(&self) -> Option<&K> {
        self.run
            .last()
            .map(|(k, _)| k)
            .or_else(|| self.tree.last_key_value().map(|(k, _)| k))
    }

    /// The value of `key`. A key above every held one is known absent
    /// after one comparison.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        if self.last_key().is_none_or(|last| key > last.borrow()) {
            return None;
        }
        match self.run.first() {
            Some((first, _)) if key >= first.borrow() => self
                .run
                .binary_search_by(|(k, _)| k.borrow().cmp(key))
                .ok()
                .and_then(|at| self.run.get(at))
                .map(|(_, v)| v),
            _ => self.tree.get(key),
        }
    }

    /// Sets the value of `key`, replacing any it had.
    pub fn insert(&mut self, key: K, value: V) {
        if self.last_key().is_none_or(|last| key > *last) {
            self.run.push((key, value));
            return;
        }
        if self.run.first().is_none_or(|(first, _)| key < *first) {
            self.tree.insert(key, value);
            return;
        }
        match self.run.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(at) => {
                if let Some((_, v)) = self.run.get_mut(at) {
                    *v = value;
                }
            }
            Err(_) => {
                // Among the run's keys: the tree takes the run, then the key.
                self.tree.extend(self.run.drain(..));
                self.tree.insert(key, value);
            }
        }
    }

    /// The entries with keys within `lo..hi`, in key order; none when the
    /// bounds are crossed.
    pub fn range<'s, Q>(
        &'s self,
        lo: Bound<&Q>,
        hi: Bound<&Q>,
    ) -> impl DoubleEndedIterator<Item = (&'s K, &'s V)> + use<'s, K, V, Q>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let crossed = match (lo, hi) {
            (Bound::Included(a), Bound::Included(b)) => a > b,
            (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b))
            | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
            (Bound::Unbounded, _) | (_, Bound::Unbounded) => false,
        };
        let (tree, run) = if crossed {
            (None, &[][..])
        } else {
            let from = self.run.partition_point(|(k, _)| match lo {
                Bound::Included(b) => k.borrow().cmp(b) == Ordering::Less,
                Bound::Excluded(b) => k.borrow().cmp(b) != Ordering::Greater,
                Bound::Unbounded => false,
            });
            let to = self.run.partition_point(|(k, _)| match hi {
                Bound::Included(b) => k.borrow().cmp(b) != Ordering::Greater,
                Bound::Excluded(b) => k.borrow().cmp(b) == Ordering::Less,
                Bound::Unbounded => true,
            });
            let run = self.run.get(from..to.max(from)).unwrap_or_default();
            (Some(self.tree.range::<Q, _>((lo, hi))), run)
        };
        tree.into_iter()
            .flatten()
            .chain(run.iter().map(|(k, v)| (k, v)))
    }
}

impl<K, V> IntoIterator for AppendMap<K, V> {
    type Item = (K, V);
    type IntoIter =
        std::iter::Chain<std::collections::btree_map::IntoIter<K, V>, std::vec::IntoIter<(K, V)>>;

    /// Every entry, in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.tree.into_iter().chain(self.run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(0u8..4, 0..3)
    }

    proptest! {
        /// The map reads back as a `BTreeMap` would: point lookups, ranges
        /// both ways (crossed ones empty) and the whole in order, whatever
        /// order keys come in.
        #[test]
        fn reads_as_a_btree_map_does(
            writes in proptest::collection::vec((key(), any::<u8>()), 0..60),
            ascending in any::<bool>(),
            lo in key(),
            hi in key(),
        ) {
            let mut writes = writes;
            if ascending {
                writes.sort();
            }
            let mut map = AppendMap::default();
            let mut model = BTreeMap::new();
            for (k, v) in &writes {
                map.insert(k.clone(), *v);
                model.insert(k.clone(), *v);
            }
            for (k, _) in &writes {
                prop_assert_eq!(map.get(k.as_slice()), model.get(k.as_slice()));
            }
            prop_assert_eq!(map.get(lo.as_slice()), model.get(lo.as_slice()));
            prop_assert_eq!(map.len(), model.len());
            let bounds = [
                (Bound::Included(lo.as_slice()), Bound::Excluded(hi.as_slice())),
                (Bound::Excluded(lo.as_slice()), Bound::Included(hi.as_slice())),
                (Bound::Included(lo.as_slice()), Bound::Included(hi.as_slice())),
                (Bound::Unbounded, Bound::Excluded(hi.as_slice())),
                (Bound::Excluded(lo.as_slice()), Bound::Unbounded),
            ];
            for (a, b) in bounds {
                let got: Vec<_> = map.range(a, b).collect();
                let bounded = !matches!((a, b), (Bound::Unbounded, _) | (_, Bound::Unbounded));
                let want: Vec<_> = if lo > hi && bounded {
                    Vec::new()
                } else {
                    model.range::<[u8], _>((a, b)).collect()
                };
                prop_assert_eq!(&got, &want);
                let back: Vec<_> = map.range(a, b).rev().collect();
                prop_assert_eq!(back, want.into_iter().rev().collect::<Vec<_>>());
            }
            prop_assert_eq!(map.is_empty(), model.is_empty());
            let all: Vec<_> = map.into_iter().collect();
            let want: Vec<_> = model.into_iter().collect();
            prop_assert_eq!(all, want);
        }
    }
}
