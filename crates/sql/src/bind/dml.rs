//! Binding `INSERT`, `UPDATE` and `DELETE`, with `RETURNING`.

use std::cell::Cell;

use sqlparser::ast::{self, AssignmentTarget, FromTable, SelectItem, SetExpr, TableObject};

use driftdb_engine::catalog::{Identity, TableDef};
use driftdb_engine::value::Value;

use super::expr::row_literal;
use super::scope::Scope;
use super::types::type_of;
use super::{Binder, Column, dml_table, hidden_columns, ident, last_part, split_name};
use crate::error::{Result, SqlError};
use crate::expr::Expr;
use crate::parser::LiteralRows;
use crate::plan::{InsertSource, Plan, Returning};
use crate::rel::Rel;

impl Binder<'_, '_> {
    /// `INSERT`; `literals`, when given, are the rows (read by the parser's
    /// fast path) in place of the statement's own `VALUES`.
    pub(super) fn insert(&self, ins: &ast::Insert, literals: Option<&LiteralRows>) -> Result<Plan> {
        let TableObject::TableName(name) = &ins.table else {
            return Err(SqlError::unsupported("INSERT into a table function"));
        };
        let (schema, tname) = split_name(name)?;
        let table = super::writable_table(self.txn, &schema, &tname)?;
        let alias = ins.table_alias.as_ref().map(|a| ident(&a.alias));
        let names = ins
            .columns
            .iter()
            .map(last_part)
            .collect::<Result<Vec<_>>>()?;
        let targets = target_columns(&table, &names)?;
        let defaults = self.defaults(&table)?;
        let checks = self.checks(&table)?;
        let on_conflict = match &ins.on {
            None => None,
            Some(ast::OnInsert::OnConflict(oc)) => {
                Some(self.on_conflict(&table, alias.as_deref(), oc)?)
            }
            Some(other) => return Err(SqlError::unsupported(format!("INSERT {other}"))),
        };
        let returning = self.returning(
            &table_scope(&table, alias.as_deref()),
            ins.returning.as_deref(),
        )?;
        let Some(query) = &ins.source else {
            // DEFAULT VALUES: one row of defaults.
            return Ok(Plan::Insert {
                table,
                source: InsertSource::Values(vec![defaults]),
                checks,
                on_conflict,
                returning,
            });
        };
        // Identity columns: what a given value does to them.
        let identity = IdentityRule {
            table: &table,
            overriding: ins.overriding.as_ref(),
        };
        let all_columns = names.is_empty();
        // Plain VALUES: each expression is assigned to its column, so an
        // untyped literal reads as the column's type.
        let source = match (literals, query.body.as_ref()) {
            (Some(literals), _) => {
                let targets = fitted(targets, all_columns, literals.width());
                InsertSource::Values(values_rows(
                    literals.rows(),
                    &targets,
                    &defaults,
                    |l, i| identity.takes(i)?.then(|| row_literal(l)).transpose(),
                )?)
            }
            (None, SetExpr::Values(values))
                if query.order_by.is_none() && query.limit_clause.is_none() =>
            {
                let empty = Scope::default();
                let width = values.rows.first().map_or(0, |r| r.len());
                let targets = fitted(targets, all_columns, width);
                let rows = values.rows.iter().map(|r| r.iter());
                InsertSource::Values(values_rows(rows, &targets, &defaults, |e, i| {
                    if is_default(e) || !identity.takes(i)? {
                        return Ok(None);
                    }
                    self.infer_param(e, || table.columns.get(i).map(|c| c.data_type));
                    self.expr_in(e, &empty).map(Some)
                })?)
            }
            _ => {
                let bound = self.query(query, None, &Cell::new(false))?;
                let targets = fitted(targets, all_columns, bound.columns.len());
                check_width(bound.columns.len(), targets.len())?;
                let mut kept = Vec::with_capacity(targets.len());
                for &i in &targets {
                    kept.push(identity.takes(i)?.then_some(i));
                }
                InsertSource::Query {
                    rel: bound.rel,
                    targets: kept,
                    defaults,
                }
            }
        };
        Ok(Plan::Insert {
            table,
            source,
            checks,
            on_conflict,
            returning,
        })
    }

    pub(super) fn update(&self, up: &ast::Update) -> Result<Plan> {
        let table = dml_table(self.txn, &up.table.relation)?;
        let alias = match &up.table.relation {
            ast::TableFactor::Table { alias, .. } => alias.as_ref().map(|a| ident(&a.name)),
            _ => None,
        };
        let others = match &up.from {
            None => None,
            Some(
                ast::UpdateTableFromKind::AfterSet(items)
                | ast::UpdateTableFromKind::BeforeSet(items),
            ) => Some(items.as_slice()),
        };
        let (from, scope) = self.joined(&table, alias.as_deref(), others)?;
        let mut set = Vec::new();
        for a in &up.assignments {
            set.push(self.assignment(&table, a, &scope)?);
        }
        let filter = up
            .selection
            .as_ref()
            .map(|e| self.condition(e, &scope, "WHERE"))
            .transpose()?;
        let returning = self.returning(&scope, up.returning.as_deref())?;
        let checks = self.checks(&table)?;
        Ok(Plan::Update {
            table,
            from,
            filter,
            set,
            checks,
            returning,
        })
    }

    pub(super) fn delete(&self, del: &ast::Delete) -> Result<Plan> {
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &del.from;
        let [from] = from.as_slice() else {
            return Err(SqlError::unsupported("DELETE from several tables"));
        };
        let table = dml_table(self.txn, &from.relation)?;
        let alias = match &from.relation {
            ast::TableFactor::Table { alias, .. } => alias.as_ref().map(|a| ident(&a.name)),
            _ => None,
        };
        let (using, scope) = self.joined(&table, alias.as_deref(), del.using.as_deref())?;
        let filter = del
            .selection
            .as_ref()
            .map(|e| self.condition(e, &scope, "WHERE"))
            .transpose()?;
        let returning = self.returning(&scope, del.returning.as_deref())?;
        Ok(Plan::Delete {
            table,
            using,
            filter,
            returning,
        })
    }

    /// The scope of an `UPDATE` or `DELETE`: the table written (its columns,
    /// then hidden ones), then the tables of `UPDATE … FROM` or
    /// `DELETE … USING`, whose rows (joined) are returned as a plan. The
    /// table written may appear among them only under another name (42712).
    fn joined(
        &self,
        table: &TableDef,
        alias: Option<&str>,
        others: Option<&[ast::TableWithJoins]>,
    ) -> Result<(Option<Rel>, Scope)> {
        let scope = table_scope(table, alias);
        let Some(others) = others.filter(|o| !o.is_empty()) else {
            return Ok((None, scope));
        };
        let (rel, from_scope) = self.from(others, None, &Cell::new(false))?;
        let name = alias.unwrap_or(&table.name);
        if from_scope.has_table(name) {
            return Err(SqlError::new(
                "42712",
                format!("table name \"{name}\" specified more than once"),
            ));
        }
        Ok((Some(rel), Scope::join(scope, from_scope)))
    }

    /// Each column's `DEFAULT`, bound (NULL where none).
    pub(super) fn defaults(&self, table: &TableDef) -> Result<Vec<Expr>> {
        let empty = Scope::default();
        table
            .columns
            .iter()
            .map(|c| match &c.default {
                None => Ok(Expr::Const(Value::Null)),
                Some(sql) => self.expr_in(&crate::parser::parse_expr(sql)?, &empty),
            })
            .collect()
    }

    /// The table's `CHECK` constraints, bound over its rows.
    pub(super) fn checks(&self, table: &TableDef) -> Result<Vec<(String, Expr)>> {
        let scope = table_scope(table, None);
        table
            .checks
            .iter()
            .map(|c| Ok((c.name.clone(), self.check_expr(&c.expr, &scope)?)))
            .collect()
    }

    /// One `SET column = value` of an `UPDATE` or `DO UPDATE`, bound in
    /// `scope`: the column's position and its new value (428C9 for a value
    /// other than `DEFAULT` in a `GENERATED ALWAYS` column).
    pub(super) fn assignment(
        &self,
        table: &TableDef,
        a: &ast::Assignment,
        scope: &Scope,
    ) -> Result<(usize, crate::expr::Expr)> {
        let i = assignment_column(table, &a.target)?;
        let column = &table.columns[i];
        self.infer_param(&a.value, || Some(column.data_type));
        if is_default(&a.value) {
            return Ok((i, self.defaults(table)?.swap_remove(i)));
        }
        if column.identity == Some(Identity::Always) {
            return Err(SqlError::new(
                "428C9",
                format!("column \"{}\" can only be updated to DEFAULT", column.name),
            ));
        }
        Ok((i, self.condition(&a.value, scope, "UPDATE")?))
    }

    /// `e` bound in `scope`, where aggregates are not allowed (42803).
    pub(super) fn condition(&self, e: &ast::Expr, scope: &Scope, clause: &str) -> Result<Expr> {
        self.no_agg(self.expr_in(e, scope)?, clause)
    }

    fn no_agg(&self, e: Expr, clause: &str) -> Result<Expr> {
        if super::expr::contains_agg(&e) {
            return Err(SqlError::new(
                "42803",
                format!("aggregate functions are not allowed in {clause}"),
            ));
        }
        Ok(e)
    }

    /// `RETURNING` items over the written row (table columns, then hidden,
    /// then those of the tables `FROM` or `USING` joined), bound in `scope`.
    fn returning(&self, scope: &Scope, items: Option<&[SelectItem]>) -> Result<Option<Returning>> {
        let Some(items) = items else {
            return Ok(None);
        };
        let types = scope.types();
        let mut columns: Vec<Column> = Vec::new();
        let mut exprs = Vec::new();
        for item in items {
            let (name, e) = match item {
                SelectItem::Wildcard(_) => {
                    for c in &scope.star {
                        columns.push((c.name.clone(), c.data_type));
                        exprs.push(c.expr.clone());
                    }
                    continue;
                }
                SelectItem::QualifiedWildcard(
                    ast::SelectItemQualifiedWildcardKind::ObjectName(n),
                    _,
                ) => {
                    for (name, e) in scope.table_star(&last_part(n)?)? {
                        columns.push((name, type_of(&e, &types)));
                        exprs.push(e);
                    }
                    continue;
                }
                SelectItem::UnnamedExpr(e) => (super::query::column_name(e), e),
                SelectItem::ExprWithAlias { expr, alias } => (ident(alias), expr),
                other => return Err(SqlError::unsupported(format!("RETURNING {other}"))),
            };
            let bound = self.no_agg(self.expr_in(e, scope)?, "RETURNING")?;
            columns.push((name, type_of(&bound, &types)));
            exprs.push(bound);
        }
        Ok(Some(Returning { columns, exprs }))
    }
}

/// The scope of a table a statement writes: its columns, then hidden ones
/// (which read as NULL there).
pub(super) fn table_scope(table: &TableDef, alias: Option<&str>) -> Scope {
    let columns: Vec<Column> = table
        .columns
        .iter()
        .map(|c| (c.name.clone(), Some(c.data_type)))
        .collect();
    Scope::table(
        alias.unwrap_or(&table.name),
        &columns,
        &hidden_columns(),
        None,
    )
}

/// The bound rows of a `VALUES` list: each row over the table's defaults,
/// its values in the `targets` columns; `bind` binds one value for its
/// column, or gives `None` to leave the default.
fn values_rows<R, C>(
    rows: R,
    targets: &[usize],
    defaults: &[Expr],
    mut bind: impl FnMut(C, usize) -> Result<Option<Expr>>,
) -> Result<Vec<Vec<Expr>>>
where
    R: Iterator,
    R::Item: ExactSizeIterator<Item = C>,
{
    let mut out = Vec::with_capacity(rows.size_hint().0);
    for row in rows {
        check_width(row.len(), targets.len())?;
        let mut full = defaults.to_vec();
        for (&i, cell) in targets.iter().zip(row) {
            if let Some(e) = bind(cell, i)? {
                full[i] = e;
            }
        }
        out.push(full);
    }
    Ok(out)
}

/// Whether `e` is the keyword `DEFAULT` (as `sqlparser` reads it in VALUES
/// and SET).
pub(super) fn is_default(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default"))
}

/// The position of the column an `UPDATE` or `DO UPDATE` assigns.
fn assignment_column(table: &TableDef, target: &AssignmentTarget) -> Result<usize> {
    let AssignmentTarget::ColumnName(col) = target else {
        return Err(SqlError::unsupported("UPDATE of a column tuple"));
    };
    let name = last_part(col)?;
    table.position_of(&name).ok_or_else(|| {
        SqlError::new(
            "42703",
            format!(
                "column \"{name}\" of relation \"{}\" does not exist",
                table.name
            ),
        )
    })
}

/// How an `INSERT` treats values given for identity columns.
struct IdentityRule<'t> {
    table: &'t TableDef,
    overriding: Option<&'t ast::InsertOverriding>,
}

impl IdentityRule<'_> {
    /// Whether a value given for column `i` is stored (`false`: its default
    /// is, under `OVERRIDING USER VALUE`); 428C9 for a `GENERATED ALWAYS`
    /// column without `OVERRIDING SYSTEM VALUE`.
    fn takes(&self, i: usize) -> Result<bool> {
        let Some(identity) = self.table.columns.get(i).and_then(|c| c.identity) else {
            return Ok(true);
        };
        match (identity, self.overriding) {
            (_, Some(ast::InsertOverriding::User)) => Ok(false),
            (Identity::Always, None) => Err(SqlError::new(
                "428C9",
                format!(
                    "cannot insert a non-DEFAULT value into column \"{}\"",
                    self.table.columns[i].name
                ),
            )),
            _ => Ok(true),
        }
    }
}

/// The target columns: without a column list, fewer values than columns
/// fill the first columns.
fn fitted(mut targets: Vec<usize>, all: bool, width: usize) -> Vec<usize> {
    if all && width < targets.len() {
        targets.truncate(width);
    }
    targets
}

fn check_width(given: usize, targets: usize) -> Result<()> {
    if given > targets {
        return Err(SqlError::new(
            "42601",
            "INSERT has more expressions than target columns",
        ));
    }
    if given < targets {
        return Err(SqlError::new(
            "42601",
            "INSERT has more target columns than expressions",
        ));
    }
    Ok(())
}

/// The positions of the columns an `INSERT` or `COPY` names (every column
/// when it names none).
pub(super) fn target_columns(table: &TableDef, names: &[String]) -> Result<Vec<usize>> {
    if names.is_empty() {
        return Ok((0..table.columns.len()).collect());
    }
    names
        .iter()
        .map(|n| {
            table
                .columns
                .iter()
                .position(|d| d.name == *n)
                .ok_or_else(|| {
                    SqlError::new(
                        "42703",
                        format!(
                            "column \"{n}\" of relation \"{}\" does not exist",
                            table.name
                        ),
                    )
                })
        })
        .collect()
}
