//! Name resolution: the columns a query level can name, and the chain of
//! enclosing levels a correlated subquery reaches into.

use std::cell::Cell;

use driftdb_engine::value::DataType;

use crate::error::{Result, SqlError};
use crate::expr::{Expr, Func};

/// A column of the input row a query level sees.
#[derive(Debug, Clone)]
pub struct ScopeColumn {
    /// The table reference's name or alias.
    pub table: Option<String>,
    /// The column's name.
    pub name: String,
    /// Its type, when known.
    pub data_type: Option<DataType>,
    /// The scan it belongs to, when it is a hidden system column.
    pub hidden_of: Option<usize>,
    /// Whether it is a hidden system column (which `*` and `t.*` leave out).
    pub hidden: bool,
}

/// A column of `SELECT *`: name, value over the input row, type.
#[derive(Debug, Clone)]
pub struct StarColumn {
    /// Output name.
    pub name: String,
    /// Its value.
    pub expr: Expr,
    /// Its type.
    pub data_type: Option<DataType>,
}

/// The columns of a `FROM` clause: one per input-row position, plus what
/// `*` expands to and the merged columns of `USING` joins.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// One per position of the input row.
    pub columns: Vec<ScopeColumn>,
    /// What `*` lists, in order.
    pub star: Vec<StarColumn>,
    /// Columns merged by `USING`/`NATURAL`, which an unqualified name reaches.
    pub merged: Vec<StarColumn>,
}

impl Scope {
    /// A table reference's scope: `columns` visible, `hidden` named but left
    /// out of `*`.
    pub fn table(
        table: &str,
        columns: &[(String, Option<DataType>)],
        hidden: &[(String, Option<DataType>)],
        scan: Option<usize>,
    ) -> Self {
        let mut scope = Scope::default();
        for (i, (name, t)) in columns.iter().enumerate() {
            scope.columns.push(ScopeColumn {
                table: Some(table.to_string()),
                name: name.clone(),
                data_type: *t,
                hidden_of: None,
                hidden: false,
            });
            scope.star.push(StarColumn {
                name: name.clone(),
                expr: Expr::Column(i),
                data_type: *t,
            });
        }
        for (name, t) in hidden {
            scope.columns.push(ScopeColumn {
                table: Some(table.to_string()),
                name: name.clone(),
                data_type: *t,
                hidden_of: scan,
                hidden: true,
            });
        }
        scope
    }

    /// The scope of `left` joined with `right` (whose positions follow).
    pub fn join(left: Scope, right: Scope) -> Scope {
        let offset = left.columns.len();
        let shift = |mut c: StarColumn| {
            c.expr = shift_columns(c.expr, offset);
            c
        };
        let mut columns = left.columns;
        columns.extend(right.columns);
        let mut star = left.star;
        star.extend(right.star.into_iter().map(shift));
        let mut merged = left.merged;
        merged.extend(right.merged.into_iter().map(shift));
        Scope {
            columns,
            star,
            merged,
        }
    }

    /// Types of the input row's positions.
    pub fn types(&self) -> Vec<Option<DataType>> {
        self.columns.iter().map(|c| c.data_type).collect()
    }

    /// Resolves `table.name` (or `name` alone) in this scope only: `Ok(None)`
    /// when absent, 42702 when ambiguous.
    pub fn find(&self, table: Option<&str>, name: &str) -> Result<Option<(Expr, &ScopeColumn)>> {
        if table.is_none()
            && let Some(m) = self.merged.iter().find(|m| m.name == name)
        {
            // A merged column: its first source describes it.
            let source = self
                .columns
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| SqlError::new("XX000", "merged column without a source"))?;
            return Ok(Some((m.expr.clone(), source)));
        }
        let mut hits =
            self.columns.iter().enumerate().filter(|(_, c)| {
                c.name == name && (table.is_none() || c.table.as_deref() == table)
            });
        let Some((i, col)) = hits.next() else {
            return Ok(None);
        };
        if hits.next().is_some() {
            return Err(SqlError::new(
                "42702",
                format!("column reference \"{name}\" is ambiguous"),
            ));
        }
        Ok(Some((Expr::Column(i), col)))
    }

    /// Whether a table reference of this name (or alias) is in scope.
    pub fn has_table(&self, table: &str) -> bool {
        self.columns
            .iter()
            .any(|c| c.table.as_deref() == Some(table))
    }

    /// `t.*`: the visible columns of table reference `t` (42P01 when no
    /// table of that name or alias is in scope).
    pub fn table_star(&self, t: &str) -> Result<Vec<(String, Expr)>> {
        if !self.has_table(t) {
            return Err(SqlError::new(
                "42P01",
                format!("missing FROM-clause entry for table \"{t}\""),
            ));
        }
        Ok(self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.table.as_deref() == Some(t) && !c.hidden)
            .map(|(i, c)| (c.name.clone(), Expr::Column(i)))
            .collect())
    }

    /// The columns merged by `USING (names)` of `left` and `right` (this is
    /// the joined scope; `left_width` splits it) for a join of `kind`.
    pub fn merge_using(
        &mut self,
        names: &[String],
        left_width: usize,
        kind: crate::rel::JoinKind,
    ) -> Result<Vec<(usize, usize)>> {
        let mut pairs = Vec::new();
        let mut merged = Vec::new();
        for name in names {
            let side = |lo: usize, hi: usize| -> Result<usize> {
                let hits: Vec<usize> = (lo..hi)
                    .filter(|&i| {
                        self.columns[i].name == *name && self.columns[i].hidden_of.is_none()
                    })
                    .collect();
                match hits.as_slice() {
                    [i] => Ok(*i),
                    [] => Err(SqlError::new(
                        "42703",
                        format!(
                            "column \"{name}\" specified in USING clause does not exist in one of the tables"
                        ),
                    )),
                    _ => Err(SqlError::new(
                        "42702",
                        format!("common column name \"{name}\" appears more than once"),
                    )),
                }
            };
            let l = side(0, left_width)?;
            let r = side(left_width, self.columns.len())?;
            let expr = match kind {
                crate::rel::JoinKind::Inner | crate::rel::JoinKind::Left => Expr::Column(l),
                crate::rel::JoinKind::Right => Expr::Column(r),
                crate::rel::JoinKind::Full => {
                    Expr::Call(Func::Coalesce, vec![Expr::Column(l), Expr::Column(r)])
                }
            };
            merged.push(StarColumn {
                name: name.clone(),
                expr,
                data_type: self.columns[l].data_type,
            });
            pairs.push((l, r));
        }
        let mut star = merged.clone();
        star.extend(
            std::mem::take(&mut self.star)
                .into_iter()
                .filter(|s| !names.contains(&s.name)),
        );
        self.star = star;
        self.merged.extend(merged);
        Ok(pairs)
    }
}

/// `e` with every column position moved up by `offset`.
pub fn shift_columns(e: Expr, offset: usize) -> Expr {
    e.rewrite(&mut |n| {
        Ok(match n {
            Expr::Column(i) => Expr::Column(i + offset),
            other => other,
        })
    })
    .unwrap_or(Expr::Const(driftdb_engine::value::Value::Null))
}

/// A query level in the chain of enclosing queries.
pub struct Level<'p> {
    /// What this level's expressions name.
    pub scope: &'p Scope,
    /// The enclosing query, for correlated subqueries.
    pub parent: Option<&'p Level<'p>>,
    /// Set when an expression of this level (or a deeper one) reads a
    /// column of an enclosing level.
    pub correlated: &'p Cell<bool>,
}

impl<'p> Level<'p> {
    /// Resolves a column name here or in an enclosing level.
    pub fn resolve(&self, table: Option<&str>, name: &str) -> Result<(Expr, ScopeColumn)> {
        let mut level = Some(self);
        let mut depth = 0;
        let mut crossed: Vec<&Cell<bool>> = Vec::new();
        while let Some(l) = level {
            if let Some((expr, col)) = l.scope.find(table, name)? {
                for c in crossed {
                    c.set(true);
                }
                let expr = match (depth, expr) {
                    (0, e) => e,
                    (d, Expr::Column(index)) => Expr::Outer { depth: d, index },
                    _ => {
                        return Err(SqlError::unsupported(
                            "a USING column of an enclosing query",
                        ));
                    }
                };
                return Ok((expr, col.clone()));
            }
            crossed.push(l.correlated);
            level = l.parent;
            depth += 1;
        }
        Err(match table {
            Some(t) if !self.any_table(t) => SqlError::new(
                "42P01",
                format!("missing FROM-clause entry for table \"{t}\""),
            ),
            Some(t) => SqlError::new("42703", format!("column {t}.{name} does not exist")),
            None => SqlError::new("42703", format!("column \"{name}\" does not exist")),
        })
    }

    /// `e` with each column of an enclosing level it reads replaced by a
    /// NULL of that column's type, so [`super::type_of`] (which knows only
    /// the row's own columns) sees their types.
    pub fn typed(&self, e: &Expr) -> Expr {
        e.clone()
            .rewrite(&mut |n| {
                Ok(match n {
                    Expr::Outer { depth, index } => {
                        let mut level = Some(self);
                        for _ in 0..depth {
                            level = level.and_then(|l| l.parent);
                        }
                        match level
                            .and_then(|l| l.scope.columns.get(index))
                            .and_then(|c| c.data_type)
                        {
                            Some(t) => Expr::Cast(
                                Box::new(Expr::Const(driftdb_engine::value::Value::Null)),
                                t,
                            ),
                            None => n,
                        }
                    }
                    other => other,
                })
            })
            .unwrap_or_else(|_| e.clone())
    }

    fn any_table(&self, t: &str) -> bool {
        self.scope.has_table(t) || self.parent.is_some_and(|p| p.any_table(t))
    }
}
