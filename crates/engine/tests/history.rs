//! Time-travel reads against a model: for random histories of one table, the
//! versions each FOR SYSTEM_TIME form selects and drift_diff between any two
//! points equal what the SQL:2011 definitions say.

use std::collections::BTreeMap;
use std::ops::Bound;

use driftdb_engine::catalog::{self, NewColumn, TableDef};
use driftdb_engine::error::Result;
use driftdb_engine::history::{self, DiffOp, PointIn, Resolved, VersionFilter};
use driftdb_engine::table;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{DataType, Value};
use driftdb_storage::{Options, Storage, StorageError};
use proptest::prelude::*;

/// Model version: key, value, from, to.
type MVersion = (i32, i32, u64, Option<u64>);

fn setup() -> Result<(tempfile::TempDir, Storage, TableDef)> {
    let dir = tempfile::tempdir().map_err(|e| StorageError::io("tempdir", e))?;
    let s = Storage::open(dir.path(), Options::default())?;
    let mut t = Transaction::begin(&s)?;
    let def = catalog::create_table(
        &mut t,
        "public",
        "h",
        &[
            NewColumn {
                name: "k".into(),
                data_type: DataType::Int4,
                nullable: false,
                default: None,
                identity: None,
            },
            NewColumn {
                name: "v".into(),
                data_type: DataType::Int4,
                nullable: true,
                default: None,
                identity: None,
            },
        ],
        &["k"],
    )?;
    t.commit(Vec::new(), true)?;
    Ok((dir, s, def))
}

/// Applies `ops` (key, Some(value) = upsert, None = delete), one commit each,
/// and returns the model of every version.
fn run(s: &Storage, def: &TableDef, ops: &[(i32, Option<i32>)]) -> Result<(Vec<MVersion>, u64)> {
    let mut live: BTreeMap<i32, usize> = BTreeMap::new();
    let mut model: Vec<MVersion> = Vec::new();
    let mut last = 1;
    for (k, v) in ops {
        let mut t = Transaction::begin(s)?;
        let existing = table::get(&t, def, &[Value::Int4(*k)], None)?;
        match (v, existing) {
            (Some(v), Some((key, _))) => {
                table::update(&mut t, def, &key, vec![Value::Int4(*k), Value::Int4(*v)])?;
            }
            (Some(v), None) => {
                table::insert(&mut t, def, vec![Value::Int4(*k), Value::Int4(*v)])?;
            }
            (None, Some((key, _))) => table::delete(&mut t, def, &key)?,
            (None, None) => continue,
        }
        let seq = t.commit(Vec::new(), true)?.map_or(last, |c| c.seq);
        last = seq;
        if let Some(i) = live.remove(k) {
            model[i].3 = Some(seq);
        }
        if let Some(v) = v {
            live.insert(*k, model.len());
            model.push((*k, *v, seq, None));
        }
    }
    Ok((model, last))
}

fn selected(s: &Storage, def: &TableDef, f: VersionFilter) -> Result<Vec<MVersion>> {
    let snap = s.snapshot()?;
    let mut out: Vec<MVersion> =
        history::versions(&snap, def, (Bound::Unbounded, Bound::Unbounded), f)?
            .map(|r| {
                r.map(|rv| match (&rv.values[0], &rv.values[1]) {
                    (Value::Int4(k), Value::Int4(v)) => (*k, *v, rv.seq_from, rv.seq_to),
                    other => panic!("unexpected row {other:?}"),
                })
            })
            .collect::<Result<_>>()?;
    out.sort();
    Ok(out)
}

fn seq(n: u64) -> Resolved {
    Resolved {
        le: n,
        lt: n.saturating_sub(1),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn system_time_forms_select_what_sql_2011_says(
        ops in proptest::collection::vec((0i32..5, proptest::option::weighted(0.75, 0i32..100)), 1..25),
        a in 0u64..30,
        len in 0u64..30,
    ) {
        let (_dir, s, def) = setup()?;
        let (model, _) = run(&s, &def, &ops)?;
        let b = a + len;
        let end_after = |to: Option<u64>, p: u64| to.is_none_or(|t| t > p);
        let want = |pred: &dyn Fn(&MVersion) -> bool| {
            let mut w: Vec<MVersion> = model.iter().filter(|m| pred(m)).cloned().collect();
            w.sort();
            w
        };
        prop_assert_eq!(
            selected(&s, &def, VersionFilter::AsOf(seq(a)))?,
            want(&|m| m.2 <= a && end_after(m.3, a))
        );
        prop_assert_eq!(selected(&s, &def, VersionFilter::All)?, want(&|_| true));
        prop_assert_eq!(
            selected(&s, &def, VersionFilter::FromTo(seq(a), seq(b)))?,
            want(&|m| m.2 < b && end_after(m.3, a))
        );
        prop_assert_eq!(
            selected(&s, &def, VersionFilter::Between(seq(a), seq(b)))?,
            want(&|m| m.2 <= b && end_after(m.3, a))
        );
        prop_assert_eq!(
            selected(&s, &def, VersionFilter::ContainedIn(seq(a), seq(b)))?,
            want(&|m| m.2 >= a && m.3.is_some_and(|t| t <= b))
        );

        // drift_diff: compare the rows visible at a and at b.
        let snap = s.snapshot()?;
        let visible = |n: u64| -> BTreeMap<i32, (i32, u64)> {
            model.iter().filter(|m| m.2 <= n && end_after(m.3, n)).map(|m| (m.0, (m.1, m.2))).collect()
        };
        let (at_a, at_b) = (visible(a), visible(b));
        let diff = history::diff(&snap, &def, a, b)?;
        let mut keys: Vec<i32> = at_a.keys().chain(at_b.keys()).copied().collect();
        keys.sort();
        keys.dedup();
        let expected: Vec<(i32, DiffOp)> = keys
            .into_iter()
            .filter_map(|k| match (at_a.get(&k), at_b.get(&k)) {
                (None, Some(_)) => Some((k, DiffOp::Insert)),
                (Some(_), None) => Some((k, DiffOp::Delete)),
                (Some(x), Some(y)) if x.0 != y.0 => Some((k, DiffOp::Update)),
                _ => None,
            })
            .collect();
        let got: Vec<(i32, DiffOp)> = diff
            .iter()
            .map(|d| {
                let row = d.after.as_ref().or(d.before.as_ref());
                match row.map(|r| &r[0]) {
                    Some(Value::Int4(k)) => (*k, d.op),
                    other => panic!("unexpected diff row {other:?}"),
                }
            })
            .collect();
        prop_assert_eq!(got, expected);
        for d in &diff {
            prop_assert!(d.seq > a && d.seq <= b, "seq {} outside ({a}, {b}]", d.seq);
        }
    }
}

#[test]
fn time_points_resolve_to_the_commits_around_them() -> Result<()> {
    let (_dir, s, def) = setup()?;
    let (_, last) = run(&s, &def, &[(1, Some(1)), (2, Some(2))])?;
    let snap = s.snapshot()?;
    let ts = snap.commit(last)?.map(|c| c.commit_ts).unwrap_or_default();
    assert_eq!(
        history::resolve(&snap, PointIn::Time(ts))?,
        Resolved {
            le: last,
            lt: last - 1
        }
    );
    assert_eq!(
        history::resolve(&snap, PointIn::Time(ts + 1))?,
        Resolved { le: last, lt: last }
    );
    assert_eq!(
        history::resolve(&snap, PointIn::Time(ts - 1))?,
        Resolved {
            le: last - 1,
            lt: last - 1
        }
    );
    assert_eq!(
        history::resolve(&snap, PointIn::Time(0))?,
        Resolved { le: 0, lt: 0 }
    );
    Ok(())
}
