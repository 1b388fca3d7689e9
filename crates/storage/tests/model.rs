//! Property test: random puts and deletes over many commits read back exactly
//! like a plain in-memory model, as of every seq, before and after reopening.

mod common;

use common::{Model, commit_of, del, put};
use driftdb_storage::{Options, Storage, StorageError, Write};
use proptest::prelude::*;

fn write_strategy() -> impl Strategy<Value = Write> {
    let key = proptest::collection::vec(
        prop_oneof![Just(0u8), Just(1u8), Just(0xFFu8), any::<u8>()],
        0..3,
    );
    let value = proptest::collection::vec(any::<u8>(), 0..20);
    prop_oneof![
        3 => (1u32..4, key.clone(), value).prop_map(|(ks, k, v)| put(ks, &k, &v)),
        1 => (1u32..4, key).prop_map(|(ks, k)| del(ks, &k)),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Commit(Vec<Write>),
    Reopen,
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => proptest::collection::vec(write_strategy(), 1..6).prop_map(Step::Commit),
        1 => Just(Step::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model(steps in proptest::collection::vec(step_strategy(), 1..40)) {
        let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
        let options = Options { segment_bytes: 256, checkpoint_bytes: 700, ..Options::default() };
        let mut storage = Storage::open(dir.path(), options.clone())?;
        let mut model = Model::default();
        for step in steps {
            match step {
                Step::Commit(writes) => {
                    let c = storage.commit(commit_of(writes.clone()))?;
                    prop_assert_eq!(c.seq, model.last_seq + 1);
                    model.apply(c.seq, &writes);
                }
                Step::Reopen => {
                    drop(storage);
                    storage = Storage::open(dir.path(), options.clone())?;
                    model.check(&storage.snapshot()?, &[1, 2, 3])?;
                }
            }
        }
        model.check(&storage.snapshot()?, &[1, 2, 3])?;
        drop(storage);
        let storage = Storage::open(dir.path(), options)?;
        model.check(&storage.snapshot()?, &[1, 2, 3])?;
    }
}
