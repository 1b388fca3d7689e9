//! Generic plans: a prepared query, `INSERT`, `UPDATE` or `DELETE` bound
//! once and run many times with other parameter values, as PostgreSQL's
//! plan cache does. Binding resolves every name against the catalog (and
//! binds a written table's defaults and `CHECK`s from their SQL text), a
//! sixth of a prepared point select's server time and more of a
//! single-row insert's; a generic plan keeps its parameters as placeholders
//! ([`Expr::Param`](crate::expr::Expr::Param)) and is only optimized again
//! for each execution's values, so `WHERE id = $1` is still one key seek.
//!
//! A plan is kept with its prepared statement under what binding derived it
//! from: the catalog generation its transaction read
//! ([`Transaction::cache_epoch`]), the session settings binding reads, and
//! the parameters' types. Only those four kinds of statement are kept, and
//! only when binding read no parameter's value (a `LIMIT $1`) and nothing
//! of the snapshot but the catalog (a timestamp point, `drift_seq()`);
//! other statements bind with their values at every execution.

use std::sync::Mutex;

use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{DataType, Value};

use crate::bind::{GenericPlan, Settings, bind_generic, bind_with};
use crate::error::Result;
use crate::optimize::optimize_plan;
use crate::parser::Stmt;
use crate::plan::Plan;

/// The last generic plan of one prepared statement.
#[derive(Debug, Default)]
pub(crate) struct PlanCache {
    last: Mutex<Option<Kept>>,
}

impl Clone for PlanCache {
    /// A copy of a prepared statement starts with no plan of its own.
    fn clone(&self) -> Self {
        PlanCache::default()
    }
}

/// A kept plan and what it was derived from.
#[derive(Debug)]
struct Kept {
    catalog_epoch: u64,
    settings: Settings,
    param_types: Vec<DataType>,
    /// The plan, or `None` when the statement binds with its values at
    /// every execution (see [`generic`], or binding read a value).
    plan: Option<Plan>,
}

impl Kept {
    /// Whether the plan was derived for these: `params` are compared in
    /// place, as this runs before every execution.
    fn matches(&self, catalog_epoch: u64, settings: &Settings, params: &[Value]) -> bool {
        self.catalog_epoch == catalog_epoch
            && self.settings == *settings
            && self.param_types.len() == params.len()
            && self
                .param_types
                .iter()
                .zip(params)
                .all(|(t, v)| own_type(v) == Some(*t))
    }
}

/// A statement's plan and the parameter values its placeholders read (empty
/// when it was bound with its values).
pub(crate) struct Planned<'p> {
    /// The optimized plan.
    pub plan: Plan,
    /// What its [`Expr::Param`](crate::expr::Expr::Param)s read.
    pub params: &'p [Value],
}

/// The plan of `stmt` with `params` in `txn`: the generic plan `cache`
/// keeps when one fits, else a fresh binding (kept when it may serve
/// later executions).
pub(crate) fn plan<'p>(
    cache: Option<&PlanCache>,
    txn: &Transaction<'_>,
    stmt: &Stmt,
    settings: &Settings,
    params: &'p [Value],
) -> Result<Planned<'p>> {
    let with_values = || {
        Ok(Planned {
            plan: bind_with(txn, stmt, settings, params)?,
            params: &[],
        })
    };
    let (Some(cache), Some(epoch)) = (cache, txn.cache_epoch()) else {
        return with_values();
    };
    let kept = match cache.last.lock() {
        Ok(last) => match last.as_ref() {
            Some(k) if k.matches(epoch, settings, params) => Some(k.plan.clone()),
            _ => None,
        },
        Err(_) => None,
    };
    let plan = match kept {
        Some(Some(plan)) => plan,
        Some(None) => return with_values(),
        None => {
            let Some(types) = typed(params) else {
                return with_values();
            };
            let GenericPlan { plan, reusable } = bind_generic(txn, stmt, settings, params)?;
            let plan = Some(plan).filter(generic);
            if let Ok(mut last) = cache.last.lock() {
                *last = Some(Kept {
                    catalog_epoch: epoch,
                    settings: settings.clone(),
                    param_types: types,
                    plan: plan.clone().filter(|_| reusable),
                });
            }
            match plan {
                Some(p) => p,
                None => return with_values(),
            }
        }
    };
    Ok(Planned {
        plan: optimize_plan(plan, params),
        params,
    })
}

/// Whether `plan` runs as a generic plan: a query, `INSERT`, `UPDATE` or
/// `DELETE`, whose executor reads [`Expr::Param`](crate::expr::Expr::Param)s
/// from the execution's values. Other statements (DDL, session control,
/// `COPY`, `EXPLAIN`) bind with their values.
fn generic(plan: &Plan) -> bool {
    matches!(
        plan,
        Plan::Query(_) | Plan::Insert { .. } | Plan::Update { .. } | Plan::Delete { .. }
    )
}

/// The types of `params` when each has a type of its own.
fn typed(params: &[Value]) -> Option<Vec<DataType>> {
    params.iter().map(own_type).collect()
}

/// The type of `v` when it has one of its own (not NULL, not untyped text,
/// which takes its type from where it is used).
fn own_type(v: &Value) -> Option<DataType> {
    v.data_type().filter(|t| *t != DataType::Text)
}
