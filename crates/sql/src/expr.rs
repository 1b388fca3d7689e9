//! Bound expressions and their evaluation, with SQL's three-valued logic.

use std::cell::{OnceCell, RefCell};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

use driftdb_engine::numeric::Numeric;
use driftdb_engine::text::{format_text, parse_text, type_name as text_type_name};
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{Array, DataType, Value};

use crate::rel::{AggCall, Rel};

use crate::error::{Result, SqlError};

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `%`
    Modulo,
    /// `||`
    Concat,
}

impl BinOp {
    /// Whether this is `=`, `<>`, `<`, `<=`, `>` or `>=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq
        )
    }

    /// The operator as SQL spells it.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Eq => "=",
            BinOp::NotEq => "<>",
            BinOp::Lt => "<",
            BinOp::LtEq => "<=",
            BinOp::Gt => ">",
            BinOp::GtEq => ">=",
            BinOp::And => "AND",
            BinOp::Or => "OR",
            BinOp::Plus => "+",
            BinOp::Minus => "-",
            BinOp::Multiply => "*",
            BinOp::Divide => "/",
            BinOp::Modulo => "%",
            BinOp::Concat => "||",
        }
    }
}

/// An expression with its column references resolved to row positions.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A typed constant.
    Const(Value),
    /// A string literal whose type comes from where it is used.
    Unknown(String),
    /// Parameter `$n` (at index `n - 1`) of a generic plan, of this type:
    /// a prepared query bound once reads its parameters' values from the
    /// environment of each execution ([`Env::params`]).
    Param(usize, DataType),
    /// The value at this position of the input row.
    Column(usize),
    /// A column of an enclosing query's row (correlated subqueries): `depth`
    /// 1 is the query right around this one.
    Outer {
        /// How many queries out.
        depth: usize,
        /// Position in that query's row.
        index: usize,
    },
    /// `NOT e`
    Not(Box<Expr>),
    /// `-e`
    Neg(Box<Expr>),
    /// `e IS NULL` (or `IS NOT NULL` when the flag is set).
    IsNull(Box<Expr>, bool),
    /// `l op r`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `l IS DISTINCT FROM r` (or `IS NOT DISTINCT FROM` when the flag is set).
    IsDistinct(Box<Expr>, Box<Expr>, bool),
    /// `CAST(e AS t)`
    Cast(Box<Expr>, DataType),
    /// `e [NOT] [I]LIKE pattern`
    Like(Box<Like>),
    /// `e [NOT] IN (list)`
    InList {
        /// The tested value.
        expr: Box<Expr>,
        /// The list.
        list: Vec<Expr>,
        /// `NOT IN`
        negated: bool,
    },
    /// `CASE [operand] WHEN … THEN … [ELSE …] END`
    Case {
        /// The simple form's operand, compared with each `WHEN`.
        operand: Option<Box<Expr>>,
        /// `WHEN` conditions (or values) and their results.
        whens: Vec<(Expr, Expr)>,
        /// `ELSE` (NULL when absent).
        otherwise: Option<Box<Expr>>,
    },
    /// A scalar function call.
    Call(Func, Vec<Expr>),
    /// A subquery used as a value.
    Subquery(Box<Subquery>),
    /// An aggregate call; only while binding a grouped query, which replaces
    /// it by a column of the aggregation's output.
    Agg(Box<AggCall>),
    /// A window function call; only while binding a query, which replaces it
    /// by a column of the window operator's output.
    Window(Box<crate::rel::window::WindowCall>),
}

/// `LIKE` and `ILIKE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Like {
    /// The tested value.
    pub expr: Expr,
    /// The pattern.
    pub pattern: Expr,
    /// `ILIKE`
    pub case_insensitive: bool,
    /// `NOT LIKE`
    pub negated: bool,
    /// The escape character (`\\` unless `ESCAPE` names another, `None` for `ESCAPE ''`).
    pub escape: Option<char>,
}

/// A scalar function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `COALESCE(a, …)`
    Coalesce,
    /// `NULLIF(a, b)`
    Nullif,
    /// `GREATEST(a, …)`
    Greatest,
    /// `LEAST(a, …)`
    Least,
    /// `lower(text)`
    Lower,
    /// `upper(text)`
    Upper,
    /// `length(text)`
    Length,
    /// `abs(number)`
    Abs,
    /// `rtrim(text)`: trailing spaces removed (also how `char(n)` reads as text).
    Rtrim,
    /// `text ~ pattern` (`~*` when the flag is set: case-insensitive), a
    /// POSIX regular expression match.
    Regex(bool),
    /// A function of the system catalogs (`format_type`, `pg_get_indexdef` …).
    Catalog(crate::system::functions::CatalogFunc),
    /// A sequence function (`nextval` …): volatile, so never folded.
    Sequence(crate::sequence::SeqFunc),
    /// An array function or operator (`array_length`, `a[i]`, `@>` …).
    Array(crate::array::ArrayFunc),
    /// A JSON function or operator (`->`, `jsonb_build_object` …).
    Json(crate::json::JsonFunc),
    /// A set-returning function in a select list (`unnest(a)`): the
    /// projection makes one row per value ([`crate::rel::Rel::ProjectSet`]);
    /// anywhere else it is 0A000.
    Series(crate::rel::SeriesFunc),
}

/// How a subquery's rows become a value.
#[derive(Debug, Clone, PartialEq)]
pub enum SubqueryKind {
    /// `(SELECT …)`: its single value, NULL when it has no row.
    Scalar,
    /// `EXISTS (SELECT …)`
    Exists,
    /// `e IN (SELECT …)`
    In(Expr),
    /// `ARRAY(SELECT …)`: the values of its one column as an array of this
    /// element type.
    Array(DataType),
    /// `e op ANY (SELECT …)` (`all` false) or `e op ALL (SELECT …)`.
    Quantified {
        /// The left operand.
        expr: Expr,
        /// The comparison.
        op: BinOp,
        /// `ALL` rather than `ANY`.
        all: bool,
    },
}

/// A subquery inside an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    /// Numbers the subqueries of a statement, so an uncorrelated one runs once.
    pub id: usize,
    /// Its plan.
    pub rel: Rel,
    /// How its rows are used.
    pub kind: SubqueryKind,
    /// Whether it reads a column of an enclosing query (then it runs per row).
    pub correlated: bool,
}

/// What an expression is evaluated in: the transaction (for subqueries) and
/// the rows of the enclosing queries.
pub struct Env<'a, 't> {
    /// The statement's transaction.
    pub txn: &'a Transaction<'t>,
    /// Rows of enclosing queries, outermost first.
    pub outer: Vec<Vec<Value>>,
    /// Results of uncorrelated subqueries, by id.
    pub cache: &'a RefCell<HashMap<usize, Rc<Vec<Vec<Value>>>>>,
    /// The catalog as the system relations see it, read once per statement
    /// by the first catalog function that needs it.
    pub catalog: Rc<OnceCell<crate::system::model::Catalog>>,
    /// The values of a generic plan's parameters ([`Expr::Param`]).
    pub params: &'a [Value],
}

impl<'a, 't> Env<'a, 't> {
    /// An environment for `txn` with no enclosing rows.
    pub fn new(
        txn: &'a Transaction<'t>,
        cache: &'a RefCell<HashMap<usize, Rc<Vec<Vec<Value>>>>>,
    ) -> Self {
        Env {
            txn,
            outer: Vec::new(),
            cache,
            catalog: Rc::default(),
            params: &[],
        }
    }

    /// An environment for `txn` in which [`Expr::Param`] reads `params`.
    pub fn with_params(
        txn: &'a Transaction<'t>,
        cache: &'a RefCell<HashMap<usize, Rc<Vec<Vec<Value>>>>>,
        params: &'a [Value],
    ) -> Self {
        Env {
            params,
            ..Env::new(txn, cache)
        }
    }

    /// The statement's catalog, read on first use.
    pub fn catalog(&self) -> Result<&crate::system::model::Catalog> {
        if let Some(c) = self.catalog.get() {
            return Ok(c);
        }
        let loaded = crate::system::model::Catalog::load(self.txn, None)?;
        Ok(self.catalog.get_or_init(|| loaded))
    }
}

impl Expr {
    /// Whether the expression reads no column and no subquery and calls no
    /// volatile function (and so folds to a constant).
    pub fn is_constant(&self) -> bool {
        let mut constant = true;
        self.walk(&mut |e| {
            if matches!(
                e,
                Expr::Column(_)
                    | Expr::Outer { .. }
                    | Expr::Subquery(_)
                    | Expr::Agg(_)
                    | Expr::Window(_)
                    | Expr::Call(Func::Sequence(_), _)
            ) {
                constant = false;
            }
        });
        constant
    }

    /// Calls `f` on this expression and every expression inside it (not
    /// descending into subquery plans).
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        for child in self.children() {
            child.walk(f);
        }
    }

    /// The expressions directly inside this one.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Const(_)
            | Expr::Unknown(_)
            | Expr::Param(..)
            | Expr::Column(_)
            | Expr::Outer { .. } => vec![],
            Expr::Not(e) | Expr::Neg(e) | Expr::IsNull(e, _) | Expr::Cast(e, _) => vec![e],
            Expr::Binary(_, l, r) | Expr::IsDistinct(l, r, _) => vec![l, r],
            Expr::Like(l) => vec![&l.expr, &l.pattern],
            Expr::InList { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => operand
                .iter()
                .map(|e| &**e)
                .chain(whens.iter().flat_map(|(w, t)| [w, t]))
                .chain(otherwise.iter().map(|e| &**e))
                .collect(),
            Expr::Call(_, args) => args.iter().collect(),
            Expr::Subquery(s) => match &s.kind {
                SubqueryKind::In(e) | SubqueryKind::Quantified { expr: e, .. } => vec![e],
                SubqueryKind::Scalar | SubqueryKind::Exists | SubqueryKind::Array(_) => vec![],
            },
            Expr::Agg(a) => a
                .args
                .iter()
                .chain(&a.filter)
                .chain(a.order.iter().map(|k| &k.expr))
                .collect(),
            Expr::Window(w) => w.exprs(),
        }
    }

    /// This expression with every sub-expression passed through `f`, bottom up
    /// (`f` sees each node after its children were rewritten).
    pub fn rewrite(self, f: &mut dyn FnMut(Expr) -> Result<Expr>) -> Result<Expr> {
        let node = self.map_children(&mut |c| c.rewrite(f))?;
        f(node)
    }

    /// This expression with each direct child replaced by `f(child)`.
    pub fn map_children(self, f: &mut dyn FnMut(Expr) -> Result<Expr>) -> Result<Expr> {
        Ok(match self {
            Expr::Not(e) => Expr::Not(bx(e, f)?),
            Expr::Neg(e) => Expr::Neg(bx(e, f)?),
            Expr::IsNull(e, n) => Expr::IsNull(bx(e, f)?, n),
            Expr::Cast(e, t) => Expr::Cast(bx(e, f)?, t),
            Expr::Binary(op, l, rr) => Expr::Binary(op, bx(l, f)?, bx(rr, f)?),
            Expr::IsDistinct(l, rr, n) => Expr::IsDistinct(bx(l, f)?, bx(rr, f)?, n),
            Expr::Like(l) => {
                let Like {
                    expr,
                    pattern,
                    case_insensitive,
                    negated,
                    escape,
                } = *l;
                Expr::Like(Box::new(Like {
                    expr: f(expr)?,
                    pattern: f(pattern)?,
                    case_insensitive,
                    negated,
                    escape,
                }))
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: bx(expr, f)?,
                list: list.into_iter().map(&mut *f).collect::<Result<_>>()?,
                negated,
            },
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => Expr::Case {
                operand: operand.map(|e| bx(e, f)).transpose()?,
                whens: whens
                    .into_iter()
                    .map(|(w, t)| Ok((f(w)?, f(t)?)))
                    .collect::<Result<_>>()?,
                otherwise: otherwise.map(|e| bx(e, f)).transpose()?,
            },
            Expr::Call(func, args) => {
                Expr::Call(func, args.into_iter().map(&mut *f).collect::<Result<_>>()?)
            }
            Expr::Subquery(s) => {
                let Subquery {
                    id,
                    rel,
                    kind,
                    correlated,
                } = *s;
                let kind = match kind {
                    SubqueryKind::In(e) => SubqueryKind::In(f(e)?),
                    SubqueryKind::Quantified { expr, op, all } => SubqueryKind::Quantified {
                        expr: f(expr)?,
                        op,
                        all,
                    },
                    other => other,
                };
                Expr::Subquery(Box::new(Subquery {
                    id,
                    rel,
                    kind,
                    correlated,
                }))
            }
            Expr::Agg(a) => {
                let AggCall {
                    func,
                    args,
                    distinct,
                    filter,
                    order,
                } = *a;
                Expr::Agg(Box::new(AggCall {
                    func,
                    args: args.into_iter().map(&mut *f).collect::<Result<_>>()?,
                    distinct,
                    filter: filter.map(&mut *f).transpose()?,
                    order: order
                        .into_iter()
                        .map(|k| {
                            Ok(crate::rel::SortKey {
                                expr: f(k.expr)?,
                                ..k
                            })
                        })
                        .collect::<Result<_>>()?,
                }))
            }
            Expr::Window(w) => Expr::Window(Box::new(w.map_exprs(f)?)),
            leaf @ (Expr::Const(_)
            | Expr::Unknown(_)
            | Expr::Param(..)
            | Expr::Column(_)
            | Expr::Outer { .. }) => leaf,
        })
    }

    /// The value of the expression for `row`.
    pub fn eval(&self, row: &[Value], env: &Env<'_, '_>) -> Result<Value> {
        Ok(match self {
            Expr::Const(v) => v.clone(),
            Expr::Unknown(s) => Value::Text(s.clone()),
            Expr::Param(i, _) => env.params.get(*i).cloned().ok_or_else(|| {
                SqlError::new("42P02", format!("there is no parameter ${}", i + 1))
            })?,
            Expr::Column(i) => row.get(*i).cloned().ok_or_else(|| {
                SqlError::new("XX000", format!("column position {i} out of range"))
            })?,
            Expr::Outer { depth, index } => env
                .outer
                .len()
                .checked_sub(*depth)
                .and_then(|d| env.outer.get(d))
                .and_then(|r| r.get(*index))
                .cloned()
                .ok_or_else(|| SqlError::new("XX000", "outer column out of range"))?,
            Expr::Not(e) => match e.eval(row, env)? {
                Value::Null => Value::Null,
                Value::Bool(b) => Value::Bool(!b),
                other => return Err(type_error("NOT", &other)),
            },
            Expr::Neg(e) => negate_value(e.eval(row, env)?)?,
            Expr::IsNull(e, negated) => Value::Bool(e.eval(row, env)?.is_null() != *negated),
            Expr::Cast(e, t) => match &**e {
                Expr::Unknown(s) => cast(parse_text(s, *t)?, *t)?,
                e => cast(e.eval(row, env)?, *t)?,
            },
            Expr::Binary(op, l, r) => binary(*op, l, r, row, env)?,
            Expr::IsDistinct(l, r, negated) => {
                let (a, b) = operands(l, r, row, env)?;
                let same = match (a.is_null(), b.is_null()) {
                    (true, true) => true,
                    (false, false) => compare(&a, &b)? == Ordering::Equal,
                    _ => false,
                };
                Value::Bool(same == *negated)
            }
            Expr::Like(l) => like(l, row, env)?,
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let v = expr.eval(row, env)?;
                let mut candidates = Vec::with_capacity(list.len());
                for e in list {
                    candidates.push(typed_like(e, &v, row, env)?);
                }
                let found = membership(&v, candidates.iter())?;
                not_if(found, *negated)
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                let subject = operand.as_ref().map(|o| o.eval(row, env)).transpose()?;
                for (when, then) in whens {
                    let hit = match &subject {
                        None => when.is_true(row, env)?,
                        Some(s) => {
                            let w = typed_like(when, s, row, env)?;
                            !s.is_null() && !w.is_null() && compare(s, &w)? == Ordering::Equal
                        }
                    };
                    if hit {
                        return then.eval(row, env);
                    }
                }
                match otherwise {
                    Some(e) => e.eval(row, env)?,
                    None => Value::Null,
                }
            }
            Expr::Call(func, args) => crate::func::call(*func, args, row, env)?,
            Expr::Subquery(s) => subquery(s, row, env)?,
            Expr::Agg(_) => {
                return Err(SqlError::new(
                    "42803",
                    "aggregate functions are not allowed here",
                ));
            }
            Expr::Window(_) => {
                return Err(SqlError::new(
                    "42P20",
                    "window functions are not allowed here",
                ));
            }
        })
    }

    /// Whether the expression is true for `row` (NULL and false are not).
    pub fn is_true(&self, row: &[Value], env: &Env<'_, '_>) -> Result<bool> {
        match self.eval(row, env)? {
            Value::Bool(b) => Ok(b),
            Value::Null => Ok(false),
            other => Err(SqlError::new(
                "42804",
                format!(
                    "argument of WHERE must be type boolean, not {}",
                    type_name(&other)
                ),
            )),
        }
    }
}

/// `f` applied to a boxed expression, in its box.
fn bx(mut e: Box<Expr>, f: &mut dyn FnMut(Expr) -> Result<Expr>) -> Result<Box<Expr>> {
    let inner = std::mem::replace(&mut *e, Expr::Const(Value::Null));
    *e = f(inner)?;
    Ok(e)
}

/// `e`'s value, an untyped literal read as the type of `other`.
fn typed_like(e: &Expr, other: &Value, row: &[Value], env: &Env<'_, '_>) -> Result<Value> {
    match (e, other.data_type()) {
        (Expr::Unknown(s), Some(t)) => Ok(parse_text(s, t)?),
        _ => e.eval(row, env),
    }
}

/// Both operands, an untyped literal on either side read as the other's type.
fn operands(l: &Expr, r: &Expr, row: &[Value], env: &Env<'_, '_>) -> Result<(Value, Value)> {
    let (mut a, mut b) = (l.eval(row, env)?, r.eval(row, env)?);
    if let (Expr::Unknown(s), Some(t)) = (l, b.data_type()) {
        a = parse_text(s, t)?;
    }
    if let (Expr::Unknown(s), Some(t)) = (r, a.data_type()) {
        b = parse_text(s, t)?;
    }
    Ok((a, b))
}

/// SQL's `v IN (candidates)`: true on a match, NULL when there is none but
/// `v` or a candidate is NULL, false otherwise.
fn membership<'v>(v: &Value, candidates: impl Iterator<Item = &'v Value>) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let mut saw_null = false;
    for c in candidates {
        if c.is_null() {
            saw_null = true;
        } else if compare(v, c)? == Ordering::Equal {
            return Ok(Value::Bool(true));
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(false)
    })
}

fn not_if(v: Value, negated: bool) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(b != negated),
        other => other,
    }
}

fn subquery(s: &Subquery, row: &[Value], env: &Env<'_, '_>) -> Result<Value> {
    let rows = if s.correlated {
        let mut outer = env.outer.clone();
        outer.push(row.to_vec());
        let inner = Env {
            txn: env.txn,
            outer,
            cache: env.cache,
            catalog: Rc::clone(&env.catalog),
            params: env.params,
        };
        let limit = match s.kind {
            SubqueryKind::Exists => 1,
            SubqueryKind::Scalar => 2,
            _ => usize::MAX,
        };
        Rc::new(
            crate::run::run(&s.rel, &inner)?
                .take(limit)
                .collect::<Result<Vec<_>>>()?,
        )
    } else {
        let cached = env.cache.borrow().get(&s.id).cloned();
        match cached {
            Some(rows) => rows,
            None => {
                let top = Env {
                    txn: env.txn,
                    outer: Vec::new(),
                    cache: env.cache,
                    catalog: Rc::clone(&env.catalog),
                    params: env.params,
                };
                let rows = Rc::new(crate::run::run(&s.rel, &top)?.collect::<Result<Vec<_>>>()?);
                env.cache.borrow_mut().insert(s.id, Rc::clone(&rows));
                rows
            }
        }
    };
    Ok(match &s.kind {
        SubqueryKind::Exists => Value::Bool(!rows.is_empty()),
        SubqueryKind::Array(element) => {
            let items = rows
                .iter()
                .map(|r| cast(r.first().cloned().unwrap_or(Value::Null), *element))
                .collect::<Result<Vec<_>>>()?;
            Value::Array(Array::new(*element, items)?)
        }
        SubqueryKind::Scalar => match rows.as_slice() {
            [] => Value::Null,
            [one] => one.first().cloned().unwrap_or(Value::Null),
            _ => {
                return Err(SqlError::new(
                    "21000",
                    "more than one row returned by a subquery used as an expression",
                ));
            }
        },
        SubqueryKind::In(e) => {
            let v = e.eval(row, env)?;
            membership(&v, rows.iter().filter_map(|r| r.first()))?
        }
        SubqueryKind::Quantified { expr, op, all } => {
            let v = expr.eval(row, env)?;
            let mut saw_null = false;
            for r in rows.iter() {
                let c = r.first().cloned().unwrap_or(Value::Null);
                match compare_op(*op, &v, &c)? {
                    Value::Null => saw_null = true,
                    Value::Bool(b) if b != *all => return Ok(Value::Bool(b)),
                    _ => {}
                }
            }
            if saw_null {
                Value::Null
            } else {
                Value::Bool(*all)
            }
        }
    })
}

/// A comparison of two values under SQL's NULL rule.
pub fn compare_op(op: BinOp, a: &Value, b: &Value) -> Result<Value> {
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    let ord = compare(a, b)?;
    Ok(Value::Bool(match op {
        BinOp::Eq => ord == Ordering::Equal,
        BinOp::NotEq => ord != Ordering::Equal,
        BinOp::Lt => ord == Ordering::Less,
        BinOp::LtEq => ord != Ordering::Greater,
        BinOp::Gt => ord == Ordering::Greater,
        BinOp::GtEq => ord != Ordering::Less,
        _ => return Err(SqlError::new("XX000", "not a comparison operator")),
    }))
}

fn like(l: &Like, row: &[Value], env: &Env<'_, '_>) -> Result<Value> {
    let (v, p) = (l.expr.eval(row, env)?, l.pattern.eval(row, env)?);
    let (Value::Text(v), Value::Text(p)) = (&v, &p) else {
        if v.is_null() || p.is_null() {
            return Ok(Value::Null);
        }
        return Err(type_error("~~", &v));
    };
    let matched = if l.case_insensitive {
        like_match(&v.to_lowercase(), &p.to_lowercase(), l.escape)?
    } else {
        like_match(v, p, l.escape)?
    };
    Ok(Value::Bool(matched != l.negated))
}

/// SQL `LIKE`: `%` any run of characters, `_` any one, the escape character
/// makes the next one literal.
fn like_match(text: &str, pattern: &str, escape: Option<char>) -> Result<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(if Some(c) == escape {
            Tok::Lit(chars.next().ok_or_else(|| {
                SqlError::new("22025", "LIKE pattern must not end with escape character")
            })?)
        } else if c == '%' {
            Tok::Any
        } else if c == '_' {
            Tok::One
        } else {
            Tok::Lit(c)
        });
    }
    let text: Vec<char> = text.chars().collect();
    // Greedy matching with backtracking to the last `%`.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                t += 1;
                p += 1;
            }
            Some(Tok::Lit(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return Ok(false),
            },
        }
    }
    Ok(toks[p..].iter().all(|t| *t == Tok::Any))
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    v.data_type().map_or("unknown", text_type_name)
}

pub(crate) fn type_error(op: &str, v: &Value) -> SqlError {
    SqlError::new(
        "42883",
        format!("operator does not exist: {op} {}", type_name(v)),
    )
}

pub(crate) fn out_of_range(what: &str) -> SqlError {
    SqlError::new("22003", format!("{what} out of range"))
}

pub(crate) fn negate_value(v: Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int2(i) => Value::Int2(i.checked_neg().ok_or_else(|| out_of_range("smallint"))?),
        Value::Int4(i) => Value::Int4(i.checked_neg().ok_or_else(|| out_of_range("integer"))?),
        Value::Int8(i) => Value::Int8(i.checked_neg().ok_or_else(|| out_of_range("bigint"))?),
        Value::Float4(f) => Value::Float4(-f),
        Value::Float8(f) => Value::Float8(-f),
        Value::Numeric(n) => Value::Numeric(n.neg()),
        other => return Err(type_error("-", &other)),
    })
}

/// The rank of a number's type in PostgreSQL's implicit promotions
/// ([`DataType::numeric_rank`]).
pub(crate) fn numeric_rank(v: &Value) -> Option<u8> {
    v.data_type().and_then(DataType::numeric_rank)
}

/// Rank of `NUMERIC`: below it are the integers, above it the floats.
const NUMERIC_RANK: u8 = 4;

pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(i) => Some(i64::from(*i)),
        Value::Int4(i) => Some(i64::from(*i)),
        Value::Int8(i) => Some(*i),
        _ => None,
    }
}

pub(crate) fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Float4(f) => Some(f64::from(*f)),
        Value::Float8(f) => Some(*f),
        Value::Numeric(n) => Some(n.to_f64()),
        other => as_i64(other).map(|i| i as f64),
    }
}

/// An integer or `NUMERIC` as a `NUMERIC`.
pub(crate) fn as_numeric(v: &Value) -> Option<Numeric> {
    match v {
        Value::Numeric(n) => Some(n.clone()),
        other => as_i64(other).map(Numeric::from),
    }
}

fn binary(op: BinOp, l: &Expr, r: &Expr, row: &[Value], env: &Env<'_, '_>) -> Result<Value> {
    if let BinOp::And | BinOp::Or = op {
        let a = truth(l.eval(row, env)?)?;
        // Short-circuit as PostgreSQL may: FALSE AND …, TRUE OR ….
        match (op, a) {
            (BinOp::And, Some(false)) => return Ok(Value::Bool(false)),
            (BinOp::Or, Some(true)) => return Ok(Value::Bool(true)),
            _ => {}
        }
        let b = truth(r.eval(row, env)?)?;
        return Ok(match (op, a, b) {
            (BinOp::And, Some(false), _) | (BinOp::And, _, Some(false)) => Value::Bool(false),
            (BinOp::And, Some(true), Some(true)) => Value::Bool(true),
            (BinOp::Or, Some(true), _) | (BinOp::Or, _, Some(true)) => Value::Bool(true),
            (BinOp::Or, Some(false), Some(false)) => Value::Bool(false),
            _ => Value::Null,
        });
    }
    // An untyped literal takes the type of the other side.
    let (a, b) = operands(l, r, row, env)?;
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    match op {
        BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq => {
            compare_op(op, &a, &b)
        }
        BinOp::Concat => Ok(Value::Text(format!(
            "{}{}",
            format_text(&a).unwrap_or_default(),
            format_text(&b).unwrap_or_default()
        ))),
        _ => arithmetic(op, &a, &b),
    }
}

fn truth(v: Value) -> Result<Option<bool>> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        other => Err(SqlError::new(
            "42804",
            format!(
                "argument of AND/OR must be type boolean, not {}",
                type_name(&other)
            ),
        )),
    }
}

/// Orders two non-NULL values, promoting numbers as PostgreSQL does.
pub fn compare(a: &Value, b: &Value) -> Result<Ordering> {
    if let (Some(x), Some(y)) = (numeric_rank(a), numeric_rank(b))
        && x != y
    {
        return Ok(match (as_i64(a), as_i64(b)) {
            (Some(i), Some(j)) => i.cmp(&j),
            _ if x.max(y) == NUMERIC_RANK => match (as_numeric(a), as_numeric(b)) {
                (Some(m), Some(n)) => m.sql_cmp(&n),
                _ => Ordering::Equal,
            },
            _ => {
                let (f, g) = (as_f64(a).unwrap_or(f64::NAN), as_f64(b).unwrap_or(f64::NAN));
                Value::Float8(f)
                    .sql_cmp(&Value::Float8(g))
                    .unwrap_or(Ordering::Equal)
            }
        });
    }
    a.sql_cmp(b).ok_or_else(|| {
        SqlError::new(
            "42883",
            format!(
                "operator does not exist: {} = {}",
                type_name(a),
                type_name(b)
            ),
        )
    })
}

pub(crate) fn arithmetic(op: BinOp, a: &Value, b: &Value) -> Result<Value> {
    if let Some(result) = crate::datetime_ops::datetime_arithmetic(op, a, b) {
        return result;
    }
    let (Some(ra), Some(rb)) = (numeric_rank(a), numeric_rank(b)) else {
        return Err(SqlError::new(
            "42883",
            format!(
                "operator does not exist: {} {op:?} {}",
                type_name(a),
                type_name(b)
            ),
        ));
    };
    let rank = ra.max(rb);
    if rank == NUMERIC_RANK {
        return numeric_arithmetic(op, a, b);
    }
    if rank > NUMERIC_RANK {
        let (x, y) = (as_f64(a).unwrap_or(0.0), as_f64(b).unwrap_or(0.0));
        let v = match op {
            BinOp::Plus => x + y,
            BinOp::Minus => x - y,
            BinOp::Multiply => x * y,
            BinOp::Divide if y == 0.0 => return Err(division_by_zero()),
            BinOp::Divide => x / y,
            BinOp::Modulo => {
                return Err(SqlError::new(
                    "42883",
                    "operator does not exist: double precision % double precision",
                ));
            }
            _ => return Err(SqlError::new("XX000", "not an arithmetic operator")),
        };
        // real with numeric is double precision, as in PostgreSQL.
        return Ok(if rank == 5 && ra.min(rb) != NUMERIC_RANK {
            Value::Float4(v as f32)
        } else {
            Value::Float8(v)
        });
    }
    let (x, y) = (as_i64(a).unwrap_or(0), as_i64(b).unwrap_or(0));
    let v = match op {
        BinOp::Plus => x.checked_add(y),
        BinOp::Minus => x.checked_sub(y),
        BinOp::Multiply => x.checked_mul(y),
        BinOp::Divide | BinOp::Modulo if y == 0 => return Err(division_by_zero()),
        BinOp::Divide => x.checked_div(y),
        BinOp::Modulo => x.checked_rem(y),
        _ => return Err(SqlError::new("XX000", "not an arithmetic operator")),
    };
    let v = v.ok_or_else(|| out_of_range(int_name(rank)))?;
    match rank {
        1 => i16::try_from(v)
            .map(Value::Int2)
            .map_err(|_| out_of_range("smallint")),
        2 => i32::try_from(v)
            .map(Value::Int4)
            .map_err(|_| out_of_range("integer")),
        _ => Ok(Value::Int8(v)),
    }
}

/// `a op b` in `NUMERIC`, exactly, with PostgreSQL's result scales.
fn numeric_arithmetic(op: BinOp, a: &Value, b: &Value) -> Result<Value> {
    let (Some(x), Some(y)) = (as_numeric(a), as_numeric(b)) else {
        return Err(SqlError::new("XX000", "not a numeric operand"));
    };
    Ok(Value::Numeric(match op {
        BinOp::Plus => x.add(&y)?,
        BinOp::Minus => x.sub(&y)?,
        BinOp::Multiply => x.mul(&y)?,
        BinOp::Divide => x.div(&y)?,
        BinOp::Modulo => x.rem(&y)?,
        _ => return Err(SqlError::new("XX000", "not an arithmetic operator")),
    }))
}

fn int_name(rank: u8) -> &'static str {
    match rank {
        1 => "smallint",
        2 => "integer",
        _ => "bigint",
    }
}

fn division_by_zero() -> SqlError {
    SqlError::new("22012", "division by zero")
}

/// `CAST(v AS t)`: numbers convert directly (floats round to the nearest
/// integer, ties to even, as PostgreSQL's `rint`); everything else goes
/// through the text form, as PostgreSQL's I/O conversion casts do.
pub fn cast(v: Value, t: DataType) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    if let Some(result) = crate::json::cast(&v, t) {
        return result;
    }
    if let DataType::Numeric(typmod) = t {
        return to_numeric(v, typmod);
    }
    if let (Value::Array(a), Some(element)) = (&v, t.element()) {
        if a.data_type() == t {
            return Ok(v);
        }
        let items = a
            .items()
            .iter()
            .map(|item| cast(item.clone(), element))
            .collect::<Result<Vec<_>>>()?;
        return Ok(Value::Array(Array::of_type(t, items)?));
    }
    if let (Value::Array(_), false) = (&v, matches!(t, DataType::Text | DataType::Varchar(_))) {
        return Err(SqlError::new(
            "42846",
            format!(
                "cannot cast type {} to {}",
                type_name(&v),
                text_type_name(t)
            ),
        ));
    }
    let int_target = matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8);
    if let (true, Value::Numeric(n)) = (int_target, &v) {
        let name = int_name(t.numeric_rank().unwrap_or(3));
        return cast(Value::Int8(n.to_i64(name)?), t);
    }
    if let (true, Value::Float4(_) | Value::Float8(_)) = (int_target, &v) {
        let f = as_f64(&v).unwrap_or(f64::NAN).round_ties_even();
        if !f.is_finite() || f < i64::MIN as f64 || f > i64::MAX as f64 {
            return Err(out_of_range(int_name(3)));
        }
        return cast(Value::Int8(f as i64), t);
    }
    if let (true, Some(i)) = (int_target, as_i64(&v)) {
        return Ok(match t {
            DataType::Int2 => Value::Int2(i16::try_from(i).map_err(|_| out_of_range("smallint"))?),
            DataType::Int4 => Value::Int4(i32::try_from(i).map_err(|_| out_of_range("integer"))?),
            _ => Value::Int8(i),
        });
    }
    match (&v, t) {
        (Value::Numeric(n), DataType::Float4 | DataType::Float8) => {
            let f = if t == DataType::Float4 {
                Value::Float4(n.to_f32())
            } else {
                Value::Float8(n.to_f64())
            };
            match as_f64(&f) {
                Some(x) if x.is_infinite() => Err(SqlError::new(
                    "22003",
                    format!("\"{n}\" is out of range for type {}", text_type_name(t)),
                )),
                _ => Ok(f),
            }
        }
        (_, DataType::Float8) if numeric_rank(&v).is_some() => {
            Ok(Value::Float8(as_f64(&v).unwrap_or(0.0)))
        }
        (_, DataType::Float4) if numeric_rank(&v).is_some() => {
            Ok(Value::Float4(as_f64(&v).unwrap_or(0.0) as f32))
        }
        (Value::Text(s), DataType::Varchar(Some(n))) if s.chars().count() > n as usize => {
            Err(SqlError::new(
                "22001",
                format!("value too long for type character varying({n})"),
            ))
        }
        (Value::Text(s), DataType::Char(n)) => {
            let len = s.chars().count();
            if len > n as usize && s.chars().skip(n as usize).any(|c| c != ' ') {
                return Err(SqlError::new(
                    "22001",
                    format!("value too long for type character({n})"),
                ));
            }
            let mut padded: String = s.chars().take(n as usize).collect();
            padded.extend(std::iter::repeat_n(' ', (n as usize).saturating_sub(len)));
            Ok(Value::Text(padded))
        }
        _ => Ok(parse_text(&format_text(&v).unwrap_or_default(), t)?),
    }
}

/// `CAST(v AS NUMERIC[(p, s)])`: integers exactly, floats through their
/// significant digits (15 for double, 6 for real), text parsed; then rounded
/// to the type's scale, 22003 past its precision.
fn to_numeric(v: Value, typmod: Option<(u32, u32)>) -> Result<Value> {
    let n = match v {
        Value::Numeric(n) => n,
        Value::Float4(f) => Numeric::from_f32(f)?,
        Value::Float8(f) => Numeric::from_f64(f)?,
        Value::Text(s) => Numeric::parse(&s)?,
        other => as_numeric(&other).ok_or_else(|| {
            SqlError::new(
                "42846",
                format!("cannot cast type {} to numeric", type_name(&other)),
            )
        })?,
    };
    Ok(Value::Numeric(match typmod {
        Some((precision, scale)) => n.apply_typmod(precision, scale)?,
        None => n,
    }))
}
