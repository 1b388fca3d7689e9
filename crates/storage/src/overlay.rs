//! The overlay: commits the sequencer has made visible but not yet merged into
//! redb, indexed by key in memory.
//!
//! ```text
//! sequencer ─► active layer (a key -> its changes, oldest first)
//!              │ at each checkpoint: frozen, a new active layer opens
//!              ▼
//!            frozen layer ─► flusher: one durable redb transaction ─► retired
//! ```
//!
//! Making a commit visible costs a few map inserts instead of a redb write
//! transaction (copy-on-write of every page it touches, then a checksum and
//! write of each); redb takes the commits of a whole checkpoint interval in one
//! transaction, so a page many commits touch is copied and written once.
//!
//! A reader's view is the layers listed when it started plus redb as of the
//! seq redb records (`base`): it uses the changes numbered after `base` up to
//! its own seq, so a layer redb already holds is never counted twice. Layers
//! leave the list only after redb holds them, and the list is read before redb,
//! so every change a view needs is in one of the two.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use hashbrown::HashMap;
use hashbrown::hash_map::EntryRef;

use crate::frame::CommitRecord;
use crate::keys::{
    as_slice, current_bounds, current_key, current_key_into, key_hash, order_prefix,
};
use crate::store::KeyRange;
use crate::{AppendMap, CommitInfo, Version, Write};

/// One change of a key: the write of a commit that put or deleted it.
#[derive(Clone)]
pub(crate) struct Change {
    record: Arc<CommitRecord>,
    write: usize,
}

impl Change {
    /// The commit that made the change.
    pub(crate) fn seq(&self) -> u64 {
        self.record.seq
    }

    /// Whether it put a value (else it deleted the key).
    pub(crate) fn is_put(&self) -> bool {
        self.value().is_some()
    }

    /// The value put, or `None` for a delete.
    fn value(&self) -> Option<&[u8]> {
        match self.record.writes.get(self.write) {
            Some(Write::Put { value, .. }) => Some(value),
            _ => None,
        }
    }
}

/// What the overlay says of one key at a point: see [`OverlayView::point`].
pub(crate) enum PointRead {
    /// Its changes decide: the version then, or `None` when it was deleted.
    Decided(Option<Version>),
    /// No change of it at or before the point: the store has the answer,
    /// and a version the store holds as current ended at `ended_at`.
    Stored { ended_at: Option<u64> },
}

/// The last change of a key: see [`OverlayView::last_change`].
pub(crate) enum LastChange {
    /// At this seq.
    At(u64),
    /// At this seq, a delete, if the store holds the key; else the store's.
    DeleteIfStored(u64),
    /// The store's.
    Stored,
}

/// The commits of one stretch of the log, indexed by key.
#[derive(Default)]
pub(crate) struct Layer {
    data: RwLock<LayerData>,
    filter: KeyFilter,
}

/// 64-bit words of a layer's key filter (256 KiB): with 100,000 keys in the
/// layer, a key it lacks passes for present about 1% of the time.
const FILTER_WORDS: usize = 1 << 15;

/// A Bloom filter of the keys a layer holds, read without its lock: most
/// point reads ask for keys no recent commit wrote, and the filter answers
/// those without a lock or a descent of the layer's map. A key's bits are set
/// before its changes are added, and readers see the changes of commits up
/// to a seq published after that, so a reader never misses a key it needs.
struct KeyFilter(Box<[AtomicU64]>);

impl Default for KeyFilter {
    fn default() -> Self {
        KeyFilter((0..FILTER_WORDS).map(|_| AtomicU64::new(0)).collect())
    }
}

impl KeyFilter {
    /// A key's word and its two bits there (one cache line per lookup), from
    /// its [`key_hash`] mixed so every part of it spreads.
    fn place(hash: u64) -> (usize, u64) {
        let h = hash.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let h = h ^ (h >> 29);
        let mask = (1u64 << ((h >> 52) & 63)) | (1u64 << ((h >> 58) & 63));
        (h as usize % FILTER_WORDS, mask)
    }

    fn insert(&self, hash: u64) {
        let (word, mask) = Self::place(hash);
        if let Some(word) = self.0.get(word) {
            word.fetch_or(mask, Ordering::Relaxed);
        }
    }

    fn may_hold(&self, hash: u64) -> bool {
        let (word, mask) = Self::place(hash);
        self.0
            .get(word)
            .is_some_and(|word| word.load(Ordering::Relaxed) & mask == mask)
    }
}

#[derive(Default)]
struct LayerData {
    /// The commits in seq order.
    records: Vec<Arc<CommitRecord>>,
    /// Key in the `current` layout -> its changes, oldest first, one per commit
    /// (a commit that writes a key twice leaves its last write). A hash map:
    /// a point read finds its key in one probe; foldhash, seeded per process,
    /// hashes a short key in a fraction of SipHash's time. hashbrown's
    /// `entry_ref` finds or adds a key with one probe, copying it only when
    /// it is new.
    keys: HashMap<Arc<[u8]>, Changes, foldhash::quality::RandomState>,
    /// The same keys in order, for range reads; a bulk load's ascending
    /// keys are appended there without a search.
    order: AppendMap<OrderKey, ()>,
}

/// One key's changes in one layer, oldest first. Most keys of a layer change
/// once, and those keep their change inline instead of in a vector of its own.
enum Changes {
    One(Change),
    Many(Vec<Change>),
}

impl Changes {
    fn as_slice(&self) -> &[Change] {
        match self {
            Changes::One(change) => std::slice::from_ref(change),
            Changes::Many(changes) => changes,
        }
    }

    /// Adds `change`, which replaces the last change when both come from
    /// the same commit (its later write of the key wins).
    fn record(&mut self, change: Change) {
        match self {
            Changes::One(last) if last.seq() == change.seq() => *last = change,
            Changes::One(first) => *self = Changes::Many(vec![first.clone(), change]),
            Changes::Many(changes) => match changes.last_mut() {
                Some(last) if last.seq() == change.seq() => *last = change,
                _ => changes.push(change),
            },
        }
    }
}

/// A key of a layer's ordered index. It orders exactly as its bytes do, but
/// compares its first 16 bytes (zero-padded) as one number first: a bulk
/// load adds a key per row, and comparing bytes was most of that cost.
#[derive(Clone)]
struct OrderKey {
    prefix: u128,
    key: Arc<[u8]>,
}

impl OrderKey {
    fn new(key: Arc<[u8]>) -> Self {
        OrderKey {
            prefix: order_prefix(&[&key]),
            key,
        }
    }
}

impl PartialEq for OrderKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for OrderKey {}

impl PartialOrd for OrderKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderKey {
    /// Where the padded prefixes differ, the first difference is a byte both
    /// keys hold or one key's end, so the bytes order the same way.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.prefix
            .cmp(&other.prefix)
            .then_with(|| self.key.cmp(&other.key))
    }
}

impl std::borrow::Borrow<[u8]> for OrderKey {
    fn borrow(&self) -> &[u8] {
        &self.key
    }
}

impl Layer {
    fn read(&self) -> RwLockReadGuard<'_, LayerData> {
        self.data.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// An empty layer with room for `keys` keys.
    pub(crate) fn with_capacity(keys: usize) -> Self {
        Layer {
            data: RwLock::new(LayerData {
                keys: HashMap::with_capacity_and_hasher(keys, Default::default()),
                ..LayerData::default()
            }),
            filter: KeyFilter::default(),
        }
    }

    /// How many keys the layer holds.
    pub(crate) fn key_count(&self) -> usize {
        self.read().keys.len()
    }

    /// Adds commits, in seq order after those already here.
    pub(crate) fn add(&self, records: impl IntoIterator<Item = Arc<CommitRecord>>) {
        let mut data = self.data.write().unwrap_or_else(PoisonError::into_inner);
        let mut ck = Vec::new();
        for record in records {
            for (write, w) in record.writes.iter().enumerate() {
                let (keyspace, key) = w.target();
                let change = Change {
                    record: Arc::clone(&record),
                    write,
                };
                self.filter.insert(key_hash(keyspace, key));
                current_key_into(keyspace, key, &mut ck);
                let LayerData { keys, order, .. } = &mut *data;
                match keys.entry_ref(ck.as_slice()) {
                    EntryRef::Occupied(mut changes) => changes.get_mut().record(change),
                    EntryRef::Vacant(slot) => {
                        let ck: Arc<[u8]> = Arc::from(ck.as_slice());
                        order.insert(OrderKey::new(Arc::clone(&ck)), ());
                        slot.insert_with_key(ck, Changes::One(change));
                    }
                }
            }
            data.records.push(record);
        }
    }

    /// The commits, in seq order.
    pub(crate) fn records(&self) -> Vec<Arc<CommitRecord>> {
        self.read().records.clone()
    }
}

/// What one reader sees of the overlay: the changes numbered after `after`
/// (what redb holds) up to `upto` (the reader's seq).
#[derive(Clone, Default)]
pub(crate) struct OverlayView {
    layers: Vec<Arc<Layer>>,
    after: u64,
    upto: u64,
}

/// Keys handed out per refill of an [`OverlayRange`].
const CHUNK: usize = 256;

impl OverlayView {
    /// A view of `layers` (oldest first) for a reader at `upto` over a store
    /// that holds every commit up to `after`.
    pub(crate) fn new(layers: Vec<Arc<Layer>>, after: u64, upto: u64) -> Self {
        OverlayView {
            layers,
            after,
            upto,
        }
    }

    fn visible(&self, seq: u64) -> bool {
        seq > self.after && seq <= self.upto
    }

    /// The changes of `changes` (a key's, oldest first) this view sees: a
    /// slice found by binary search, however many versions the key has.
    fn window<'c>(&self, changes: &'c [Change]) -> &'c [Change] {
        let from = changes.partition_point(|c| c.seq() <= self.after);
        let to = changes.partition_point(|c| c.seq() <= self.upto);
        changes.get(from..to).unwrap_or_default()
    }

    /// Whether the view holds nothing (the store alone answers).
    fn is_empty(&self) -> bool {
        self.upto <= self.after || self.layers.is_empty()
    }

    /// Calls `visit` with the changes of `key` this view sees in each layer
    /// holding any, newest layer first, until it returns `Some`.
    fn walk<R>(
        &self,
        keyspace: u32,
        key: &[u8],
        mut visit: impl FnMut(&[Change]) -> Option<R>,
    ) -> Option<R> {
        if self.is_empty() {
            return None;
        }
        let hash = key_hash(keyspace, key);
        let mut ck = Vec::new();
        for layer in self.layers.iter().rev() {
            if !layer.filter.may_hold(hash) {
                continue;
            }
            if ck.is_empty() {
                ck = current_key(keyspace, key);
            }
            let data = layer.read();
            if let Some(found) = data
                .keys
                .get(ck.as_slice())
                .and_then(|c| visit(self.window(c.as_slice())))
            {
                return Some(found);
            }
        }
        None
    }

    /// The changes of `key` this view holds, oldest first.
    pub(crate) fn changes(&self, keyspace: u32, key: &[u8]) -> Vec<Change> {
        let mut layers: Vec<Vec<Change>> = Vec::new();
        self.walk(keyspace, key, |window| {
            layers.push(window.to_vec());
            None::<()>
        });
        layers.into_iter().rev().flatten().collect()
    }

    /// What this view says of `key` right after commit `seq`, read in place
    /// (a point read's hot path: no copies of the key's changes).
    pub(crate) fn point(&self, keyspace: u32, key: &[u8], seq: u64) -> PointRead {
        // The first change after `seq`, from the newer layers seen so far.
        let mut after = None;
        let decided = self.walk(keyspace, key, |window| {
            let answer = as_of(window, seq).map(|version| {
                version.map(|mut v| {
                    v.seq_to = v.seq_to.or(after);
                    v
                })
            });
            if answer.is_none() {
                after = window.first().map(Change::seq).or(after);
            }
            answer
        });
        match decided {
            Some(answer) => PointRead::Decided(answer),
            None => PointRead::Stored { ended_at: after },
        }
    }

    /// The last change of `key` this view sees that changed something: a
    /// delete counts only when the key existed before it.
    pub(crate) fn last_change(&self, keyspace: u32, key: &[u8]) -> LastChange {
        // The oldest of the newest run of deletes: real if the key existed
        // before it.
        let mut delete = None;
        let put = self.walk(keyspace, key, |window| {
            for change in window.iter().rev() {
                if change.is_put() {
                    return Some(delete.unwrap_or(change.seq()));
                }
                delete = Some(change.seq());
            }
            None
        });
        match (put, delete) {
            (Some(seq), _) => LastChange::At(seq),
            (None, Some(seq)) => LastChange::DeleteIfStored(seq),
            (None, None) => LastChange::Stored,
        }
    }

    /// The greatest key of `keyspace` (without its keyspace) that any layer of
    /// this view holds a change of, whether the view sees that change or not:
    /// no key above it was changed in the view.
    pub(crate) fn last_key(&self, keyspace: u32) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        let (lo, hi) = current_bounds(keyspace, (Bound::Unbounded, Bound::Unbounded));
        let range = (as_slice(&lo), as_slice(&hi));
        self.layers
            .iter()
            .filter_map(|layer| {
                let data = layer.read();
                let (last, ()) = data.order.range::<[u8]>(range.0, range.1).next_back()?;
                last.key.get(4..).map(<[u8]>::to_vec)
            })
            .max()
    }

    /// The commit numbered `seq`, when this view holds it.
    pub(crate) fn commit(&self, seq: u64) -> Option<CommitInfo> {
        if !self.visible(seq) {
            return None;
        }
        self.layers.iter().find_map(|layer| {
            let data = layer.read();
            let at = data.records.binary_search_by_key(&seq, |r| r.seq).ok()?;
            data.records.get(at).map(|r| commit_info(r))
        })
    }

    /// The commits of this view with seq in `range`, in seq order.
    pub(crate) fn commits(&self, range: &impl std::ops::RangeBounds<u64>) -> Vec<CommitInfo> {
        let mut out = Vec::new();
        if self.is_empty() {
            return out;
        }
        for layer in &self.layers {
            let data = layer.read();
            out.extend(
                data.records
                    .iter()
                    .filter(|r| self.visible(r.seq) && range.contains(&r.seq))
                    .map(|r| commit_info(r)),
            );
        }
        out
    }

    /// The keys of `keyspace` within `range` that this view changed, in key
    /// order, each with its changes oldest first.
    pub(crate) fn range(&self, keyspace: u32, range: KeyRange<'_>) -> OverlayRange {
        let (lo, hi) = current_bounds(keyspace, range);
        OverlayRange {
            done: self.is_empty(),
            view: self.clone(),
            next: lo,
            hi,
            buf: VecDeque::new(),
        }
    }
}

fn commit_info(r: &CommitRecord) -> CommitInfo {
    CommitInfo {
        seq: r.seq,
        commit_ts: r.commit_ts,
        meta: r.meta.clone(),
    }
}

/// The keys of a range an overlay view changed (user keys, without their
/// keyspace), read a chunk at a time so no layer stays locked while the
/// caller works.
pub(crate) struct OverlayRange {
    view: OverlayView,
    next: Bound<Vec<u8>>,
    hi: Bound<Vec<u8>>,
    buf: VecDeque<(Vec<u8>, Vec<Change>)>,
    done: bool,
}

/// Whether no key lies between `lo` and `hi` (the cases `BTreeMap::range`
/// refuses included).
fn bounds_empty(lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> bool {
    match (lo, hi) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b))
        | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
        _ => false,
    }
}

impl OverlayRange {
    fn refill(&mut self) {
        let lo = as_slice(&self.next);
        let hi = as_slice(&self.hi);
        if bounds_empty(lo, hi) {
            self.done = true;
            return;
        }
        // Each layer gives its first CHUNK keys; the CHUNK smallest of them
        // all are then complete in every layer.
        let mut merged: BTreeMap<Vec<u8>, Vec<Change>> = BTreeMap::new();
        let mut full = false;
        for layer in &self.view.layers {
            let data = layer.read();
            let mut taken = 0;
            for (k, ()) in data.order.range::<[u8]>(lo, hi).take(CHUNK) {
                taken += 1;
                let changes = data.keys.get(&*k.key).map_or(&[][..], Changes::as_slice);
                merged.entry(k.key.to_vec()).or_default().extend(
                    changes
                        .iter()
                        .filter(|c| self.view.visible(c.seq()))
                        .cloned(),
                );
            }
            full |= taken == CHUNK;
        }
        let keep = if full { CHUNK } else { merged.len() };
        self.done = !full;
        for (k, changes) in merged.into_iter().take(keep) {
            self.next = Bound::Excluded(k.clone());
            if !changes.is_empty() {
                let user_key = k.get(4..).map(<[u8]>::to_vec).unwrap_or_default();
                self.buf.push_back((user_key, changes));
            }
        }
    }
}

impl Iterator for OverlayRange {
    type Item = (Vec<u8>, Vec<Change>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buf.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            self.refill();
        }
    }
}

/// The version of a key right after commit `seq` when its overlay changes
/// decide it (one of them is at or before `seq`): `Some(None)` when deleted
/// then. `None` leaves it to the store.
pub(crate) fn as_of(changes: &[Change], seq: u64) -> Option<Option<Version>> {
    let at = changes.partition_point(|c| c.seq() <= seq);
    let change = changes.get(at.checked_sub(1)?)?;
    Some(change.value().map(|value| Version {
        seq_from: change.seq(),
        seq_to: changes.get(at).map(Change::seq),
        value: value.to_vec(),
    }))
}

/// Ends a version the store holds as current at the key's first overlay change.
pub(crate) fn close(version: &mut Version, changes: &[Change]) {
    if version.seq_to.is_none() {
        version.seq_to = changes.first().map(Change::seq);
    }
}

/// The versions the overlay changes of a key make, oldest first.
pub(crate) fn versions(changes: &[Change]) -> Vec<Version> {
    changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.value().map(|value| Version {
                seq_from: c.seq(),
                seq_to: changes.get(i + 1).map(Change::seq),
                value: value.to_vec(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::OrderKey;
    use proptest::prelude::*;
    use std::sync::Arc;

    proptest! {
        #[test]
        fn order_keys_order_as_their_bytes(
            a in proptest::collection::vec(prop_oneof![Just(0u8), Just(1u8), any::<u8>()], 0..24),
            b in proptest::collection::vec(prop_oneof![Just(0u8), Just(1u8), any::<u8>()], 0..24),
        ) {
            let (ka, kb) = (OrderKey::new(Arc::from(a.as_slice())), OrderKey::new(Arc::from(b.as_slice())));
            prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
            prop_assert_eq!(ka == kb, a == b);
        }
    }
}
