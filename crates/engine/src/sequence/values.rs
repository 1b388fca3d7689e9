//! Handing out a sequence's values: reserved by commits of their own, outside
//! the calling transaction, and remembered per session for `currval` and
//! `lastval` (see the module above for why).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use driftdb_storage::{Commit, StorageError, Write};

use super::{SEQUENCE_STATE, SequenceDef, list_sequences};
use crate::commit_meta::CommitMeta;
use crate::error::{EngineError, Result};
use crate::txn::Transaction;

/// The values this session has taken: `currval` per sequence and which
/// sequence `lastval` reads. Shared by every transaction of one session.
#[derive(Debug, Clone, Default)]
pub struct SessionValues {
    inner: Arc<Mutex<Taken>>,
    /// Recorded as the user of the commits `nextval` and `setval` make.
    pub user_name: String,
}

#[derive(Debug, Default)]
struct Taken {
    current: HashMap<u32, i64>,
    last: Option<(u32, String)>,
}

impl SessionValues {
    /// An empty record for a session of `user_name`.
    pub fn new(user_name: &str) -> Self {
        SessionValues {
            inner: Arc::default(),
            user_name: user_name.to_string(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Taken) -> T) -> T {
        match self.inner.lock() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// `currval`: the value `nextval` last gave this session (55000 before).
    pub fn currval(&self, def: &SequenceDef) -> Result<i64> {
        self.with(|t| t.current.get(&def.id).copied())
            .ok_or_else(|| {
                EngineError::NotYetDefined(format!(
                    "currval of sequence \"{}\" is not yet defined in this session",
                    def.name
                ))
            })
    }

    /// `lastval`: the value of the session's latest `nextval`, whichever
    /// sequence gave it; the sequence must still exist.
    pub fn lastval(&self, txn: &Transaction<'_>) -> Result<i64> {
        let not_yet =
            || EngineError::NotYetDefined("lastval is not yet defined in this session".into());
        let (id, schema) = self.with(|t| t.last.clone()).ok_or_else(not_yet)?;
        if !list_sequences(txn, None)?
            .iter()
            .any(|s| s.id == id && s.schema == schema)
        {
            return Err(not_yet());
        }
        self.with(|t| t.current.get(&id).copied())
            .ok_or_else(not_yet)
    }

    fn took(&self, def: &SequenceDef, value: i64, last: bool) {
        self.with(|t| {
            t.current.insert(def.id, value);
            if last {
                t.last = Some((def.id, def.schema.clone()));
            }
        });
    }
}

/// The stored state: the last value handed out (or set) and whether it was
/// handed out (`false`: the next `nextval` returns it).
fn read_state(txn: &Transaction<'_>, def: &SequenceDef) -> Result<((i64, bool), u64)> {
    let snapshot = txn.storage().snapshot()?;
    let state = match snapshot.get(SEQUENCE_STATE, &def.id.to_be_bytes())? {
        None => (def.start, false),
        Some(v) => {
            let [a, b, c, d, e, f, g, h, called] = v.value.as_slice() else {
                return Err(EngineError::Corrupted("sequence state".into()));
            };
            (
                i64::from_le_bytes([*a, *b, *c, *d, *e, *f, *g, *h]),
                *called != 0,
            )
        }
    };
    Ok((state, snapshot.seq()))
}

/// Commits a new state over the one read at `seq`; `false` when another
/// session changed it first (the caller reads again).
fn write_state(
    txn: &Transaction<'_>,
    def: &SequenceDef,
    value: i64,
    called: bool,
    seq: u64,
) -> Result<bool> {
    let mut bytes = value.to_le_bytes().to_vec();
    bytes.push(u8::from(called));
    let meta = CommitMeta {
        user_name: txn.sequence_values().user_name.clone(),
        application_name: String::new(),
        tables: vec![format!("{}.{}", def.schema, def.name)],
    };
    let commit = Commit {
        writes: vec![Write::Put {
            keyspace: SEQUENCE_STATE,
            key: def.id.to_be_bytes().to_vec(),
            value: bytes,
        }],
        meta: meta.encode(),
        synchronous: false,
        snapshot_seq: Some(seq),
        reads: None,
        invalidates_caches: false,
        fresh_writes: Vec::new(),
    };
    match txn.storage().commit(commit) {
        Ok(_) => Ok(true),
        Err(StorageError::WriteConflict { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// How many values one commit reserves ahead.
const RESERVE: usize = 32;

/// Values reserved ahead (committed as handed out, not yet handed out), per
/// sequence id: one per open storage, shared by all its sessions, so values
/// go out in order whichever session asks.
#[derive(Debug, Default)]
struct Reserved(Mutex<HashMap<u32, VecDeque<i64>>>);

/// `nextval`: the sequence's next value. It was committed before it is
/// handed out (a rollback of the calling transaction does not give it
/// back); one commit reserves the next 32 values.
pub fn nextval(txn: &Transaction<'_>, def: &SequenceDef) -> Result<i64> {
    writable(txn, "nextval()")?;
    let reserved = txn.storage().shared::<Reserved>();
    let mut map = reserved.0.lock().unwrap_or_else(PoisonError::into_inner);
    let queue = map.entry(def.id).or_default();
    if queue.is_empty() {
        *queue = reserve(txn, def)?;
    }
    let next = queue
        .pop_front()
        .ok_or_else(|| EngineError::Corrupted("empty sequence reservation".into()))?;
    drop(map);
    txn.sequence_values().took(def, next, true);
    Ok(next)
}

/// Commits the state past the next values (up to `RESERVE`, fewer before a
/// limit) and returns them, in order.
fn reserve(txn: &Transaction<'_>, def: &SequenceDef) -> Result<VecDeque<i64>> {
    loop {
        txn.check_interrupt()?;
        let ((last, called), seq) = read_state(txn, def)?;
        let first = if called { advance(def, last)? } else { last };
        let mut values = VecDeque::from([first]);
        let mut at = first;
        while values.len() < RESERVE {
            match advance(def, at) {
                Ok(n) => at = n,
                Err(_) => break,
            }
            values.push_back(at);
        }
        if write_state(txn, def, at, true, seq)? {
            return Ok(values);
        }
    }
}

/// Starts the sequence over (`TRUNCATE … RESTART IDENTITY`): the next
/// `nextval` returns its start value. Committed at once, as `setval` is.
pub fn restart(txn: &Transaction<'_>, def: &SequenceDef) -> Result<()> {
    setval(txn, def, def.start, false).map(|_| ())
}

fn writable(txn: &Transaction<'_>, what: &str) -> Result<()> {
    if txn.is_read_only() {
        return Err(EngineError::ReadOnly(what.to_string()));
    }
    Ok(())
}

fn advance(def: &SequenceDef, last: i64) -> Result<i64> {
    let next = last.checked_add(def.increment);
    let exhausted = |which: &str, limit: i64| {
        EngineError::SequenceExhausted(format!(
            "nextval: reached {which} value of sequence \"{}\" ({limit})",
            def.name
        ))
    };
    if def.increment > 0 {
        match next {
            Some(n) if n <= def.max => Ok(n),
            _ if def.cycle => Ok(def.min),
            _ => Err(exhausted("maximum", def.max)),
        }
    } else {
        match next {
            Some(n) if n >= def.min => Ok(n),
            _ if def.cycle => Ok(def.max),
            _ => Err(exhausted("minimum", def.min)),
        }
    }
}

/// `setval(s, value, is_called)`: the next `nextval` returns `value` when
/// `is_called` is false, else the value after it. Committed at once.
pub fn setval(
    txn: &Transaction<'_>,
    def: &SequenceDef,
    value: i64,
    is_called: bool,
) -> Result<i64> {
    writable(txn, "setval()")?;
    if value < def.min || value > def.max {
        return Err(EngineError::OutOfBounds(format!(
            "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
            def.name, def.min, def.max
        )));
    }
    let reserved = txn.storage().shared::<Reserved>();
    let mut map = reserved.0.lock().unwrap_or_else(PoisonError::into_inner);
    map.remove(&def.id);
    loop {
        txn.check_interrupt()?;
        let (_, seq) = read_state(txn, def)?;
        if write_state(txn, def, value, is_called, seq)? {
            if is_called {
                txn.sequence_values().took(def, value, false);
            }
            return Ok(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence::SequenceOptions;
    use crate::value::DataType;

    #[test]
    fn limits_fail_or_cycle() -> Result<()> {
        let options = SequenceOptions {
            data_type: Some(DataType::Int2),
            max: Some(3),
            ..SequenceOptions::default()
        };
        let mut def = SequenceDef::new("public", "s", &options, None)?;
        assert_eq!(advance(&def, 2)?, 3);
        assert!(matches!(
            advance(&def, 3),
            Err(EngineError::SequenceExhausted(_))
        ));
        def.cycle = true;
        assert_eq!(advance(&def, 3)?, 1);
        Ok(())
    }
}
