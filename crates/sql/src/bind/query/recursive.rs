//! Binding a `WITH RECURSIVE` query, `base UNION [ALL] step`, to a
//! [`Rel::Recursive`], with PostgreSQL's rules: the non-recursive term
//! gives the columns' types, the recursive term names the query exactly
//! once, in its own `FROM` (not in a subquery, not on the nullable side of
//! an outer join, not under `INTERSECT`/`EXCEPT` or an aggregate), else
//! 42P19. A query of a `WITH RECURSIVE` list that does not name itself is
//! an ordinary one.

use std::cell::{Cell, RefCell};

use sqlparser::ast::{self, SetExpr, SetOperator, SetQuantifier};

use super::super::scope::Level;
use super::super::{Binder, Bound};
use super::{rename_columns, unify};
use crate::error::{Result, SqlError};
use crate::expr::Expr;
use crate::rel::{JoinKind, Recursive, Rel, SetOpKind};

/// Where a reference to a recursive query being bound may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// In its non-recursive term: nowhere.
    Base,
    /// In a query that is not `base UNION [ALL] step`: nowhere.
    NotUnion,
    /// In its recursive term.
    Step,
}

/// A recursive query being bound: what a reference to its name finds.
pub(crate) struct WorkRef {
    id: usize,
    name: String,
    stage: Stage,
    /// How many references to it have been bound.
    uses: Cell<usize>,
}

/// The recursive queries being bound, innermost last.
pub(crate) type WorkRefs = RefCell<Vec<WorkRef>>;

fn recursion_error(message: String) -> SqlError {
    SqlError::new("42P19", message)
}

impl Binder<'_, '_> {
    /// A query of a `WITH RECURSIVE` list, named `name` (its columns
    /// renamed by `cte`'s alias list).
    pub(super) fn recursive_cte(
        &self,
        cte: &ast::Cte,
        name: &str,
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<Bound> {
        let q = &cte.query;
        let id = self.next_id();
        let SetExpr::SetOperation {
            op: SetOperator::Union,
            left,
            right,
            set_quantifier,
        } = q.body.as_ref()
        else {
            return self.with_work_table(id, name, Stage::NotUnion, Vec::new(), || {
                self.query(q, parent, correlated)
            });
        };
        let mut base = self.with_work_table(id, name, Stage::Base, Vec::new(), || {
            self.set_expr(left, parent, correlated)
        })?;
        rename_columns(&mut base.columns, &cte.alias.columns, name)?;
        let mut uses = 0;
        let step = self.with_work_table(id, name, Stage::Step, base.columns.clone(), || {
            let step = self.set_expr(right, parent, correlated);
            uses = self.recursion.borrow().last().map_or(0, |w| w.uses.get());
            step
        })?;
        if uses == 0 {
            // It does not name itself: an ordinary query.
            return self.query(q, parent, correlated);
        }
        for (present, what) in [
            (q.order_by.is_some(), "ORDER BY"),
            (q.limit_clause.is_some() || q.fetch.is_some(), "LIMIT"),
        ] {
            if present {
                return Err(SqlError::new(
                    "0A000",
                    format!("{what} in a recursive query is not implemented"),
                ));
            }
        }
        let reference = |what: &str| {
            recursion_error(format!(
                "recursive reference to query \"{name}\" must not appear {what}"
            ))
        };
        // References outside the recursive term's own FROM (and the derived
        // tables there) are in subqueries.
        match check_step(&step.rel, id, name, None)? {
            n if n > 1 => return Err(reference("more than once")),
            n if n < uses => return Err(reference("within a subquery")),
            _ => {}
        }
        if step.columns.len() != base.columns.len() {
            return Err(SqlError::new(
                "42601",
                "each UNION query must have the same number of columns",
            ));
        }
        let mut casts = Vec::with_capacity(base.columns.len());
        for (i, ((_, b), (_, s))) in base.columns.iter().zip(&step.columns).enumerate() {
            let overall = unify("UNION", *b, *s)?;
            match (b, s) {
                (Some(b), _) if overall != Some(*b) => {
                    let shown = |t: Option<driftdb_engine::value::DataType>| {
                        t.map_or("unknown", driftdb_engine::text::type_name)
                    };
                    return Err(SqlError::new(
                        "42804",
                        format!(
                            "recursive query \"{name}\" column {} has type {} in non-recursive term but type {} overall",
                            i + 1,
                            shown(Some(*b)),
                            shown(overall)
                        ),
                    ));
                }
                (Some(b), Some(s)) if b != s => {
                    casts.push(Expr::Cast(Box::new(Expr::Column(i)), *b));
                }
                _ => casts.push(Expr::Column(i)),
            }
        }
        let same = casts.iter().enumerate().all(|(i, e)| *e == Expr::Column(i));
        let step_rel = if same {
            step.rel
        } else {
            Rel::Project(Box::new(step.rel), casts)
        };
        Ok(Bound {
            rel: Rel::Recursive(Box::new(Recursive {
                id,
                base: base.rel,
                step: step_rel,
                distinct: !matches!(set_quantifier, SetQuantifier::All),
                names: (
                    name.to_string(),
                    base.columns.iter().map(|(n, _)| n.clone()).collect(),
                ),
            })),
            columns: base.columns,
        })
    }

    /// Runs `bind` while the name `name` stands for the working table `id`
    /// at `stage`, with these columns.
    fn with_work_table<T>(
        &self,
        id: usize,
        name: &str,
        stage: Stage,
        columns: Vec<super::super::Column>,
        bind: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let (ctes, works) = (self.ctes.borrow().len(), self.recursion.borrow().len());
        self.ctes.borrow_mut().push((
            name.to_string(),
            Bound {
                rel: Rel::WorkTable(id),
                columns,
            },
        ));
        self.recursion.borrow_mut().push(WorkRef {
            id,
            name: name.to_string(),
            stage,
            uses: Cell::new(0),
        });
        let result = bind();
        self.ctes.borrow_mut().truncate(ctes);
        self.recursion.borrow_mut().truncate(works);
        result
    }

    /// Notes a reference to the working table `id` in `FROM`; an error
    /// where the query's own name may not appear.
    pub(super) fn work_reference(&self, id: usize) -> Result<()> {
        let recursion = self.recursion.borrow();
        let Some(w) = recursion.iter().find(|w| w.id == id) else {
            return Ok(());
        };
        match w.stage {
            Stage::Base => Err(recursion_error(format!(
                "recursive reference to query \"{}\" must not appear within its non-recursive term",
                w.name
            ))),
            Stage::NotUnion => Err(recursion_error(format!(
                "recursive query \"{}\" does not have the form non-recursive-term UNION [ALL] recursive-term",
                w.name
            ))),
            Stage::Step => {
                w.uses.set(w.uses.get() + 1);
                Ok(())
            }
        }
    }
}

/// How many times the recursive term `rel` reads the working table `id`
/// outside of subqueries; an error where it reads it in a place PostgreSQL
/// refuses (`within`: the construct it is under).
fn check_step(rel: &Rel, id: usize, name: &str, within: Option<&str>) -> Result<usize> {
    let check = |r: &Rel, within: Option<&str>| check_step(r, id, name, within);
    Ok(match rel {
        Rel::WorkTable(w) if *w == id => match within {
            Some(what) => {
                return Err(recursion_error(format!(
                    "recursive reference to query \"{name}\" must not appear within {what}"
                )));
            }
            None => 1,
        },
        Rel::Filter(i, _)
        | Rel::Project(i, _)
        | Rel::ProjectSet(i, _)
        | Rel::Distinct(i)
        | Rel::DistinctOn(i, _)
        | Rel::Sort(i, _)
        | Rel::Limit { input: i, .. } => check(i, within)?,
        Rel::Window(w) => check(&w.input, within)?,
        Rel::Join(j) | Rel::Lateral(j) => {
            let outer = Some("an outer join");
            let (l, r) = match j.kind {
                JoinKind::Inner => (within, within),
                JoinKind::Left => (within, outer),
                JoinKind::Right => (outer, within),
                JoinKind::Full => (outer, outer),
            };
            check(&j.left, l)? + check(&j.right, r)?
        }
        Rel::Aggregate(a) => {
            let n = check(&a.input, within)?;
            if n > 0 {
                return Err(recursion_error(
                    "aggregate functions are not allowed in a recursive query's recursive term"
                        .into(),
                ));
            }
            n
        }
        // PostgreSQL's rule: not under INTERSECT ALL, nor EXCEPT ALL's left
        // side, nor EXCEPT's right side.
        Rel::SetOp(s) => {
            let (left, right) = match (s.kind, s.all) {
                (SetOpKind::Union, _) | (SetOpKind::Intersect, false) => (within, within),
                (SetOpKind::Intersect, true) => (Some("INTERSECT"), Some("INTERSECT")),
                (SetOpKind::Except, false) => (within, Some("EXCEPT")),
                (SetOpKind::Except, true) => (Some("EXCEPT"), Some("EXCEPT")),
            };
            check(&s.left, left)? + check(&s.right, right)?
        }
        Rel::Recursive(r) => check(&r.base, within)? + check(&r.step, within)?,
        Rel::Values(_)
        | Rel::Scan(_)
        | Rel::Commits
        | Rel::Diff(_)
        | Rel::System(_)
        | Rel::Series(_)
        | Rel::WorkTable(_) => 0,
    })
}
