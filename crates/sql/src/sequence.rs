//! The sequence functions `nextval`, `currval`, `setval` and `lastval`: a
//! sequence named by text (`'s'`, `'sch.s'`, `'"S"'`) or by OID (a
//! `regclass`), evaluated per call (they are volatile: never folded).

use driftdb_engine::catalog::{self, PUBLIC};
use driftdb_engine::sequence::{self, SequenceDef};
use driftdb_engine::value::Value;

use crate::error::{Result, SqlError};
use crate::expr::{Env, Expr};
use crate::system::functions::CatalogFunc;
use crate::system::model::{FIRST_USER_OID, split_qualified};

/// A sequence function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqFunc {
    /// `nextval(regclass)`
    Nextval,
    /// `currval(regclass)`
    Currval,
    /// `setval(regclass, bigint [, boolean])`
    Setval,
    /// `lastval()`
    Lastval,
}

impl SeqFunc {
    /// The function a lower-cased name calls.
    pub fn by_name(name: &str) -> Option<SeqFunc> {
        Some(match name {
            "nextval" => SeqFunc::Nextval,
            "currval" => SeqFunc::Currval,
            "setval" => SeqFunc::Setval,
            "lastval" => SeqFunc::Lastval,
            _ => return None,
        })
    }

    /// Its SQL name.
    pub fn name(self) -> &'static str {
        match self {
            SeqFunc::Nextval => "nextval",
            SeqFunc::Currval => "currval",
            SeqFunc::Setval => "setval",
            SeqFunc::Lastval => "lastval",
        }
    }

    /// Whether it takes `n` arguments.
    pub fn accepts(self, n: usize) -> bool {
        match self {
            SeqFunc::Nextval | SeqFunc::Currval => n == 1,
            SeqFunc::Setval => n == 2 || n == 3,
            SeqFunc::Lastval => n == 0,
        }
    }
}

/// The arguments as bound: a literal name cast to `regclass` is kept as the
/// name, so the call does not read the whole system catalog for an OID.
pub fn bind_args(mut args: Vec<Expr>) -> Vec<Expr> {
    if let Some(first) = args.first_mut()
        && let Expr::Call(crate::expr::Func::Catalog(CatalogFunc::RegclassIn), inner) = first
        && let [Expr::Unknown(name) | Expr::Const(Value::Text(name))] = inner.as_slice()
    {
        *first = Expr::Const(Value::Text(name.clone()));
    }
    args
}

/// The value of `f(args)` for `row`; NULL arguments give NULL.
pub fn call(f: SeqFunc, args: &[Expr], row: &[Value], env: &Env<'_, '_>) -> Result<Value> {
    let values = args
        .iter()
        .map(|a| a.eval(row, env))
        .collect::<Result<Vec<_>>>()?;
    if values.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let txn = env.txn;
    let value = match (f, values.as_slice()) {
        (SeqFunc::Lastval, []) => txn.sequence_values().lastval(txn)?,
        (SeqFunc::Nextval, [s]) => sequence::nextval(txn, &resolve(env, s)?)?,
        (SeqFunc::Currval, [s]) => txn.sequence_values().currval(&resolve(env, s)?)?,
        (SeqFunc::Setval, [s, n, rest @ ..]) => {
            let is_called = match rest {
                [Value::Bool(b)] => *b,
                [] => true,
                _ => return Err(type_error(f)),
            };
            let n = integer(n).ok_or_else(|| type_error(f))?;
            sequence::setval(txn, &resolve(env, s)?, n, is_called)?
        }
        _ => return Err(type_error(f)),
    };
    Ok(Value::Int8(value))
}

fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(n) => Some(i64::from(*n)),
        Value::Int4(n) => Some(i64::from(*n)),
        Value::Int8(n) => Some(*n),
        Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn type_error(f: SeqFunc) -> SqlError {
    SqlError::new(
        "42883",
        format!(
            "function {}() does not exist with these argument types",
            f.name()
        ),
    )
}

/// The present sequence a `regclass` argument names: 42P01 when there is no
/// such relation, 42809 when it is not a sequence.
fn resolve(env: &Env<'_, '_>, arg: &Value) -> Result<SequenceDef> {
    let txn = env.txn;
    match arg {
        Value::Text(text) => {
            let (schema, name) = split_qualified(text);
            let schema = schema.unwrap_or_else(|| PUBLIC.to_string());
            if let Some(def) = sequence::get_sequence(txn, &schema, &name, None)? {
                return Ok(def);
            }
            if catalog::relation_exists(txn, &schema, &name)? {
                return Err(not_a_sequence(&name));
            }
            if !catalog::schema_exists(txn, &schema)? {
                return Err(SqlError::new(
                    "3F000",
                    format!("schema \"{schema}\" does not exist"),
                ));
            }
            Err(SqlError::new(
                "42P01",
                format!("relation \"{name}\" does not exist"),
            ))
        }
        other => {
            let oid = integer(other)
                .ok_or_else(|| SqlError::new("42804", "a sequence is named by text or regclass"))?;
            let id = u32::try_from(oid)
                .ok()
                .and_then(|o| o.checked_sub(FIRST_USER_OID));
            if let Some(def) = sequence::list_sequences(txn, None)?
                .into_iter()
                .find(|s| Some(s.id) == id)
            {
                return Ok(def);
            }
            match env.catalog()?.relation(u32::try_from(oid).unwrap_or(0)) {
                Some(r) => Err(not_a_sequence(&r.name)),
                None => Err(SqlError::new(
                    "42P01",
                    format!("could not open relation with OID {oid}"),
                )),
            }
        }
    }
}

fn not_a_sequence(name: &str) -> SqlError {
    SqlError::new("42809", format!("\"{name}\" is not a sequence"))
}
