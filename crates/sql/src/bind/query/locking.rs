//! `SELECT … FOR UPDATE | FOR NO KEY UPDATE | FOR SHARE | FOR KEY SHARE
//! [OF t …] [NOWAIT | SKIP LOCKED]`: marks the scans of the tables a
//! locking clause names (every table of the `FROM` list without `OF`), so
//! the rows they read are locked (`Transaction::lock`). No clause waits,
//! so `NOWAIT` and `SKIP LOCKED` change nothing.

use sqlparser::ast::{self, LockClause, LockType, SetExpr};

use super::super::{Bound, ident};
use crate::error::{Result, SqlError};
use crate::rel::{JoinKind, Rel};

/// Applies `locks` to the scans of `bound`, the query `q` was bound to.
pub(super) fn apply(q: &ast::Query, locks: &[LockClause], bound: &mut Bound) -> Result<()> {
    for lock in locks {
        let clause = match lock.lock_type {
            LockType::Update => "FOR UPDATE",
            LockType::Share => "FOR SHARE",
        };
        if let Some(what) = refused_with(&q.body, &bound.rel) {
            return Err(SqlError::new(
                "0A000",
                format!("{clause} is not allowed with {what}"),
            ));
        }
        let target = lock
            .of
            .as_ref()
            .and_then(|n| n.0.last())
            .and_then(|p| p.as_ident())
            .map(ident);
        let mut nullable = Vec::new();
        nullable_scans(&mut bound.rel, &mut nullable);
        let mut found = false;
        let mut past = None;
        let mut outer = false;
        bound.rel.scans_mut(&mut |s| {
            if target.as_ref().is_none_or(|t| *t == s.label) {
                found = true;
                if s.versions.is_some() {
                    past.get_or_insert_with(|| s.label.clone());
                }
                outer |= nullable.contains(&s.id);
                s.lock = Some(clause);
            }
        });
        if outer {
            return Err(SqlError::new(
                "0A000",
                format!("{clause} cannot be applied to the nullable side of an outer join"),
            ));
        }
        if let Some(table) = past {
            return Err(SqlError::new(
                "0A000",
                format!(
                    "{clause} cannot be applied to \"{table}\" read at a past point: the past cannot be locked"
                ),
            ));
        }
        if let (Some(t), false) = (&target, found) {
            return Err(SqlError::new(
                "42P01",
                format!("relation \"{t}\" in {clause} clause not found in FROM clause"),
            ));
        }
    }
    Ok(())
}

/// Adds to `out` the ids of the scans on the nullable side of an outer
/// join of `rel`'s `FROM` (whose rows an output row may lack).
fn nullable_scans(rel: &mut Rel, out: &mut Vec<usize>) {
    let mut all = |r: &mut Rel| r.scans_mut(&mut |s| out.push(s.id));
    match rel {
        Rel::Join(j) => match j.kind {
            JoinKind::Inner => {
                nullable_scans(&mut j.left, out);
                nullable_scans(&mut j.right, out);
            }
            JoinKind::Left => {
                all(&mut j.right);
                nullable_scans(&mut j.left, out);
            }
            JoinKind::Right => {
                all(&mut j.left);
                nullable_scans(&mut j.right, out);
            }
            JoinKind::Full => {
                all(&mut j.left);
                all(&mut j.right);
            }
        },
        Rel::Filter(i, _) | Rel::Project(i, _) | Rel::Sort(i, _) | Rel::Limit { input: i, .. } => {
            nullable_scans(i, out);
        }
        _ => {}
    }
}

/// What keeps a query's rows from being locked, as PostgreSQL names it:
/// its rows are not rows of a table.
fn refused_with(body: &SetExpr, rel: &Rel) -> Option<&'static str> {
    match body {
        SetExpr::SetOperation { .. } => return Some("UNION/INTERSECT/EXCEPT"),
        SetExpr::Select(s) => {
            if s.distinct.is_some() {
                return Some("DISTINCT clause");
            }
            if !matches!(&s.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty()) {
                return Some("GROUP BY clause");
            }
            if s.having.is_some() {
                return Some("HAVING clause");
            }
        }
        _ => {}
    }
    let mut at = rel;
    loop {
        at = match at {
            Rel::Aggregate(_) => return Some("aggregate functions"),
            Rel::Window(_) => return Some("window functions"),
            Rel::ProjectSet(..) => return Some("set-returning functions in the target list"),
            Rel::Filter(i, _)
            | Rel::Project(i, _)
            | Rel::Sort(i, _)
            | Rel::Limit { input: i, .. } => i,
            _ => return None,
        };
    }
}
