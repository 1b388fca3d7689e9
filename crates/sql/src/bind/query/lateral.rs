//! Binding an explicit `LATERAL` subquery in `FROM` (`FROM a, LATERAL
//! (SELECT … WHERE x = a.id) s`, `[LEFT] JOIN LATERAL (…) s ON …`): the
//! subquery binds with the `FROM` items before it as its enclosing level,
//! as a correlated subquery binds with its query's, so their columns are
//! [`crate::expr::Expr::Outer`] at depth 1; the join becomes a
//! [`crate::rel::Rel::Lateral`], which runs it per left row. A
//! set-returning function after other items is LATERAL the same way
//! (`FROM t, unnest(t.tags) WITH ORDINALITY`, `JOIN LATERAL
//! generate_series(1, t.n) g ON …`), as PostgreSQL makes every function
//! in `FROM`.

use std::cell::Cell;

use sqlparser::ast::{self, TableFactor};

use super::super::scope::{Level, Scope};
use super::super::{Binder, ident};
use super::{rename_columns, series_call};
use crate::error::{Result, SqlError};
use crate::rel::Rel;

/// The subquery and alias of a `LATERAL (subquery) alias` item.
pub(super) fn subquery(factor: &TableFactor) -> Option<(&ast::Query, Option<&ast::TableAlias>)> {
    match factor {
        TableFactor::Derived {
            lateral: true,
            subquery,
            alias,
            ..
        } => Some((subquery, alias.as_ref())),
        _ => None,
    }
}

/// The error of a `RIGHT` or `FULL JOIN LATERAL` subquery that names a
/// table on the left, as PostgreSQL words it (42P10).
pub(super) fn out_of_reach(e: SqlError) -> SqlError {
    match e
        .message
        .strip_prefix("missing FROM-clause entry for table ")
    {
        Some(table) if e.sqlstate == "42P01" => SqlError::new(
            "42P10",
            format!(
                "invalid reference to FROM-clause entry for table {table}: the combining JOIN type must be INNER or LEFT for a LATERAL reference"
            ),
        ),
        _ => e,
    }
}

impl Binder<'_, '_> {
    /// The right side of a `FROM` item after others whose names are `left`,
    /// when it reads their rows: a `LATERAL` subquery or a set-returning
    /// function (always LATERAL in PostgreSQL); `None` for other items.
    pub(super) fn lateral_item(
        &self,
        factor: &TableFactor,
        left: &Scope,
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<Option<(Rel, Scope)>> {
        if let Some((q, alias)) = subquery(factor) {
            return self
                .lateral_factor(q, alias, left, parent, correlated)
                .map(Some);
        }
        let Some(call) = series_call(factor)? else {
            return Ok(None);
        };
        let level = Level {
            scope: left,
            parent,
            correlated,
        };
        self.series(&call, Some(&level), &Cell::new(false))
            .map(Some)
    }

    /// A `LATERAL` subquery after the `FROM` items whose names are `left`.
    pub(super) fn lateral_factor(
        &self,
        q: &ast::Query,
        alias: Option<&ast::TableAlias>,
        left: &Scope,
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<(Rel, Scope)> {
        let level = Level {
            scope: left,
            parent,
            correlated,
        };
        let mut b = self.query(q, Some(&level), &Cell::new(false))?;
        let table = alias.map_or(String::new(), |a| ident(&a.name));
        if let Some(a) = alias {
            rename_columns(&mut b.columns, &a.columns, &table)?;
        }
        Ok((b.rel, Scope::table(&table, &b.columns, &[], None)))
    }
}
