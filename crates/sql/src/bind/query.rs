//! Binding queries: `SELECT` (with joins, grouping, ordering), set
//! operations, `VALUES` and `WITH` (`recursive.rs`: `WITH RECURSIVE`), to
//! relational plans.

mod lateral;
mod locking;
mod recursive;

pub(crate) use recursive::WorkRefs;

use std::cell::Cell;

use sqlparser::ast::{
    self, GroupByExpr, JoinConstraint, JoinOperator, LimitClause, OrderByKind, OrderBySort,
    SelectItem, SelectItemQualifiedWildcardKind, SetExpr, SetOperator, SetQuantifier, TableFactor,
    TableWithJoins,
};

use driftdb_engine::text::parse_text;
use driftdb_engine::value::{DataType, Value};

use super::expr::{contains_agg, literal};
use super::grouping::{Grouping, item_sets};
use super::scope::{Level, Scope};
use super::types::type_of;
use super::window::{no_window_in, plan_windows};
use super::{Binder, Bound, Column, ident};
use crate::error::{Result, SqlError};
use crate::expr::{BinOp, Expr, Func};
use crate::rel::{
    AggCall, AggFunc, Aggregate, Join, JoinKind, Rel, Series, SeriesFunc, SetOp, SetOpKind, SortKey,
};

/// A set-returning function call in `FROM`, as written.
struct SeriesCall<'a> {
    func: SeriesFunc,
    /// The function's name (the column's, without an alias).
    name: String,
    args: Vec<&'a ast::Expr>,
    alias: Option<&'a ast::TableAlias>,
    with_ordinality: bool,
}

/// The set-returning function `factor` calls, when it is one.
fn series_call(factor: &TableFactor) -> Result<Option<SeriesCall<'_>>> {
    let (name, args, alias, with_ordinality) = match factor {
        TableFactor::Table {
            name,
            alias,
            args: Some(args),
            with_ordinality,
            ..
        } => (name, &args.args, alias, with_ordinality),
        TableFactor::Function {
            name,
            args,
            alias,
            with_ordinality,
            ..
        } => (name, args, alias, with_ordinality),
        _ => return unnest_call(factor),
    };
    let Some(func) = series_func(name) else {
        return Ok(None);
    };
    Ok(Some(SeriesCall {
        func,
        name: super::last_part(name)?,
        args: series_args(args)?,
        alias: alias.as_ref(),
        with_ordinality: *with_ordinality,
    }))
}

/// The `UNNEST(array)` `factor` is, when it is one.
fn unnest_call(factor: &TableFactor) -> Result<Option<SeriesCall<'_>>> {
    Ok(Some(match factor {
        TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset,
            with_ordinality,
            ..
        } => {
            let ([array], false) = (array_exprs.as_slice(), *with_offset) else {
                return Err(SqlError::unsupported(
                    "unnest() of several arrays or WITH OFFSET",
                ));
            };
            SeriesCall {
                func: SeriesFunc::Unnest,
                name: "unnest".into(),
                args: vec![array],
                alias: alias.as_ref(),
                with_ordinality: *with_ordinality,
            }
        }
        _ => return Ok(None),
    }))
}

/// The arguments of a set-returning function call in `FROM`.
fn series_args(args: &[ast::FunctionArg]) -> Result<Vec<&ast::Expr>> {
    args.iter()
        .map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
            other => Err(SqlError::unsupported(format!("argument {other}"))),
        })
        .collect()
}

/// Where an `ORDER BY` key comes from.
enum OrderTarget {
    /// An output column.
    Output(usize),
    /// An expression over the input (or grouped) row.
    Expr(Expr),
}

impl Binder<'_, '_> {
    /// Binds a query; `parent` is the enclosing query of a subquery, and
    /// `correlated` is set when the query reads a column of an enclosing one.
    pub(crate) fn query(
        &self,
        q: &ast::Query,
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<Bound> {
        let visible = self.ctes.borrow().len();
        let result = self.with_ctes(q, parent, correlated);
        self.ctes.borrow_mut().truncate(visible);
        let mut bound = result?;
        locking::apply(q, &q.locks, &mut bound)?;
        Ok(bound)
    }

    fn with_ctes(
        &self,
        q: &ast::Query,
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<Bound> {
        if let Some(with) = &q.with {
            let first = self.ctes.borrow().len();
            for cte in &with.cte_tables {
                let name = ident(&cte.alias.name);
                if self.ctes.borrow()[first..].iter().any(|(n, _)| *n == name) {
                    return Err(SqlError::new(
                        "42712",
                        format!("WITH query name \"{name}\" specified more than once"),
                    ));
                }
                let mut bound = if with.recursive {
                    self.recursive_cte(cte, &name, parent, correlated)?
                } else {
                    self.query(&cte.query, parent, correlated)?
                };
                rename_columns(&mut bound.columns, &cte.alias.columns, &name)?;
                self.ctes.borrow_mut().push((name, bound));
            }
        }
        let order: &[ast::OrderByExpr] = match &q.order_by {
            None => &[],
            Some(ob) => match &ob.kind {
                OrderByKind::Expressions(items) => items,
                OrderByKind::All(_) => return Err(SqlError::unsupported("ORDER BY ALL")),
            },
        };
        let mut bound = match q.body.as_ref() {
            SetExpr::Select(s) => self.select(s, order, parent, correlated)?,
            body => {
                let bound = self.set_expr(body, parent, correlated)?;
                self.order_outputs(bound, order)?
            }
        };
        let (mut limit, offset) = self.limit(q.limit_clause.as_ref())?;
        if let Some(fetch) = &q.fetch {
            if fetch.with_ties || fetch.percent {
                return Err(SqlError::unsupported("FETCH … WITH TIES or PERCENT"));
            }
            limit = match &fetch.quantity {
                None => Some(1),
                Some(e) => match self.constant(e, "FETCH")? {
                    Value::Int4(n) if n >= 0 => Some(n as u64),
                    Value::Int8(n) if n >= 0 => Some(n as u64),
                    Value::Null => None,
                    _ => {
                        return Err(SqlError::new(
                            "2201W",
                            "row count in FETCH FIRST … ROWS ONLY must not be negative",
                        ));
                    }
                },
            };
        }
        if limit.is_some() || offset > 0 {
            bound.rel = Rel::Limit {
                input: Box::new(bound.rel),
                limit,
                offset,
            };
        }
        Ok(bound)
    }

    fn limit(&self, clause: Option<&LimitClause>) -> Result<(Option<u64>, u64)> {
        let count = |e: &ast::Expr, what: &str, code: &'static str| -> Result<Option<u64>> {
            self.infer_param(e, || Some(DataType::Int8));
            let value = match self.constant(e, what)? {
                // An untyped parameter's text reads as the bigint it must be.
                Value::Text(t) => parse_text(&t, DataType::Int8)?,
                v => v,
            };
            match value {
                Value::Null => Ok(None),
                Value::Int2(n) if n >= 0 => Ok(Some(n as u64)),
                Value::Int4(n) if n >= 0 => Ok(Some(n as u64)),
                Value::Int8(n) if n >= 0 => Ok(Some(n as u64)),
                Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => {
                    Err(SqlError::new(code, format!("{what} must not be negative")))
                }
                _ => Err(SqlError::new(
                    "42804",
                    format!("argument of {what} must be type bigint"),
                )),
            }
        };
        match clause {
            None => Ok((None, 0)),
            Some(LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) if limit_by.is_empty() => {
                let limit = limit
                    .as_ref()
                    .map(|e| count(e, "LIMIT", "2201W"))
                    .transpose()?
                    .flatten();
                let offset = offset
                    .as_ref()
                    .map(|o| count(&o.value, "OFFSET", "2201X"))
                    .transpose()?
                    .flatten();
                Ok((limit, offset.unwrap_or(0)))
            }
            Some(_) => Err(SqlError::unsupported("this LIMIT form")),
        }
    }

    fn set_expr(
        &self,
        body: &SetExpr,
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<Bound> {
        match body {
            SetExpr::Select(s) => self.select(s, &[], parent, correlated),
            SetExpr::Query(q) => self.query(q, parent, correlated),
            SetExpr::Values(v) => self.values(v, parent, correlated),
            SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let l = self.set_expr(left, parent, correlated)?;
                let r = self.set_expr(right, parent, correlated)?;
                let kind = match op {
                    SetOperator::Union => SetOpKind::Union,
                    SetOperator::Intersect => SetOpKind::Intersect,
                    SetOperator::Except | SetOperator::Minus => SetOpKind::Except,
                };
                let name = match kind {
                    SetOpKind::Union => "UNION",
                    SetOpKind::Intersect => "INTERSECT",
                    SetOpKind::Except => "EXCEPT",
                };
                if l.columns.len() != r.columns.len() {
                    return Err(SqlError::new(
                        "42601",
                        format!("each {name} query must have the same number of columns"),
                    ));
                }
                let mut columns = l.columns;
                for (c, (_, rt)) in columns.iter_mut().zip(&r.columns) {
                    c.1 = unify(name, c.1, *rt)?;
                }
                let all = match set_quantifier {
                    SetQuantifier::All => true,
                    SetQuantifier::Distinct | SetQuantifier::None => false,
                    other => return Err(SqlError::unsupported(format!("{name} {other}"))),
                };
                Ok(Bound {
                    rel: Rel::SetOp(Box::new(SetOp {
                        kind,
                        all,
                        left: l.rel,
                        right: r.rel,
                    })),
                    columns,
                })
            }
            other => Err(SqlError::unsupported(format!("query body {other}"))),
        }
    }

    fn values(
        &self,
        v: &ast::Values,
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<Bound> {
        let empty = Scope::default();
        let level = Level {
            scope: &empty,
            parent,
            correlated,
        };
        let width = v.rows.first().map_or(0, |r| r.len());
        let mut rows = Vec::with_capacity(v.rows.len());
        let mut types: Vec<Option<DataType>> = vec![None; width];
        for row in &v.rows {
            if row.len() != width {
                return Err(SqlError::new(
                    "42601",
                    "VALUES lists must all be the same length",
                ));
            }
            let bound = row
                .iter()
                .map(|e| self.expr(e, &level))
                .collect::<Result<Vec<_>>>()?;
            for (t, e) in types.iter_mut().zip(&bound) {
                if !matches!(e, Expr::Unknown(_)) {
                    *t = unify("VALUES", *t, type_of(e, &[]))?;
                }
            }
            rows.push(bound);
        }
        // Untyped literals of a column read as its type (text when none).
        let rows = rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .zip(&types)
                    .map(|(e, t)| match (e, t) {
                        (Expr::Unknown(s), Some(t)) => Expr::Cast(Box::new(Expr::Unknown(s)), *t),
                        (e, _) => e,
                    })
                    .collect()
            })
            .collect();
        Ok(Bound {
            rel: Rel::Values(rows),
            columns: (1..=width)
                .zip(types)
                .map(|(i, t)| (format!("column{i}"), t.or(Some(DataType::Text))))
                .collect(),
        })
    }

    /// `ORDER BY` over the output columns of a set operation or `VALUES`.
    fn order_outputs(&self, bound: Bound, order: &[ast::OrderByExpr]) -> Result<Bound> {
        if order.is_empty() {
            return Ok(bound);
        }
        let names: Vec<(String, Option<DataType>)> = bound.columns.clone();
        let scope = Scope::table("", &names, &[], None);
        let unused = Cell::new(false);
        let level = Level {
            scope: &scope,
            parent: None,
            correlated: &unused,
        };
        let mut keys = Vec::new();
        for item in order {
            let expr = match self.output_ref(&item.expr, &names)? {
                Some(k) => Expr::Column(k),
                None => self.expr(&item.expr, &level)?,
            };
            keys.push(sort_key(expr, item));
        }
        Ok(Bound {
            rel: Rel::Sort(Box::new(bound.rel), keys),
            columns: bound.columns,
        })
    }

    /// An `ORDER BY`/`GROUP BY` item naming an output column: by position
    /// (`2`) or by output name.
    fn output_ref(
        &self,
        e: &ast::Expr,
        outputs: &[(String, Option<DataType>)],
    ) -> Result<Option<usize>> {
        match e {
            ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                match literal(&v.value)? {
                    Expr::Const(Value::Int4(n)) if n >= 1 && (n as usize) <= outputs.len() => {
                        Ok(Some(n as usize - 1))
                    }
                    _ => Err(SqlError::new(
                        "42P10",
                        format!("position {v} is not in select list"),
                    )),
                }
            }
            ast::Expr::Identifier(i) => {
                let name = ident(i);
                let mut hits = outputs.iter().enumerate().filter(|(_, c)| c.0 == name);
                match (hits.next(), hits.next()) {
                    (Some((k, _)), None) => Ok(Some(k)),
                    (Some(_), Some(_)) => Err(SqlError::new(
                        "42702",
                        format!("ORDER BY \"{name}\" is ambiguous"),
                    )),
                    _ => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }

    /// A `SELECT` with its named windows in scope.
    fn select(
        &self,
        s: &ast::Select,
        order: &[ast::OrderByExpr],
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<Bound> {
        let named = self.named_windows(&s.named_window)?;
        let outer = self.windows.replace(named);
        let bound = self.select_block(s, order, parent, correlated);
        self.windows.replace(outer);
        bound
    }

    fn select_block(
        &self,
        s: &ast::Select,
        order: &[ast::OrderByExpr],
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<Bound> {
        let (mut rel, scope) = self.from(&s.from, parent, correlated)?;
        let level = Level {
            scope: &scope,
            parent,
            correlated,
        };
        if let Some(w) = &s.selection {
            let pred = self.expr(w, &level)?;
            if contains_agg(&pred) {
                return Err(SqlError::new(
                    "42803",
                    "aggregate functions are not allowed in WHERE",
                ));
            }
            no_window_in(&pred, "WHERE")?;
            rel = Rel::Filter(Box::new(rel), pred);
        }
        // The select list, over the input row.
        let mut outputs: Vec<(String, Expr)> = Vec::new();
        for item in &s.projection {
            match item {
                SelectItem::Wildcard(_) => {
                    if scope.columns.is_empty() {
                        return Err(SqlError::new(
                            "42601",
                            "SELECT * with no tables specified is not valid",
                        ));
                    }
                    outputs.extend(scope.star.iter().map(|c| (c.name.clone(), c.expr.clone())));
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(n),
                    _,
                ) => {
                    outputs.extend(scope.table_star(&super::last_part(n)?)?);
                }
                SelectItem::UnnamedExpr(e) => {
                    outputs.push((column_name(e), shown(self.expr(e, &level)?, parent)));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    outputs.push((ident(alias), shown(self.expr(expr, &level)?, parent)));
                }
                other => return Err(SqlError::unsupported(format!("select item {other}"))),
            }
        }
        let output_names: Vec<(String, Option<DataType>)> =
            outputs.iter().map(|(n, _)| (n.clone(), None)).collect();
        // GROUP BY items: expressions, output positions or output names,
        // and grouping sets of them.
        let mut grouping = Grouping::new();
        let has_group_by = match &s.group_by {
            GroupByExpr::Expressions(items, modifiers) if modifiers.is_empty() => {
                for item in items {
                    let sets = item_sets(item)?
                        .into_iter()
                        .map(|set| {
                            set.into_iter()
                                .map(|g| self.group_key(g, &outputs, &output_names, &level))
                                .collect::<Result<Vec<_>>>()
                        })
                        .collect::<Result<Vec<_>>>()?;
                    grouping.add_item(sets)?;
                }
                !items.is_empty()
            }
            _ => {
                return Err(SqlError::unsupported("GROUP BY ALL and GROUP BY … WITH"));
            }
        };
        let having = s
            .having
            .as_ref()
            .map(|h| self.expr(h, &level))
            .transpose()?;
        if let Some(h) = &having {
            no_window_in(h, "HAVING")?;
        }
        // ORDER BY items, then DISTINCT ON items.
        let order_items = order.iter().map(|item| &item.expr);
        let (distinct, on_items) = match &s.distinct {
            None | Some(ast::Distinct::All) => (false, &[][..]),
            Some(ast::Distinct::Distinct) => (true, &[][..]),
            Some(ast::Distinct::On(items)) => (false, items.as_slice()),
        };
        let mut targets = Vec::new();
        for e in order_items.chain(on_items) {
            targets.push(match self.output_ref(e, &output_names)? {
                Some(k) => OrderTarget::Output(k),
                None => OrderTarget::Expr(self.expr(e, &level)?),
            });
        }
        let aggregated = has_group_by
            || having.is_some()
            || outputs.iter().any(|(_, e)| contains_agg(e))
            || targets
                .iter()
                .any(|t| matches!(t, OrderTarget::Expr(e) if contains_agg(e)));
        let mut types = scope.types();
        let (mut outputs, having, mut targets) = if aggregated {
            let mut aggs: Vec<AggCall> = Vec::new();
            let mut outs = Vec::with_capacity(outputs.len());
            for (n, e) in outputs {
                outs.push((n, grouped(e, &grouping, &mut aggs, &scope)?));
            }
            let having = having
                .map(|h| grouped(h, &grouping, &mut aggs, &scope))
                .transpose()?;
            let targets = targets
                .into_iter()
                .map(|t| match t {
                    OrderTarget::Expr(e) => {
                        Ok(OrderTarget::Expr(grouped(e, &grouping, &mut aggs, &scope)?))
                    }
                    o => Ok(o),
                })
                .collect::<Result<Vec<_>>>()?;
            let mut grouped_types: Vec<Option<DataType>> =
                grouping.keys.iter().map(|g| type_of(g, &types)).collect();
            grouped_types.push(Some(DataType::Int4));
            grouped_types.extend(
                aggs.iter()
                    .map(|a| type_of(&Expr::Agg(Box::new(a.clone())), &types)),
            );
            types = grouped_types;
            rel = Rel::Aggregate(Box::new(Aggregate {
                input: rel,
                group: grouping.keys,
                sets: grouping.sets,
                aggs,
            }));
            (outs, having, targets)
        } else {
            (outputs, having, targets)
        };
        if let Some(h) = having {
            rel = Rel::Filter(Box::new(rel), h);
        }
        let mut exprs: Vec<&mut Expr> = outputs.iter_mut().map(|(_, e)| e).collect();
        exprs.extend(targets.iter_mut().filter_map(|t| match t {
            OrderTarget::Expr(e) => Some(e),
            OrderTarget::Output(_) => None,
        }));
        rel = plan_windows(rel, exprs, &mut types)?;
        let width = outputs.len();
        let mut keys = Vec::new();
        let mut on_columns = Vec::new();
        for (i, t) in targets.into_iter().enumerate() {
            let k = match t {
                OrderTarget::Output(k) => k,
                OrderTarget::Expr(e) => match outputs.iter().position(|(_, o)| *o == e) {
                    Some(k) => k,
                    None if distinct => {
                        return Err(SqlError::new(
                            "42P10",
                            "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
                        ));
                    }
                    None => {
                        outputs.push((String::new(), e));
                        outputs.len() - 1
                    }
                },
            };
            match order.get(i) {
                Some(item) => keys.push(sort_key(Expr::Column(k), item)),
                None => on_columns.push(k),
            }
        }
        if !on_items.is_empty() {
            distinct_on_order(&on_columns, &mut keys)?;
        }
        let columns: Vec<Column> = outputs[..width]
            .iter()
            .map(|(n, e)| (n.clone(), type_of(&level.typed(e), &types)))
            .collect();
        let extra = outputs.len() > width;
        let exprs: Vec<Expr> = outputs.into_iter().map(|(_, e)| e).collect();
        rel = if exprs
            .iter()
            .any(|e| matches!(e, Expr::Call(Func::Series(_), _)))
        {
            Rel::ProjectSet(Box::new(rel), exprs)
        } else {
            Rel::Project(Box::new(rel), exprs)
        };
        if distinct {
            rel = Rel::Distinct(Box::new(rel));
        }
        if !keys.is_empty() {
            rel = Rel::Sort(Box::new(rel), keys);
        }
        if !on_columns.is_empty() {
            rel = Rel::DistinctOn(
                Box::new(rel),
                on_columns.into_iter().map(Expr::Column).collect(),
            );
        }
        if extra {
            rel = Rel::Project(Box::new(rel), (0..width).map(Expr::Column).collect());
        }
        let hidden = self.hidden.borrow();
        rel.scans_mut(&mut |scan| {
            if hidden.contains(&scan.id) {
                scan.hidden = true;
            }
        });
        Ok(Bound { rel, columns })
    }

    /// One `GROUP BY` expression: an output position, an output name (when
    /// no input column has it) or an expression over the input row.
    fn group_key(
        &self,
        g: &ast::Expr,
        outputs: &[(String, Expr)],
        output_names: &[(String, Option<DataType>)],
        level: &Level<'_>,
    ) -> Result<Expr> {
        let by_output = match g {
            ast::Expr::Value(_) => true,
            ast::Expr::Identifier(i) => level.scope.find(None, &ident(i))?.is_none(),
            _ => false,
        };
        let e = match by_output
            .then(|| self.output_ref(g, output_names))
            .transpose()?
        {
            Some(Some(k)) => outputs[k].1.clone(),
            _ => self.expr(g, level)?,
        };
        if contains_agg(&e) {
            return Err(SqlError::new(
                "42803",
                "aggregate functions are not allowed in GROUP BY",
            ));
        }
        no_window_in(&e, "GROUP BY")?;
        Ok(e)
    }

    /// The `FROM` list: its items cross-joined.
    /// The items of a `FROM` list, joined.
    pub(super) fn from(
        &self,
        from: &[TableWithJoins],
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<(Rel, Scope)> {
        let mut acc: Option<(Rel, Scope)> = None;
        for item in from {
            // A LATERAL subquery or a function after other items reads
            // their rows.
            if let Some((lrel, lscope)) = acc.take() {
                match self.lateral_item(&item.relation, &lscope, parent, correlated)? {
                    Some((rrel, rscope)) => {
                        let join = Rel::Lateral(Box::new(Join {
                            kind: JoinKind::Inner,
                            left: lrel,
                            right: rrel,
                            on: Expr::Const(Value::Bool(true)),
                            left_width: lscope.columns.len(),
                            right_width: rscope.columns.len(),
                        }));
                        let joined = (join, Scope::join(lscope, rscope));
                        acc = Some(self.joins_onto(joined, &item.joins, parent, correlated)?);
                        continue;
                    }
                    None => acc = Some((lrel, lscope)),
                }
            }
            let (rel, scope) = self.table_with_joins(item, parent, correlated)?;
            acc = Some(match acc {
                None => (rel, scope),
                Some((lrel, lscope)) => {
                    let (lw, rw) = (lscope.columns.len(), scope.columns.len());
                    (
                        Rel::Join(Box::new(Join {
                            kind: JoinKind::Inner,
                            left: lrel,
                            right: rel,
                            on: Expr::Const(Value::Bool(true)),
                            left_width: lw,
                            right_width: rw,
                        })),
                        Scope::join(lscope, scope),
                    )
                }
            });
        }
        Ok(acc.unwrap_or_else(|| (Rel::Values(vec![Vec::new()]), Scope::default())))
    }

    fn table_with_joins(
        &self,
        twj: &TableWithJoins,
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<(Rel, Scope)> {
        let left = self.factor(&twj.relation, parent, correlated)?;
        self.joins_onto(left, &twj.joins, parent, correlated)
    }

    /// `joins` applied in order to `left`.
    fn joins_onto(
        &self,
        (mut rel, mut scope): (Rel, Scope),
        joins: &[ast::Join],
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<(Rel, Scope)> {
        for j in joins {
            let (kind, constraint) = match &j.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) => (JoinKind::Inner, Some(c)),
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (JoinKind::Left, Some(c)),
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (JoinKind::Right, Some(c)),
                JoinOperator::FullOuter(c) => (JoinKind::Full, Some(c)),
                JoinOperator::CrossJoin(_) => (JoinKind::Inner, None),
                other => return Err(SqlError::unsupported(format!("join {other:?}"))),
            };
            // LATERAL reads the left side's rows in inner and left joins; in
            // the others the left side is out of its reach, as PostgreSQL's.
            let lateral = match kind {
                JoinKind::Inner | JoinKind::Left => {
                    self.lateral_item(&j.relation, &scope, parent, correlated)?
                }
                JoinKind::Right | JoinKind::Full => None,
            };
            let is_lateral = lateral.is_some();
            let (right, rscope) = match lateral {
                Some(r) => r,
                None => self
                    .factor(&j.relation, parent, correlated)
                    .map_err(lateral::out_of_reach)?,
            };
            let (lw, rw) = (scope.columns.len(), rscope.columns.len());
            let visible =
                |s: &Scope| -> Vec<String> { s.star.iter().map(|c| c.name.clone()).collect() };
            let natural: Vec<String> = {
                let r = visible(&rscope);
                visible(&scope)
                    .into_iter()
                    .filter(|n| r.contains(n))
                    .collect()
            };
            let mut joined = Scope::join(scope, rscope);
            let on = match constraint {
                None | Some(JoinConstraint::None) => Expr::Const(Value::Bool(true)),
                Some(JoinConstraint::On(e)) => {
                    let level = Level {
                        scope: &joined,
                        parent,
                        correlated,
                    };
                    let on = self.expr(e, &level)?;
                    if contains_agg(&on) {
                        return Err(SqlError::new(
                            "42803",
                            "aggregate functions are not allowed in JOIN conditions",
                        ));
                    }
                    no_window_in(&on, "JOIN conditions")?;
                    on
                }
                Some(JoinConstraint::Using(names)) => {
                    let names = names
                        .iter()
                        .map(super::last_part)
                        .collect::<Result<Vec<_>>>()?;
                    using_condition(joined.merge_using(&names, lw, kind)?)
                }
                Some(JoinConstraint::Natural) => {
                    using_condition(joined.merge_using(&natural, lw, kind)?)
                }
                Some(other) => {
                    return Err(SqlError::unsupported(format!("join constraint {other:?}")));
                }
            };
            let join = Box::new(Join {
                kind,
                left: rel,
                right,
                on,
                left_width: lw,
                right_width: rw,
            });
            rel = if is_lateral {
                Rel::Lateral(join)
            } else {
                Rel::Join(join)
            };
            scope = joined;
        }
        Ok((rel, scope))
    }

    /// A set-returning function in `FROM`: one column named by the
    /// function (or its alias), and `ordinality` with `WITH ORDINALITY`; its
    /// arguments may read enclosing queries (after other `FROM` items, the
    /// rows of those: see `lateral.rs`).
    fn series(
        &self,
        call: &SeriesCall<'_>,
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<(Rel, Scope)> {
        let SeriesCall {
            func,
            name: fname,
            args,
            alias,
            with_ordinality,
        } = call;
        let (func, alias, with_ordinality) = (*func, *alias, *with_ordinality);
        let empty = Scope::default();
        let level = Level {
            scope: &empty,
            parent,
            correlated,
        };
        let exprs = args
            .iter()
            .map(|e| self.expr(e, &level))
            .collect::<Result<Vec<_>>>()?;
        let first_arg_type = exprs.first().and_then(|e| type_of(&level.typed(e), &[]));
        let table = alias.map_or(fname.to_string(), |a| ident(&a.name));
        let first_type = match func {
            SeriesFunc::Unnest => Some(
                first_arg_type
                    .and_then(DataType::element)
                    .unwrap_or(DataType::Text),
            ),
            SeriesFunc::GenerateSubscripts => Some(DataType::Int4),
            SeriesFunc::PartitionAncestors => Some(DataType::Int8),
            SeriesFunc::GenerateSeries => first_arg_type,
            SeriesFunc::RegexpMatches => DataType::array_of(DataType::Text).ok(),
            SeriesFunc::Json(j) => Some(j.result_type()),
        };
        // A single-column function is named by its alias.
        let first = match alias {
            Some(a) if a.columns.is_empty() => table.clone(),
            _ => fname.to_string(),
        };
        // A JSON function with named columns (`jsonb_each`: key, value)
        // gives each column by a call of its own, zipped by a projection.
        let named = match func {
            SeriesFunc::Json(j) => j.columns(),
            _ => None,
        };
        let mut columns = match &named {
            Some(cols) => cols
                .iter()
                .map(|(n, j)| (n.to_string(), Some(j.result_type())))
                .collect(),
            None => vec![(first, first_type)],
        };
        if with_ordinality {
            columns.push(("ordinality".into(), Some(DataType::Int8)));
        }
        if let Some(a) = alias {
            rename_columns(&mut columns, &a.columns, &table)?;
        }
        let scope = Scope::table(&table, &columns, &[], None);
        if let Some(cols) = named.filter(|cols| cols.len() > 1) {
            if with_ordinality {
                return Err(SqlError::unsupported(format!(
                    "WITH ORDINALITY on {fname}()"
                )));
            }
            let calls = cols
                .into_iter()
                .map(|(_, j)| Expr::Call(Func::Series(SeriesFunc::Json(j)), exprs.clone()))
                .collect();
            let rel = Rel::ProjectSet(Box::new(Rel::Values(vec![Vec::new()])), calls);
            return Ok((rel, scope));
        }
        let rel = Rel::Series(Box::new(Series {
            func,
            args: exprs,
            ordinality: with_ordinality,
        }));
        Ok((rel, scope))
    }

    fn factor(
        &self,
        factor: &TableFactor,
        parent: Option<&Level<'_>>,
        correlated: &Cell<bool>,
    ) -> Result<(Rel, Scope)> {
        if let Some(call) = series_call(factor)? {
            return self.series(&call, parent, correlated);
        }
        match factor {
            TableFactor::Table {
                name,
                alias,
                version,
                args: None,
                ..
            } => {
                if version.is_none()
                    && let [ast::ObjectNamePart::Identifier(i)] = name.0.as_slice()
                {
                    let n = ident(i);
                    let cte = self
                        .ctes
                        .borrow()
                        .iter()
                        .rev()
                        .find(|(c, _)| *c == n)
                        .map(|(_, b)| b.clone());
                    if let Some(b) = cte {
                        if let Rel::WorkTable(id) = b.rel {
                            self.work_reference(id)?;
                        }
                        let table = alias.as_ref().map_or(n, |a| ident(&a.name));
                        let mut columns = b.columns;
                        if let Some(a) = alias {
                            rename_columns(&mut columns, &a.columns, &table)?;
                        }
                        return Ok((b.rel, Scope::table(&table, &columns, &[], None)));
                    }
                }
                if let Some(bound) = self.catalog_relation(name, version.as_ref())? {
                    let (_, tname) = super::split_name(name)?;
                    let table = alias.as_ref().map_or(tname, |a| ident(&a.name));
                    let mut columns = bound.columns;
                    if let Some(a) = alias {
                        rename_columns(&mut columns, &a.columns, &table)?;
                    }
                    return Ok((bound.rel, Scope::table(&table, &columns, &[], None)));
                }
                if version.is_none()
                    && let Some(bound) = self.system_table(name)?
                {
                    let (_, tname) = super::split_name(name)?;
                    let table = alias.as_ref().map_or(tname, |a| ident(&a.name));
                    return Ok((bound.rel, Scope::table(&table, &bound.columns, &[], None)));
                }
                // Tables and views share names: a view is looked up only
                // when no table has the name.
                match self.table(name, alias.as_ref(), version.as_ref()) {
                    Err(e) if e.sqlstate == "42P01" && version.is_none() => {
                        let Some(bound) = self.view(name)? else {
                            return Err(e);
                        };
                        let (_, vname) = super::split_name(name)?;
                        let table = alias.as_ref().map_or(vname, |a| ident(&a.name));
                        let mut columns = bound.columns;
                        if let Some(a) = alias {
                            rename_columns(&mut columns, &a.columns, &table)?;
                        }
                        Ok((bound.rel, Scope::table(&table, &columns, &[], None)))
                    }
                    other => other,
                }
            }
            TableFactor::Table {
                name,
                alias,
                args: Some(args),
                ..
            } => {
                let bound = self.table_function(name, &args.args)?;
                let (_, fname) = super::split_name(name)?;
                let table = alias.as_ref().map_or(fname, |a| ident(&a.name));
                Ok((bound.rel, Scope::table(&table, &bound.columns, &[], None)))
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                let unused = Cell::new(false);
                let mut b = self.query(subquery, parent, &unused)?;
                if unused.get() {
                    correlated.set(true);
                }
                let table = alias.as_ref().map_or(String::new(), |a| ident(&a.name));
                if let Some(a) = alias {
                    rename_columns(&mut b.columns, &a.columns, &table)?;
                }
                Ok((b.rel, Scope::table(&table, &b.columns, &[], None)))
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.table_with_joins(table_with_joins, parent, correlated),
            other => Err(SqlError::unsupported(format!("FROM item {other}"))),
        }
    }
}

/// A select item of a query that is no subquery: a `regclass` (or other
/// `reg*`) value, an OID inside DriftDB, is shown by name as PostgreSQL
/// prints it.
fn shown(e: Expr, parent: Option<&Level<'_>>) -> Expr {
    use crate::expr::Func;
    match e {
        Expr::Call(Func::Catalog(f), args) if parent.is_none() => match f.output() {
            Some(out) if f != crate::system::functions::CatalogFunc::PartitionAncestors => {
                Expr::Call(Func::Catalog(out), vec![Expr::Call(Func::Catalog(f), args)])
            }
            _ => Expr::Call(Func::Catalog(f), args),
        },
        other => other,
    }
}

/// The sort of a `SELECT DISTINCT ON (…)`: its items (output columns
/// `on`) must be the leading `ORDER BY` keys, in any order (42P10 when an
/// `ORDER BY` key that is no `DISTINCT ON` item comes before one); items
/// `ORDER BY` lacks are sorted on after it, ascending, as PostgreSQL does.
fn distinct_on_order(on: &[usize], keys: &mut Vec<SortKey>) -> Result<()> {
    let mismatch = || {
        SqlError::new(
            "42P10",
            "SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
        )
    };
    let ordered: Vec<usize> = keys
        .iter()
        .filter_map(|k| match k.expr {
            Expr::Column(c) => Some(c),
            _ => None,
        })
        .collect();
    let mut skipped = false;
    for c in &ordered {
        match (on.contains(c), skipped) {
            (true, true) => return Err(mismatch()),
            (true, false) => {}
            (false, _) => skipped = true,
        }
    }
    for &c in on {
        if !ordered.contains(&c) {
            if skipped {
                return Err(mismatch());
            }
            keys.push(SortKey {
                expr: Expr::Column(c),
                asc: true,
                nulls_first: false,
            });
        }
    }
    Ok(())
}

/// `l1 = r1 AND l2 = r2 …` for the column pairs of a USING join.
fn using_condition(pairs: Vec<(usize, usize)>) -> Expr {
    pairs
        .into_iter()
        .map(|(l, r)| {
            Expr::Binary(
                BinOp::Eq,
                Box::new(Expr::Column(l)),
                Box::new(Expr::Column(r)),
            )
        })
        .reduce(|a, b| Expr::Binary(BinOp::And, Box::new(a), Box::new(b)))
        .unwrap_or(Expr::Const(Value::Bool(true)))
}

/// The set-returning function `name` calls, if it is one.
fn series_func(name: &ast::ObjectName) -> Option<SeriesFunc> {
    let n = name.to_string().to_lowercase();
    Some(match n.strip_prefix("pg_catalog.").unwrap_or(&n) {
        "unnest" => SeriesFunc::Unnest,
        "generate_series" => SeriesFunc::GenerateSeries,
        "generate_subscripts" => SeriesFunc::GenerateSubscripts,
        "pg_partition_ancestors" => SeriesFunc::PartitionAncestors,
        "regexp_matches" => SeriesFunc::RegexpMatches,
        other => SeriesFunc::Json(crate::json::series::JsonSeries::by_name(other)?),
    })
}

impl Binder<'_, '_> {
    /// A `pg_catalog` or `information_schema` relation: `schema.name` with
    /// a system schema, or a bare name found in `pg_catalog` (which comes
    /// first on PostgreSQL's search path). Read now, or as of the point a
    /// `FOR SYSTEM_TIME AS OF` (or `drift.as_of`) names.
    fn catalog_relation(
        &self,
        name: &ast::ObjectName,
        version: Option<&ast::TableVersion>,
    ) -> Result<Option<Bound>> {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| match p {
                ast::ObjectNamePart::Identifier(i) => ident(i),
                ast::ObjectNamePart::Function(_) => String::new(),
            })
            .collect();
        let table = match parts.as_slice() {
            [n] => crate::system::lookup(None, n),
            [s, n] if crate::system::is_system_schema(s) => {
                Some(crate::system::lookup(Some(s), n).ok_or_else(|| {
                    SqlError::new("42P01", format!("relation \"{s}.{n}\" does not exist"))
                })?)
            }
            _ => None,
        };
        let Some(table) = table else {
            return Ok(None);
        };
        let point = match version.map(crate::parser::system_time).transpose()? {
            None => self
                .settings
                .as_of
                .map(|p| self.resolve(p))
                .transpose()?
                .map(|r| r.le),
            Some(crate::parser::SystemTime::AsOf(p)) => Some(self.point(&p)?.le),
            Some(_) => {
                return Err(SqlError::unsupported(
                    "FOR SYSTEM_TIME forms other than AS OF on a system catalog",
                ));
            }
        };
        let as_of = point.filter(|seq| self.before_snapshot(*seq));
        Ok(Some(Bound {
            rel: Rel::System(crate::system::SystemScan { table, as_of }),
            columns: crate::system::columns(table),
        }))
    }

    /// `drift_commits`, when `name` is it and no table of that name exists.
    fn system_table(&self, name: &ast::ObjectName) -> Result<Option<Bound>> {
        let (schema, tname) = super::split_name(name)?;
        if tname != "drift_commits"
            || driftdb_engine::catalog::get_table(self.txn, &schema, &tname, None)?.is_some()
        {
            return Ok(None);
        }
        let text = Some(DataType::Text);
        Ok(Some(Bound {
            rel: Rel::Commits,
            columns: vec![
                ("seq".into(), Some(DataType::Int8)),
                ("committed_at".into(), Some(DataType::Timestamptz)),
                ("user_name".into(), text),
                ("application_name".into(), text),
                ("tables".into(), text),
            ],
        }))
    }

    /// A table function in `FROM`: `drift_diff(table, a, b)`.
    fn table_function(&self, name: &ast::ObjectName, args: &[ast::FunctionArg]) -> Result<Bound> {
        let fname = super::last_part(name)?;
        if fname != "drift_diff" {
            return Err(SqlError::new(
                "42883",
                format!("function {fname}() does not exist"),
            ));
        }
        let values = args
            .iter()
            .map(|a| match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                    self.constant(e, "a drift_diff argument")
                }
                other => Err(SqlError::unsupported(format!(
                    "drift_diff argument {other}"
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        let [Value::Text(table), a, b] = values.as_slice() else {
            return Err(SqlError::new(
                "42883",
                "drift_diff takes a table name and two points: drift_diff('t', a, b)",
            ));
        };
        let (schema, tname) = match table.split_once('.') {
            Some((s, t)) => (s.to_string(), t.to_string()),
            None => (super::DEFAULT_SCHEMA.to_string(), table.clone()),
        };
        let def = driftdb_engine::catalog::latest_table(self.txn, &schema, &tname)?
            .ok_or_else(|| super::undefined_table(&tname))?;
        let (from, to) = (self.point_value(a)?, self.point_value(b)?);
        if from > to {
            return Err(SqlError::new(
                "22023",
                "drift_diff needs its first point at or before its second",
            ));
        }
        let mut columns = vec![
            ("op".to_string(), Some(DataType::Text)),
            ("seq".to_string(), Some(DataType::Int8)),
        ];
        for c in &def.columns {
            columns.push((format!("before_{}", c.name), Some(c.data_type)));
            columns.push((format!("after_{}", c.name), Some(c.data_type)));
        }
        Ok(Bound {
            rel: Rel::Diff(Box::new(crate::rel::Diff { def, from, to })),
            columns,
        })
    }

    /// A point given as a value: a seq, `'@SEQ:N'`, or a timestamp.
    fn point_value(&self, v: &Value) -> Result<u64> {
        let point = match v {
            Value::Int2(n) if *n >= 0 => driftdb_engine::history::PointIn::Seq(*n as u64),
            Value::Int4(n) if *n >= 0 => driftdb_engine::history::PointIn::Seq(*n as u64),
            Value::Int8(n) if *n >= 0 => driftdb_engine::history::PointIn::Seq(*n as u64),
            Value::Timestamptz(t) | Value::Timestamp(t) => {
                driftdb_engine::history::PointIn::Time(t + super::PG_EPOCH_MICROS)
            }
            Value::Text(s) => match s.trim().to_ascii_uppercase().strip_prefix("@SEQ:") {
                Some(n) => driftdb_engine::history::PointIn::Seq(
                    n.trim()
                        .parse()
                        .map_err(|_| SqlError::new("22023", format!("invalid point \"{s}\"")))?,
                ),
                None => match driftdb_engine::text::parse_text(s, DataType::Timestamptz)? {
                    Value::Timestamptz(t) => {
                        driftdb_engine::history::PointIn::Time(t + super::PG_EPOCH_MICROS)
                    }
                    _ => return Err(SqlError::new("22023", format!("invalid point \"{s}\""))),
                },
            },
            other => {
                return Err(SqlError::new(
                    "22023",
                    format!("invalid point {other:?}: a seq, '@SEQ:N' or a timestamp"),
                ));
            }
        };
        Ok(self.resolve(point)?.le)
    }

    /// The view `name` bound as a query (its own names), when there is one
    /// (asked only once no table has the name).
    fn view(&self, name: &ast::ObjectName) -> Result<Option<Bound>> {
        let (schema, vname) = super::split_name(name)?;
        let Some(view) = driftdb_engine::catalog::get_view(self.txn, &schema, &vname, None)? else {
            return Ok(None);
        };
        let depth = self.view_depth.get();
        if depth > 32 {
            return Err(SqlError::new(
                "54001",
                format!("views nested too deeply at \"{vname}\""),
            ));
        }
        self.view_depth.set(depth + 1);
        let query = crate::parser::parse_query(&view.sql);
        let bound = query
            .map_err(SqlError::from)
            .and_then(|q| self.query(&q, None, &Cell::new(false)));
        self.view_depth.set(depth);
        let mut bound = bound?;
        for (c, n) in bound.columns.iter_mut().zip(&view.columns) {
            c.0.clone_from(n);
        }
        Ok(Some(bound))
    }
}

pub(super) fn sort_key(expr: Expr, item: &ast::OrderByExpr) -> SortKey {
    let asc = !matches!(item.options.sort, Some(OrderBySort::Desc));
    SortKey {
        expr,
        asc,
        nulls_first: item.options.nulls_first.unwrap_or(!asc),
    }
}

/// Renames columns by a `name(a, b, …)` alias list.
fn rename_columns(
    columns: &mut [Column],
    aliases: &[ast::TableAliasColumnDef],
    table: &str,
) -> Result<()> {
    if aliases.len() > columns.len() {
        return Err(SqlError::new(
            "42P10",
            format!(
                "table \"{table}\" has {} columns available but {} columns specified",
                columns.len(),
                aliases.len()
            ),
        ));
    }
    for (c, a) in columns.iter_mut().zip(aliases) {
        c.0 = ident(&a.name);
    }
    Ok(())
}

/// The type two branches of a set operation (or rows of VALUES) share.
pub(super) fn unify(
    what: &str,
    a: Option<DataType>,
    b: Option<DataType>,
) -> Result<Option<DataType>> {
    Ok(match (a, b) {
        (None, t) | (t, None) => t,
        (Some(x), Some(y)) if x == y => Some(x),
        (Some(x), Some(y)) => match (x.numeric_rank(), y.numeric_rank()) {
            (Some(i), Some(j)) => Some(if i >= j { x } else { y }),
            _ if is_text(x) && is_text(y) => Some(DataType::Text),
            _ => {
                return Err(SqlError::new(
                    "42804",
                    format!(
                        "{what} types {} and {} cannot be matched",
                        driftdb_engine::text::type_name(x),
                        driftdb_engine::text::type_name(y)
                    ),
                ));
            }
        },
    })
}

fn is_text(t: DataType) -> bool {
    matches!(t, DataType::Text | DataType::Varchar(_) | DataType::Char(_))
}

/// The output name PostgreSQL gives a select item without an alias.
pub(super) fn column_name(e: &ast::Expr) -> String {
    use ast::Expr as E;
    match e {
        E::Identifier(i) => ident(i),
        E::CompoundIdentifier(p) => p.last().map(ident).unwrap_or_default(),
        E::Function(f) => f
            .name
            .0
            .last()
            .map(|p| p.to_string().to_lowercase())
            .unwrap_or_default(),
        E::Nested(inner) => column_name(inner),
        E::Cast {
            expr, data_type, ..
        } => match column_name(expr).as_str() {
            "?column?" => type_column_name(data_type),
            name => name.to_string(),
        },
        E::TypedString(ts) => type_column_name(&ts.data_type),
        E::Case { .. } => "case".into(),
        E::Array(_) => "array".into(),
        E::CompoundFieldAccess { root, .. } => column_name(root),
        E::Exists { .. } => "exists".into(),
        other => super::func_syntax::column_name(other)
            .unwrap_or("?column?")
            .into(),
    }
}

/// The name PostgreSQL gives a column that is a cast to `data_type`.
fn type_column_name(data_type: &ast::DataType) -> String {
    match catalog_type_name(data_type) {
        Some(name) => name,
        None => {
            // The type's catalog name (`int4`, `timestamptz`); a cast to
            // `int[]` is named by the element's.
            let t = match super::data_type(data_type).unwrap_or(DataType::Text) {
                DataType::Array(t) => t.element,
                t => t,
            };
            crate::system::pg_type(crate::system::type_oid(t))
                .map_or("?column?", |p| p.name)
                .to_string()
        }
    }
}

/// The name a cast to a type named by its catalog name (`regclass`,
/// `pg_catalog.text`, `oid` …) gives its column, as PostgreSQL names it.
fn catalog_type_name(t: &ast::DataType) -> Option<String> {
    match t {
        ast::DataType::Regclass => Some("regclass".into()),
        ast::DataType::Custom(n, _) => match n.0.last() {
            Some(ast::ObjectNamePart::Identifier(i)) => Some(i.value.to_lowercase()),
            _ => None,
        },
        _ => None,
    }
}

/// `e` over a grouped row: group keys and aggregates become columns of the
/// aggregation's output (the keys, the set number, the aggregates),
/// `GROUPING(…)` a test of the set number; any other column reference is
/// an error.
fn grouped(e: Expr, grouping: &Grouping, aggs: &mut Vec<AggCall>, scope: &Scope) -> Result<Expr> {
    let group = &grouping.keys;
    if let Some(i) = group.iter().position(|g| *g == e) {
        return Ok(Expr::Column(i));
    }
    match e {
        Expr::Agg(call) if call.func == AggFunc::Grouping => {
            grouping.grouping(call.args, group.len())
        }
        Expr::Agg(call) => {
            let call = *call;
            let j = match aggs.iter().position(|a| *a == call) {
                Some(j) => j,
                None => {
                    aggs.push(call);
                    aggs.len() - 1
                }
            };
            Ok(Expr::Column(group.len() + 1 + j))
        }
        Expr::Column(i) => {
            let name = scope
                .columns
                .get(i)
                .map_or_else(String::new, |c| match &c.table {
                    Some(t) if !t.is_empty() => format!("{t}.{}", c.name),
                    _ => c.name.clone(),
                });
            Err(SqlError::new(
                "42803",
                format!(
                    "column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"
                ),
            ))
        }
        Expr::Subquery(s) if s.correlated => Err(SqlError::unsupported(
            "a correlated subquery in a grouped query's select list",
        )),
        other => other.map_children(&mut |c| grouped(c, grouping, aggs, scope)),
    }
}
