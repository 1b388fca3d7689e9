//! A property test of time travel through SQL: random histories of INSERT,
//! UPDATE and DELETE, with columns added and dropped in between, read back
//! `AS OF @SEQ:N` for every seq (and through `FOR SYSTEM_TIME ALL`) equal a
//! plain in-memory model of each seq's table.

use std::collections::BTreeMap;

use driftdb_engine::value::Value;
use driftdb_sql::exec::Output;
use driftdb_sql::session::Session;
use driftdb_storage::{Options, Storage};
use proptest::prelude::*;

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// One statement of a history.
#[derive(Debug, Clone)]
enum Op {
    Insert(i32, i32),
    Update(i32, i32),
    Delete(i32),
    AddColumn(i32),
    DropColumn,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..8i32, -50..50i32).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (0..8i32, -50..50i32).prop_map(|(k, v)| Op::Update(k, v)),
        2 => (0..8i32).prop_map(Op::Delete),
        1 => (-9..9i32).prop_map(Op::AddColumn),
        1 => Just(Op::DropColumn),
    ]
}

/// The table at one seq: column names, and rows by id (values in column order).
#[derive(Debug, Clone, Default, PartialEq)]
struct State {
    columns: Vec<String>,
    rows: BTreeMap<i32, Vec<Option<i32>>>,
}

fn rows_of(out: Vec<Output>) -> TestResult<Vec<Vec<Value>>> {
    match out.into_iter().next_back() {
        Some(Output::Rows { rows, .. }) => Ok(rows),
        other => Err(format!("expected rows, got {other:?}").into()),
    }
}

fn expected(state: &State) -> Vec<Vec<Value>> {
    state
        .rows
        .iter()
        .map(|(id, vals)| {
            std::iter::once(Value::Int4(*id))
                .chain(vals.iter().map(|v| v.map_or(Value::Null, Value::Int4)))
                .collect()
        })
        .collect()
}

fn check_history(ops: &[Op]) -> TestResult {
    let dir = tempfile::tempdir()?;
    let storage = Storage::open(dir.path(), Options::default())?;
    let mut s = Session::new(&storage, "model");
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)")?;
    let mut state = State {
        columns: vec!["a".into()],
        rows: BTreeMap::new(),
    };
    // states[seq - 1] is the table right after commit `seq`.
    let mut states = vec![state.clone()];
    let mut added = 0;
    for op in ops {
        let sql = match op {
            Op::Insert(k, v) if !state.rows.contains_key(k) => {
                let mut vals = vec![None; state.columns.len()];
                if let Some(first) = vals.first_mut() {
                    *first = Some(*v);
                }
                let cols: Vec<String> = state
                    .columns
                    .iter()
                    .skip(1)
                    .map(|c| format!(", {c}"))
                    .collect();
                let nulls: Vec<&str> = state.columns.iter().skip(1).map(|_| ", NULL").collect();
                if state.columns.is_empty() {
                    state.rows.insert(*k, Vec::new());
                    format!("INSERT INTO t (id) VALUES ({k})")
                } else {
                    state.rows.insert(*k, vals);
                    format!(
                        "INSERT INTO t (id, {}{}) VALUES ({k}, {v}{})",
                        state.columns[0],
                        cols.concat(),
                        nulls.concat()
                    )
                }
            }
            Op::Update(k, v) if state.rows.contains_key(k) && !state.columns.is_empty() => {
                let row = state.rows.get_mut(k).ok_or("row")?;
                if row[0] == Some(*v) {
                    continue;
                }
                row[0] = Some(*v);
                format!("UPDATE t SET {} = {v} WHERE id = {k}", state.columns[0])
            }
            Op::Delete(k) if state.rows.remove(k).is_some() => {
                format!("DELETE FROM t WHERE id = {k}")
            }
            Op::AddColumn(d) => {
                added += 1;
                let name = format!("c{added}");
                state.columns.push(name.clone());
                for vals in state.rows.values_mut() {
                    vals.push(Some(*d));
                }
                format!("ALTER TABLE t ADD COLUMN {name} INTEGER DEFAULT {d}")
            }
            Op::DropColumn if !state.columns.is_empty() => {
                let name = state.columns.pop().ok_or("column")?;
                for vals in state.rows.values_mut() {
                    vals.pop();
                }
                format!("ALTER TABLE t DROP COLUMN {name}")
            }
            _ => continue,
        };
        s.execute(&sql)?;
        states.push(state.clone());
    }
    let now = rows_of(s.execute("SELECT drift_seq()")?)?;
    assert_eq!(now, vec![vec![Value::Int8(states.len() as i64)]]);
    for (i, st) in states.iter().enumerate() {
        let seq = i + 1;
        let got = rows_of(s.execute(&format!(
            "SELECT * FROM t FOR SYSTEM_TIME AS OF @SEQ:{seq} ORDER BY id"
        ))?)?;
        assert_eq!(got, expected(st), "as of seq {seq} after {ops:?}");
    }
    // Every version, read under today's columns, covers each seq's rows.
    let all = rows_of(s.execute("SELECT id, _seq_from, _seq_to FROM t FOR SYSTEM_TIME ALL")?)?;
    for (i, st) in states.iter().enumerate() {
        let seq = (i + 1) as i64;
        let mut live: Vec<i32> = all
            .iter()
            .filter_map(|r| match r.as_slice() {
                [Value::Int4(id), Value::Int8(from), to] => {
                    let open = match to {
                        Value::Int8(to) => seq < *to,
                        _ => true,
                    };
                    (*from <= seq && open).then_some(*id)
                }
                _ => None,
            })
            .collect();
        live.sort_unstable();
        let want: Vec<i32> = st.rows.keys().copied().collect();
        assert_eq!(live, want, "versions live at seq {seq}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_seq_reads_back_as_the_model(ops in proptest::collection::vec(op(), 1..30)) {
        check_history(&ops).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
}
