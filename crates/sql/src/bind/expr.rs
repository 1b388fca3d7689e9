//! Binding expressions: `sqlparser` expressions to `Expr`, names resolved
//! through the query levels, subqueries bound as plans, aggregate calls kept
//! as `Expr::Agg` for the grouping step.

use std::cell::Cell;

use sqlparser::ast::{self, BinaryOperator, UnaryOperator};

use driftdb_engine::text::parse_text;
use driftdb_engine::value::{Array, DataType, Value};

use super::scope::Level;
use super::{Binder, Params, data_type, ident};
use crate::array::{ArrayFunc, common_element_type};
use crate::error::{Result, SqlError};
use crate::expr::{BinOp, Expr, Func, Like, Subquery, SubqueryKind};
use crate::parser::{Literal, Point};
use crate::rel::{AggCall, AggFunc};
use crate::system::functions::CatalogFunc;

impl Binder<'_, '_> {
    /// Binds `e` at `level`.
    pub(crate) fn expr(&self, e: &ast::Expr, level: &Level<'_>) -> Result<Expr> {
        use ast::Expr as E;
        let b = |e: &ast::Expr| -> Result<Box<Expr>> { Ok(Box::new(self.expr(e, level)?)) };
        Ok(match e {
            E::Identifier(i) => self.column(level, None, &ident(i))?,
            E::CompoundIdentifier(parts) => match parts.as_slice() {
                [t, c] | [_, t, c] => self.column(level, Some(&ident(t)), &ident(c))?,
                _ => {
                    return Err(SqlError::new(
                        "42601",
                        format!("improper qualified name {e}"),
                    ));
                }
            },
            E::Value(v) => match &v.value {
                ast::Value::Placeholder(p) => self.param(p)?,
                other => literal(other)?,
            },
            E::TypedString(ts) => {
                let t = data_type(&ts.data_type)?;
                match &ts.value.value {
                    ast::Value::SingleQuotedString(s) => Expr::Const(parse_text(s, t)?),
                    other => return Err(SqlError::unsupported(format!("literal {other}"))),
                }
            }
            E::Nested(inner) => self.expr(inner, level)?,
            E::IsNull(inner) => Expr::IsNull(b(inner)?, false),
            E::IsNotNull(inner) => Expr::IsNull(b(inner)?, true),
            E::IsTrue(inner) => truth_test(b(inner)?, true, false),
            E::IsNotTrue(inner) => truth_test(b(inner)?, true, true),
            E::IsFalse(inner) => truth_test(b(inner)?, false, false),
            E::IsNotFalse(inner) => truth_test(b(inner)?, false, true),
            E::IsUnknown(inner) => Expr::IsNull(b(inner)?, false),
            E::IsNotUnknown(inner) => Expr::IsNull(b(inner)?, true),
            E::IsDistinctFrom(l, r) => Expr::IsDistinct(b(l)?, b(r)?, false),
            E::IsNotDistinctFrom(l, r) => Expr::IsDistinct(b(l)?, b(r)?, true),
            E::UnaryOp { op, expr } => {
                // `-5` is the literal -5 (so `-2147483648` is an integer).
                if let (UnaryOperator::Minus, E::Value(v)) = (op, &**expr)
                    && let ast::Value::Number(n, _) = &v.value
                {
                    return literal(&ast::Value::Number(format!("-{n}"), false));
                }
                let inner = b(expr)?;
                match op {
                    UnaryOperator::Not => Expr::Not(inner),
                    UnaryOperator::Minus => Expr::Neg(inner),
                    UnaryOperator::Plus => *inner,
                    other => return Err(SqlError::unsupported(format!("operator {other}"))),
                }
            }
            E::BinaryOp { left, op, right } => {
                let op = match op {
                    BinaryOperator::PGCustomBinaryOperator(parts) => custom_op(parts)?,
                    other => other.clone(),
                };
                if let Some((case_insensitive, negated)) = regex_op(&op) {
                    let call = Expr::Call(
                        Func::Regex(case_insensitive),
                        vec![self.expr(left, level)?, self.expr(right, level)?],
                    );
                    return Ok(if negated {
                        Expr::Not(Box::new(call))
                    } else {
                        call
                    });
                }
                let (mut l, mut r) = (self.expr(left, level)?, self.expr(right, level)?);
                let types = level.scope.types();
                let has_json = [&l, &r]
                    .iter()
                    .any(|e| crate::json::is_json_type(super::types::type_of(e, &types)));
                if let Some(f) = crate::json::JsonFunc::operator(&op, has_json) {
                    self.infer_param(left, || Some(DataType::Jsonb));
                    self.infer_param(right, || f.right_type());
                    return Ok(Expr::Call(Func::Json(f), vec![l, r]));
                }
                if let Some(f) = array_op(&op) {
                    return Ok(Expr::Call(Func::Array(f), vec![l, r]));
                }
                let is_array = |e: &Expr| {
                    super::types::type_of(e, &types).is_some_and(|t| t.element().is_some())
                };
                if op == BinaryOperator::StringConcat && (is_array(&l) || is_array(&r)) {
                    return Ok(Expr::Call(Func::Array(ArrayFunc::Concat), vec![l, r]));
                }
                let op = bin_op(&op)?;
                self.infer_param(left, || super::types::type_of(&r, &level.scope.types()));
                self.infer_param(right, || super::types::type_of(&l, &level.scope.types()));
                // char(n) compares without its padding, as PostgreSQL's bpchar.
                if op.is_comparison() && (self.is_char(&l, level) || self.is_char(&r, level)) {
                    l = Expr::Call(Func::Rtrim, vec![l]);
                    r = Expr::Call(Func::Rtrim, vec![r]);
                }
                Expr::Binary(op, Box::new(l), Box::new(r))
            }
            E::Cast {
                expr, data_type: t, ..
            } => {
                // A `reg…` type reads a name: the parameter stays text.
                if reg_type(t).is_none() {
                    self.infer_param(expr, || data_type(t).ok());
                }
                self.cast(expr, t, level)?
            }
            E::Collate { expr, .. } => self.expr(expr, level)?,
            E::Array(a) => self.array(&a.elem, level)?,
            E::CompoundFieldAccess { root, access_chain } => {
                let mut e = self.expr(root, level)?;
                for access in access_chain {
                    e = self.subscript(e, access, level)?;
                }
                e
            }
            E::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let v = self.expr(expr, level)?;
                for bound in [&**low, &**high] {
                    self.infer_param(bound, || super::types::type_of(&v, &level.scope.types()));
                }
                let between = |lo: Expr, hi: Expr| {
                    Expr::Binary(
                        BinOp::And,
                        Box::new(Expr::Binary(BinOp::GtEq, Box::new(v.clone()), Box::new(lo))),
                        Box::new(Expr::Binary(BinOp::LtEq, Box::new(v.clone()), Box::new(hi))),
                    )
                };
                let range = match crate::parser::symmetric_low(low) {
                    // SYMMETRIC: either order of the bounds.
                    Some(lo) => {
                        let (lo, hi) = (self.expr(lo, level)?, self.expr(high, level)?);
                        Expr::Binary(
                            BinOp::Or,
                            Box::new(between(lo.clone(), hi.clone())),
                            Box::new(between(hi, lo)),
                        )
                    }
                    None => between(self.expr(low, level)?, self.expr(high, level)?),
                };
                if *negated {
                    Expr::Not(Box::new(range))
                } else {
                    range
                }
            }
            E::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            }
            | E::ILike {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            } => {
                let escape = match escape_char.as_deref() {
                    None => Some('\\'),
                    Some(E::Value(v)) => match &v.value {
                        ast::Value::SingleQuotedString(s) => {
                            let mut chars = s.chars();
                            match (chars.next(), chars.next()) {
                                (None, _) => None,
                                (Some(c), None) => Some(c),
                                _ => {
                                    return Err(SqlError::new(
                                        "22019",
                                        "invalid escape string: must be empty or one character",
                                    ));
                                }
                            }
                        }
                        _ => return Err(SqlError::new("42804", "ESCAPE takes a string")),
                    },
                    Some(_) => return Err(SqlError::unsupported("a computed ESCAPE")),
                };
                Expr::Like(Box::new(Like {
                    expr: self.expr(expr, level)?,
                    pattern: self.expr(pattern, level)?,
                    case_insensitive: matches!(e, E::ILike { .. }),
                    negated: *negated,
                    escape,
                }))
            }
            E::In {
                expr,
                target,
                negated,
                ..
            } => match target {
                ast::InTarget::List(list) => {
                    let tested = self.expr(expr, level)?;
                    for item in list {
                        self.infer_param(item, || {
                            super::types::type_of(&tested, &level.scope.types())
                        });
                    }
                    Expr::InList {
                        expr: Box::new(tested),
                        list: list
                            .iter()
                            .map(|e| self.expr(e, level))
                            .collect::<Result<_>>()?,
                        negated: *negated,
                    }
                }
                ast::InTarget::Subquery(q) => {
                    let test = self.expr(expr, level)?;
                    let sub = self.subquery(q, level, SubqueryKind::In(test))?;
                    if *negated {
                        Expr::Not(Box::new(sub))
                    } else {
                        sub
                    }
                }
                other => return Err(SqlError::unsupported(format!("IN {other:?}"))),
            },
            E::AnyOp {
                left,
                compare_op,
                right,
                ..
            }
            | E::AllOp {
                left,
                compare_op,
                right,
            } => {
                let mut right = &**right;
                while let E::Nested(inner) = right {
                    right = inner;
                }
                let is_any = matches!(e, E::AnyOp { .. });
                let q = match (right, compare_op) {
                    (E::Subquery(q), _) => q,
                    // `x = ANY (ARRAY[a, b])` is `x IN (a, b)`, which index
                    // selection knows.
                    (E::Array(a), BinaryOperator::Eq) if is_any && !a.elem.is_empty() => {
                        return Ok(Expr::InList {
                            expr: b(left)?,
                            list: a
                                .elem
                                .iter()
                                .map(|e| self.expr(e, level))
                                .collect::<Result<_>>()?,
                            negated: false,
                        });
                    }
                    (array, op) => {
                        let l = self.expr(left, level)?;
                        self.infer_param(array, || {
                            super::types::type_of(&l, &level.scope.types())
                                .and_then(|t| DataType::array_of(t).ok())
                        });
                        let func = ArrayFunc::Quantified {
                            op: bin_op(op)?,
                            all: !is_any,
                        };
                        return Ok(Expr::Call(
                            Func::Array(func),
                            vec![l, self.expr(array, level)?],
                        ));
                    }
                };
                let kind = SubqueryKind::Quantified {
                    expr: self.expr(left, level)?,
                    op: bin_op(compare_op)?,
                    all: matches!(e, E::AllOp { .. }),
                };
                self.subquery(q, level, kind)?
            }
            E::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let mut whens: Vec<(Expr, Expr)> = conditions
                    .iter()
                    .map(|w| {
                        Ok((
                            self.expr(&w.condition, level)?,
                            self.expr(&w.result, level)?,
                        ))
                    })
                    .collect::<Result<_>>()?;
                let mut otherwise = else_result.as_deref().map(b).transpose()?;
                // Untyped literal results take the type of the typed ones, at
                // once, as PostgreSQL resolves them.
                let types = level.scope.types();
                let typed = whens
                    .iter()
                    .map(|(_, t)| t)
                    .chain(otherwise.as_deref())
                    .filter(|e| !matches!(e, Expr::Unknown(_)))
                    .find_map(|e| super::types::type_of(e, &types));
                if let Some(t) = typed {
                    for (_, r) in &mut whens {
                        resolve_unknown(r, t)?;
                    }
                    if let Some(o) = otherwise.as_deref_mut() {
                        resolve_unknown(o, t)?;
                    }
                }
                Expr::Case {
                    operand: operand.as_deref().map(b).transpose()?,
                    whens,
                    otherwise,
                }
            }
            E::Exists { subquery, negated } => {
                let sub = self.subquery(subquery, level, SubqueryKind::Exists)?;
                if *negated {
                    Expr::Not(Box::new(sub))
                } else {
                    sub
                }
            }
            E::Subquery(q) => self.subquery(q, level, SubqueryKind::Scalar)?,
            E::Function(f) => self.function(f, level)?,
            other => match self.function_syntax(other, level)? {
                Some(call) => call,
                None => return Err(SqlError::unsupported(format!("expression {other}"))),
            },
        })
    }

    /// Binds `e` over `scope` alone, with no enclosing query (defaults,
    /// checks, constants, the clauses of a writing statement).
    pub(crate) fn expr_in(&self, e: &ast::Expr, scope: &super::scope::Scope) -> Result<Expr> {
        let unused = Cell::new(false);
        self.expr(
            e,
            &Level {
                scope,
                parent: None,
                correlated: &unused,
            },
        )
    }

    /// `CAST(e AS t)`; a cast to `regclass`, `regtype`, `regnamespace` or
    /// `regproc` looks the name up (the value is the OID), and such a value
    /// cast to text shows the name again.
    fn cast(&self, e: &ast::Expr, t: &ast::DataType, level: &Level<'_>) -> Result<Expr> {
        // `ARRAY[]::int[]`: the empty array takes the cast's type.
        if let ast::Expr::Array(a) = e
            && a.elem.is_empty()
            && let Some(element) = data_type(t)?.element()
        {
            return Ok(Expr::Const(Value::Array(Array::new(element, Vec::new())?)));
        }
        let inner = self.expr(e, level)?;
        if let Some(f) = reg_type(t) {
            return Ok(match inner {
                // `x::regclass::regclass`, `'t'::regclass::oid` stay OIDs.
                Expr::Call(Func::Catalog(g), args) if g == f => Expr::Call(Func::Catalog(g), args),
                other => Expr::Call(Func::Catalog(f), vec![other]),
            });
        }
        let target = data_type(t)?;
        if let (DataType::Text | DataType::Varchar(None), Expr::Call(Func::Catalog(f), args)) =
            (target, &inner)
            && let Some(out) = f.output()
        {
            return Ok(Expr::Call(
                Func::Catalog(out),
                vec![Expr::Call(Func::Catalog(*f), args.clone())],
            ));
        }
        Ok(Expr::Cast(Box::new(inner), target))
    }

    /// Whether `e` is of type `char(n)`.
    fn is_char(&self, e: &Expr, level: &Level<'_>) -> bool {
        matches!(
            super::types::type_of(e, &level.scope.types()),
            Some(DataType::Char(_))
        )
    }

    fn column(&self, level: &Level<'_>, table: Option<&str>, name: &str) -> Result<Expr> {
        let (expr, col) = level.resolve(table, name)?;
        if let Some(scan) = col.hidden_of {
            self.hidden.borrow_mut().insert(scan);
        }
        Ok(expr)
    }

    /// The value of parameter `$n`.
    fn param(&self, p: &str) -> Result<Expr> {
        let n = param_number(p)
            .ok_or_else(|| SqlError::new("42601", format!("invalid parameter {p}")))?;
        let values = match &self.params {
            Params::Values(values) => values,
            Params::Generic(values) => {
                if let Some(i) = n.checked_sub(1)
                    && let Some(t) = values.get(i).and_then(Value::data_type)
                    && t != DataType::Text
                {
                    return Ok(Expr::Param(i, t));
                }
                self.reusable.set(false);
                values
            }
            Params::Describe(described) => {
                described.saw(n);
                return Ok(Expr::Const(Value::Null));
            }
        };
        match n.checked_sub(1).and_then(|i| values.get(i)) {
            Some(Value::Text(s)) => Ok(Expr::Unknown(s.clone())),
            Some(v) => Ok(Expr::Const(v.clone())),
            None => Err(SqlError::new(
                "42P02",
                format!("there is no parameter ${n}"),
            )),
        }
    }

    /// When binding without values and `e` is a parameter `$n`, gives `$n`
    /// the type its place implies (`place`, asked only then).
    pub(crate) fn infer_param(&self, e: &ast::Expr, place: impl FnOnce() -> Option<DataType>) {
        let Params::Describe(described) = &self.params else {
            return;
        };
        let mut e = e;
        while let ast::Expr::Nested(inner) = e {
            e = inner;
        }
        if let ast::Expr::Value(v) = e
            && let ast::Value::Placeholder(p) = &v.value
            && let Some(n) = param_number(p)
            && let Some(t) = place()
        {
            described.infer(n, t);
        }
    }

    /// `ARRAY[items]`: the items' common type is the element type (`text`
    /// when all are untyped literals); an empty one needs a cast (42P18).
    fn array(&self, elems: &[ast::Expr], level: &Level<'_>) -> Result<Expr> {
        if elems.is_empty() {
            return Err(SqlError::new(
                "42P18",
                "cannot determine type of empty array",
            ));
        }
        let items = elems
            .iter()
            .map(|e| self.expr(e, level))
            .collect::<Result<Vec<_>>>()?;
        let types = level.scope.types();
        let item_types: Vec<Option<DataType>> = items
            .iter()
            .map(|e| match e {
                Expr::Unknown(_) | Expr::Const(Value::Null) => None,
                e => super::types::type_of(e, &types),
            })
            .collect();
        let element = common_element_type(&item_types)?;
        DataType::array_of(element)?;
        Ok(Expr::Call(Func::Array(ArrayFunc::Build(element)), items))
    }

    /// `ARRAY(SELECT …)`: an array of the subquery's one column.
    fn array_subquery(&self, q: &ast::Query, level: &Level<'_>) -> Result<Expr> {
        let correlated = Cell::new(false);
        let bound = self.query(q, Some(level), &correlated)?;
        let [(_, t)] = bound.columns.as_slice() else {
            return Err(SqlError::new(
                "42601",
                "subquery must return only one column",
            ));
        };
        let element = t.unwrap_or(DataType::Text);
        DataType::array_of(element)?;
        Ok(Expr::Subquery(Box::new(Subquery {
            id: self.next_id(),
            rel: bound.rel,
            kind: SubqueryKind::Array(element),
            correlated: correlated.get(),
        })))
    }

    /// `e[i]` or `e[lo:hi]`.
    fn subscript(&self, e: Expr, access: &ast::AccessExpr, level: &Level<'_>) -> Result<Expr> {
        let bound = |b: &Option<ast::Expr>| match b {
            Some(x) => self.expr(x, level),
            None => Ok(Expr::Const(Value::Null)),
        };
        Ok(match access {
            ast::AccessExpr::Subscript(ast::Subscript::Index { index }) => Expr::Call(
                Func::Array(ArrayFunc::Subscript),
                vec![e, self.expr(index, level)?],
            ),
            ast::AccessExpr::Subscript(ast::Subscript::Slice {
                lower_bound,
                upper_bound,
                stride: None,
            }) => Expr::Call(
                Func::Array(ArrayFunc::Slice),
                vec![e, bound(lower_bound)?, bound(upper_bound)?],
            ),
            other => return Err(SqlError::unsupported(format!("access {other}"))),
        })
    }

    /// The `ORDER BY` inside an aggregate call.
    fn agg_order(
        &self,
        clauses: &[ast::FunctionArgumentClause],
        level: &Level<'_>,
    ) -> Result<Vec<crate::rel::SortKey>> {
        let mut keys = Vec::new();
        for c in clauses {
            match c {
                ast::FunctionArgumentClause::OrderBy(items) => {
                    for item in items {
                        keys.push(super::query::sort_key(self.expr(&item.expr, level)?, item));
                    }
                }
                other => return Err(SqlError::unsupported(format!("aggregate clause {other}"))),
            }
        }
        Ok(keys)
    }

    fn subquery(&self, q: &ast::Query, level: &Level<'_>, kind: SubqueryKind) -> Result<Expr> {
        let correlated = Cell::new(false);
        let bound = self.query(q, Some(level), &correlated)?;
        if bound.columns.len() != 1 && !matches!(kind, SubqueryKind::Exists) {
            return Err(SqlError::new(
                "42601",
                "subquery must return only one column",
            ));
        }
        Ok(Expr::Subquery(Box::new(Subquery {
            id: self.next_id(),
            rel: bound.rel,
            kind,
            correlated: correlated.get(),
        })))
    }

    fn function(&self, f: &ast::Function, level: &Level<'_>) -> Result<Expr> {
        let name = f.name.to_string().to_lowercase();
        let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
        if let Some(call) = self.named_call(name, f, level)? {
            return Ok(call);
        }
        let (args, distinct, star) = match &f.args {
            ast::FunctionArguments::None => (Vec::new(), false, false),
            ast::FunctionArguments::List(l) => {
                let mut args = Vec::new();
                let mut star = false;
                for a in &l.args {
                    match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => args.push(e),
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard) => star = true,
                        other => {
                            return Err(SqlError::unsupported(format!(
                                "function argument {other}"
                            )));
                        }
                    }
                }
                let distinct = matches!(
                    l.duplicate_treatment,
                    Some(ast::DuplicateTreatment::Distinct)
                );
                (args, distinct, star)
            }
            ast::FunctionArguments::Subquery(q) if name == "array" => {
                return self.array_subquery(q, level);
            }
            ast::FunctionArguments::Subquery(_) => {
                return Err(SqlError::unsupported("a subquery as function argument"));
            }
        };
        let call_args = CallArgs {
            args,
            distinct,
            star,
        };
        if let Some(over) = &f.over {
            return self.window_function(f, over, name, &call_args, level);
        }
        if let Some(func) = agg_func(name) {
            let call = Expr::Agg(Box::new(
                self.aggregate_call(f, func, name, &call_args, level)?,
            ));
            let inner = call.children();
            if inner.iter().any(|e| contains_agg(e)) {
                return Err(SqlError::new(
                    "42803",
                    "aggregate function calls cannot be nested",
                ));
            }
            if inner.into_iter().any(super::window::contains_window) {
                return Err(SqlError::new(
                    "42803",
                    "aggregate function calls cannot contain window function calls",
                ));
            }
            return Ok(call);
        }
        super::window::needs_over(name)?;
        let CallArgs {
            args,
            distinct,
            star,
        } = call_args;
        if distinct || star || f.filter.is_some() {
            return Err(SqlError::new(
                "42809",
                format!("{name} is not an aggregate function"),
            ));
        }
        match name {
            "drift_seq" if args.is_empty() => Ok(Expr::Const(seq_value(self.snapshot_seq()))),
            "drift_seq_at" => {
                let [arg] = args.as_slice() else {
                    return Err(no_function(name, args.len()));
                };
                let seq = self.point(&Point::Time((*arg).clone()))?.le;
                Ok(Expr::Const(seq_value(seq)))
            }
            "current_setting" => self.current_setting(&args, level),
            _ => match Func::by_name(name) {
                Some(Func::Catalog(CatalogFunc::CurrentUser)) if args.is_empty() => {
                    Ok(Expr::Const(Value::Text(if self.settings.user.is_empty() {
                        crate::system::model::SUPERUSER.to_string()
                    } else {
                        self.settings.user.clone()
                    })))
                }
                Some(Func::Sequence(f)) if f.accepts(args.len()) => {
                    let args = args
                        .into_iter()
                        .map(|a| self.expr(a, level))
                        .collect::<Result<Vec<_>>>()?;
                    Ok(Expr::Call(
                        Func::Sequence(f),
                        crate::sequence::bind_args(args),
                    ))
                }
                Some(func) if func.accepts(args.len()) => Ok(Expr::Call(
                    func,
                    args.into_iter()
                        .map(|a| {
                            // char(n) passed as text loses its padding (not
                            // to a function of any type: JSON, concat …).
                            let e = self.expr(a, level)?;
                            Ok(if self.is_char(&e, level) && !func.sees_char_padding() {
                                Expr::Call(Func::Rtrim, vec![e])
                            } else {
                                e
                            })
                        })
                        .collect::<Result<_>>()?,
                )),
                _ => Err(no_function(name, args.len())),
            },
        }
    }
}

impl Binder<'_, '_> {
    /// The call `f` of the aggregate `func` (named `name`), its arguments
    /// bound at `level` (the caller checks what they may contain).
    pub(super) fn aggregate_call(
        &self,
        f: &ast::Function,
        func: AggFunc,
        name: &str,
        call: &CallArgs<'_>,
        level: &Level<'_>,
    ) -> Result<AggCall> {
        let CallArgs {
            args,
            distinct,
            star,
        } = call;
        let (distinct, star) = (*distinct, *star);
        let want = match func {
            AggFunc::Count if star => 0,
            AggFunc::StringAgg => 2,
            AggFunc::Grouping => args.len().max(1),
            AggFunc::Mode => 0,
            AggFunc::Json(j) => j.arity(),
            _ => 1,
        };
        if args.len() != want || (star && func != AggFunc::Count) {
            return Err(no_function(name, args.len()));
        }
        let args = args
            .iter()
            .map(|a| self.expr(a, level))
            .collect::<Result<Vec<_>>>()?;
        let filter = f
            .filter
            .as_deref()
            .map(|e| self.expr(e, level))
            .transpose()?;
        let mut order = match &f.args {
            ast::FunctionArguments::List(l) => self.agg_order(&l.clauses, level)?,
            _ => Vec::new(),
        };
        // An ordered-set aggregate takes one WITHIN GROUP key, any other
        // none (else no function of that name takes these arguments).
        match (func.is_ordered_set(), f.within_group.as_slice()) {
            (false, []) => {}
            (true, [item]) if order.is_empty() && !distinct => {
                order.push(super::query::sort_key(self.expr(&item.expr, level)?, item));
            }
            (_, within) => return Err(no_function(name, args.len() + within.len())),
        }
        Ok(AggCall {
            func,
            args,
            distinct,
            filter,
            order,
        })
    }
}

/// The arguments of a function call, as written.
pub(super) struct CallArgs<'a> {
    /// The argument expressions.
    pub(super) args: Vec<&'a ast::Expr>,
    /// `f(DISTINCT …)`
    pub(super) distinct: bool,
    /// `f(*)`
    pub(super) star: bool,
}

/// The aggregate function called `name`, if it is one.
pub(super) fn agg_func(name: &str) -> Option<AggFunc> {
    Some(match name {
        "count" => AggFunc::Count,
        "sum" => AggFunc::Sum,
        "avg" => AggFunc::Avg,
        "min" => AggFunc::Min,
        "max" => AggFunc::Max,
        "bool_and" | "every" => AggFunc::BoolAnd,
        "bool_or" => AggFunc::BoolOr,
        "string_agg" => AggFunc::StringAgg,
        "array_agg" => AggFunc::ArrayAgg,
        "grouping" => AggFunc::Grouping,
        "percentile_cont" => AggFunc::PercentileCont,
        "percentile_disc" => AggFunc::PercentileDisc,
        "mode" => AggFunc::Mode,
        other => return crate::json::agg::JsonAgg::by_name(other).map(AggFunc::Json),
    })
}

fn seq_value(seq: u64) -> Value {
    Value::Int8(i64::try_from(seq).unwrap_or(i64::MAX))
}

/// 42883: no function `name` takes `n` arguments.
pub(super) fn no_function(name: &str, n: usize) -> SqlError {
    SqlError::new(
        "42883",
        format!("function {name}() with {n} argument(s) does not exist"),
    )
}

/// An untyped literal `e` read as type `t` now (22P02 when it is not one).
fn resolve_unknown(e: &mut Expr, t: DataType) -> Result<()> {
    if let Expr::Unknown(s) = e {
        *e = Expr::Const(parse_text(s, t)?);
    }
    Ok(())
}

/// Whether an aggregate call is anywhere in `e` (outside subqueries).
pub(crate) fn contains_agg(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |n| found |= matches!(n, Expr::Agg(_)));
    found
}

/// `e IS [NOT] TRUE/FALSE`: never NULL.
fn truth_test(e: Box<Expr>, want: bool, negated: bool) -> Expr {
    Expr::IsDistinct(e, Box::new(Expr::Const(Value::Bool(want))), !negated)
}

/// The catalog function a cast to a `reg*` type is.
fn reg_type(t: &ast::DataType) -> Option<CatalogFunc> {
    let name = match t {
        ast::DataType::Regclass => return Some(CatalogFunc::RegclassIn),
        ast::DataType::Custom(n, _) => match n.0.last() {
            Some(ast::ObjectNamePart::Identifier(i)) => i.value.to_lowercase(),
            _ => return None,
        },
        _ => return None,
    };
    Some(match name.as_str() {
        "regclass" => CatalogFunc::RegclassIn,
        "regtype" => CatalogFunc::RegtypeIn,
        "regnamespace" => CatalogFunc::RegnamespaceIn,
        "regproc" | "regprocedure" => CatalogFunc::RegprocIn,
        _ => return None,
    })
}

/// Regular-expression operators: (case-insensitive, negated).
/// The number of a parameter written `$n`.
fn param_number(p: &str) -> Option<usize> {
    p.strip_prefix('$').and_then(|n| n.parse().ok())
}

fn regex_op(op: &BinaryOperator) -> Option<(bool, bool)> {
    Some(match op {
        BinaryOperator::PGRegexMatch => (false, false),
        BinaryOperator::PGRegexIMatch => (true, false),
        BinaryOperator::PGRegexNotMatch => (false, true),
        BinaryOperator::PGRegexNotIMatch => (true, true),
        _ => return None,
    })
}

/// `OPERATOR(pg_catalog.op)`: the operator it names.
fn custom_op(parts: &[String]) -> Result<BinaryOperator> {
    let (schema, op) = match parts {
        [op] => (None, op),
        [schema, op] => (Some(schema), op),
        _ => return Err(SqlError::new("42601", "invalid OPERATOR() name")),
    };
    if schema.is_some_and(|s| !s.eq_ignore_ascii_case("pg_catalog")) {
        return Err(SqlError::new(
            "42883",
            format!(
                "operator does not exist: {}.{op}",
                schema.map_or("", String::as_str)
            ),
        ));
    }
    Ok(match op.as_str() {
        "~" => BinaryOperator::PGRegexMatch,
        "~*" => BinaryOperator::PGRegexIMatch,
        "!~" => BinaryOperator::PGRegexNotMatch,
        "!~*" => BinaryOperator::PGRegexNotIMatch,
        "=" => BinaryOperator::Eq,
        "<>" | "!=" => BinaryOperator::NotEq,
        "<" => BinaryOperator::Lt,
        "<=" => BinaryOperator::LtEq,
        ">" => BinaryOperator::Gt,
        ">=" => BinaryOperator::GtEq,
        "+" => BinaryOperator::Plus,
        "-" => BinaryOperator::Minus,
        "*" => BinaryOperator::Multiply,
        "/" => BinaryOperator::Divide,
        "%" => BinaryOperator::Modulo,
        "||" => BinaryOperator::StringConcat,
        other => {
            return Err(SqlError::new(
                "42883",
                format!("operator does not exist: {other}"),
            ));
        }
    })
}

/// The array function an operator is (`@>`, `<@`, `&&`).
fn array_op(op: &BinaryOperator) -> Option<ArrayFunc> {
    Some(match op {
        BinaryOperator::AtArrow => ArrayFunc::Contains,
        BinaryOperator::ArrowAt => ArrayFunc::ContainedBy,
        BinaryOperator::PGOverlap => ArrayFunc::Overlap,
        _ => return None,
    })
}

/// A binary operator of ours.
pub(crate) fn bin_op(op: &BinaryOperator) -> Result<BinOp> {
    Ok(match op {
        BinaryOperator::Eq => BinOp::Eq,
        BinaryOperator::NotEq => BinOp::NotEq,
        BinaryOperator::Lt => BinOp::Lt,
        BinaryOperator::LtEq => BinOp::LtEq,
        BinaryOperator::Gt => BinOp::Gt,
        BinaryOperator::GtEq => BinOp::GtEq,
        BinaryOperator::And => BinOp::And,
        BinaryOperator::Or => BinOp::Or,
        BinaryOperator::Plus => BinOp::Plus,
        BinaryOperator::Minus => BinOp::Minus,
        BinaryOperator::Multiply => BinOp::Multiply,
        BinaryOperator::Divide => BinOp::Divide,
        BinaryOperator::Modulo => BinOp::Modulo,
        BinaryOperator::StringConcat => BinOp::Concat,
        other => return Err(SqlError::unsupported(format!("operator {other}"))),
    })
}

/// A literal's expression: integers are `integer` or `bigint`, decimals
/// `double precision` (NUMERIC is not there yet), strings untyped.
pub(crate) fn literal(v: &ast::Value) -> Result<Expr> {
    match v {
        ast::Value::Number(n, _) => row_literal(Literal::Number(n)),
        ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => {
            row_literal(Literal::Text(s))
        }
        ast::Value::Boolean(b) => row_literal(Literal::Bool(*b)),
        ast::Value::Null => row_literal(Literal::Null),
        other => Err(SqlError::unsupported(format!("literal {other}"))),
    }
}

/// A literal of the `INSERT` fast path, bound as [`literal`] binds the
/// same literal from the syntax tree.
pub(crate) fn row_literal(l: Literal<'_>) -> Result<Expr> {
    Ok(match l {
        // As in PostgreSQL: an integer is `integer` or `bigint` when it fits,
        // anything else (a point, an exponent, more digits) is `numeric`.
        Literal::Number(n) => {
            if let Ok(i) = n.parse::<i32>() {
                Expr::Const(Value::Int4(i))
            } else if let Ok(i) = n.parse::<i64>() {
                Expr::Const(Value::Int8(i))
            } else {
                Expr::Const(parse_text(n, DataType::Numeric(None))?)
            }
        }
        Literal::Text(s) => Expr::Unknown(s.to_owned()),
        Literal::Bool(b) => Expr::Const(Value::Bool(b)),
        Literal::Null => Expr::Const(Value::Null),
    })
}
