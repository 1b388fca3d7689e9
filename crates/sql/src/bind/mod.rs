//! The binder: resolves names against the catalog (as of the point each
//! table reference names), binds expressions, and builds the plan. What the
//! executor cannot run yet is refused here with SQLSTATE 0A000, naming it.
//!
//! `query.rs` binds queries to relational plans, `expr.rs` expressions,
//! `scope.rs` resolves names, `dml.rs` and `ddl.rs` the statements that write.

mod alter_column;
mod conflict;
mod copy;
mod ddl;
mod dml;
mod explain;
mod expr;
mod func_syntax;
mod grouping;
mod query;
mod scope;
mod sequence;
mod setting;
mod types;
mod window;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::ops::Bound as KeyBound;

use sqlparser::ast::{self, ObjectName, ObjectNamePart, Statement, TableFactor};

use driftdb_engine::catalog::{self, TableDef};
use driftdb_engine::history::{self, PointIn, Resolved, VersionFilter};
use driftdb_engine::numeric::check_typmod;
use driftdb_engine::text::parse_text;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{DataType, Value};

use crate::error::{Result, SqlError};
use crate::params::Parameters;
use crate::parser::{Point, Stmt, SystemTime, system_time};
use crate::plan::{Control, Plan};
use crate::rel::{Rel, Scan};
use scope::Scope;

pub use types::type_of;

/// The schema a name without one lives in.
pub const DEFAULT_SCHEMA: &str = "public";
/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01.
pub const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Names of the hidden system columns, in input-row order after the table's.
pub const HIDDEN_COLUMNS: [&str; 4] = ["_seq_from", "_seq_to", "_system_from", "_system_to"];

/// Session settings that change how statements bind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `drift.as_of`: the point every table reference without its own
    /// `FOR SYSTEM_TIME` reads; writes are refused while it is set.
    pub as_of: Option<PointIn>,
    /// The session's user: `current_user` and `session_user` (empty: the
    /// superuser `driftdb`).
    pub user: String,
    /// The session's configuration parameters (`SET`, `SHOW`), which
    /// `current_setting` reads.
    pub params: Parameters,
}

/// An output column: name and (when known) type.
pub type Column = (String, Option<DataType>);

/// A bound query: its plan and its output columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// The plan.
    pub rel: Rel,
    /// Output columns.
    pub columns: Vec<Column>,
}

/// Binding state of one statement.
pub(crate) struct Binder<'b, 't> {
    /// The transaction the catalog is read in.
    pub(crate) txn: &'b Transaction<'t>,
    settings: &'b Settings,
    /// Numbers scans and subqueries.
    ids: Cell<usize>,
    /// Scans whose hidden columns an expression reads.
    pub(crate) hidden: RefCell<HashSet<usize>>,
    /// The `WITH` queries in scope, innermost last.
    pub(crate) ctes: RefCell<Vec<(String, Bound)>>,
    /// The `WITH RECURSIVE` queries being bound, which a reference to
    /// their name reads as their working table.
    pub(crate) recursion: query::WorkRefs,
    /// How many views deep the binding is (a bound on view cycles).
    pub(crate) view_depth: Cell<usize>,
    /// Values of `$1`, `$2`, … of a prepared statement.
    pub(crate) params: Params<'b>,
    /// Cleared when the plan depends on more than the statement, the
    /// catalog, the settings and the parameters' types (a parameter's value
    /// or the snapshot's last commit): a generic plan is then not reused.
    reusable: Cell<bool>,
    /// The named windows (`WINDOW w AS (…)`) of the `SELECT` being bound.
    pub(crate) windows: RefCell<Vec<(String, sqlparser::ast::WindowSpec)>>,
}

/// What the parameters `$1`, `$2`, … of a statement bind to.
pub(crate) enum Params<'b> {
    /// Their values, to run the statement.
    Values(&'b [Value]),
    /// No values yet: each binds as NULL, to learn the statement's result
    /// columns and parameter types before it runs.
    Describe(Described),
    /// Values known, but each binds as [`Expr::Param`] of its value's type,
    /// so the plan serves later executions with other values (a generic
    /// plan). Only values with a type of their own (not NULL, not untyped
    /// text) bind so.
    Generic(&'b [Value]),
}

/// What binding without values learns of the parameters.
#[derive(Default)]
pub(crate) struct Described {
    /// The highest parameter number seen.
    seen: Cell<usize>,
    /// The type each parameter's place gives it (`$n` at `n - 1`), where one
    /// does: a column it is compared with or assigned to, a cast.
    types: RefCell<Vec<Option<DataType>>>,
}

impl Described {
    /// Notes that `$n` appears.
    pub(crate) fn saw(&self, n: usize) {
        self.seen.set(self.seen.get().max(n));
    }

    /// Gives `$n` type `t`, unless an earlier place gave it one.
    pub(crate) fn infer(&self, n: usize, t: DataType) {
        let mut types = self.types.borrow_mut();
        if types.len() < n {
            types.resize(n, None);
        }
        if let Some(slot @ None) = n.checked_sub(1).and_then(|i| types.get_mut(i)) {
            *slot = Some(t);
        }
    }

    /// The type of each parameter `$1` … `$n`, `None` where unknown.
    fn finish(self) -> Vec<Option<DataType>> {
        let mut types = self.types.into_inner();
        types.resize(self.seen.get().max(types.len()), None);
        types
    }
}

/// The isolation level `modes` name: `Some(true)` for SERIALIZABLE,
/// `Some(false)` for another (DriftDB runs them all as snapshot
/// isolation), `None` when they name none.
fn serializable_mode(modes: &[ast::TransactionMode]) -> Option<bool> {
    modes.iter().find_map(|m| match m {
        ast::TransactionMode::IsolationLevel(level) => {
            Some(*level == ast::TransactionIsolationLevel::Serializable)
        }
        ast::TransactionMode::AccessMode(_) => None,
    })
}

/// Binds one statement read in `txn` under the session's `settings`.
pub fn bind(txn: &Transaction<'_>, stmt: &Stmt, settings: &Settings) -> Result<Plan> {
    bind_with(txn, stmt, settings, &[])
}

/// Binds one statement with values for its parameters `$1`, `$2`, …; a text
/// value reads as an untyped literal, so it takes the type its place needs.
pub fn bind_with(
    txn: &Transaction<'_>,
    stmt: &Stmt,
    settings: &Settings,
    params: &[Value],
) -> Result<Plan> {
    bind_params(txn, stmt, settings, Params::Values(params)).map(|(plan, _)| plan)
}

/// Binds one statement without values for its parameters: the plan tells
/// what the statement returns, the list what type each parameter takes
/// (`None` where its place does not say).
pub fn bind_describe(
    txn: &Transaction<'_>,
    stmt: &Stmt,
    settings: &Settings,
) -> Result<(Plan, Vec<Option<DataType>>)> {
    let (plan, types) = bind_params(txn, stmt, settings, Params::Describe(Described::default()))?;
    Ok((plan, types.unwrap_or_default()))
}

/// A plan bound with [`Params::Generic`], not yet optimized.
pub(crate) struct GenericPlan {
    /// The plan, its parameters as [`Expr::Param`].
    pub plan: Plan,
    /// Whether later executions may reuse it (see [`Binder::reusable`]).
    pub reusable: bool,
}

/// Binds one statement as a generic plan: parameters stay placeholders of
/// the types of `params`, which are read only where the statement needs a
/// value to bind (a LIMIT, a time-travel point): then it is not reusable.
pub(crate) fn bind_generic(
    txn: &Transaction<'_>,
    stmt: &Stmt,
    settings: &Settings,
    params: &[Value],
) -> Result<GenericPlan> {
    let binder = Binder::new(txn, settings, Params::Generic(params));
    let plan = binder.bound_statement(stmt)?;
    Ok(GenericPlan {
        plan,
        reusable: binder.reusable.get(),
    })
}

fn bind_params(
    txn: &Transaction<'_>,
    stmt: &Stmt,
    settings: &Settings,
    params: Params<'_>,
) -> Result<(Plan, Option<Vec<Option<DataType>>>)> {
    let binder = Binder::new(txn, settings, params);
    let plan = binder.bound_statement(stmt)?;
    let types = match binder.params {
        Params::Describe(d) => Some(d.finish()),
        Params::Values(_) | Params::Generic(_) => None,
    };
    Ok((crate::optimize::optimize_plan(plan, &[]), types))
}

impl<'b, 't> Binder<'b, 't> {
    fn new(txn: &'b Transaction<'t>, settings: &'b Settings, params: Params<'b>) -> Self {
        Binder {
            params,
            txn,
            settings,
            ids: Cell::new(0),
            hidden: RefCell::new(HashSet::new()),
            ctes: RefCell::new(Vec::new()),
            recursion: RefCell::new(Vec::new()),
            view_depth: Cell::new(0),
            windows: RefCell::new(Vec::new()),
            reusable: Cell::new(true),
        }
    }

    /// The statement's plan, before optimization.
    fn bound_statement(&self, stmt: &Stmt) -> Result<Plan> {
        let txn = self.txn;
        let plan = match stmt {
            Stmt::Sql(s) => self.statement(s)?,
            Stmt::Restore { table, point } => {
                let (schema, name) = split_name(table)?;
                let def = catalog::get_table(txn, &schema, &name, None)?
                    .ok_or_else(|| undefined_table(&name))?;
                let seq = self.point(point.as_ref())?.le;
                if catalog::get_table(txn, &schema, &name, Some(seq))?.is_none() {
                    return Err(undefined_table(&name));
                }
                Plan::Restore { table: def, seq }
            }
            Stmt::Undrop { table } => {
                let (schema, name) = split_name(table)?;
                Plan::Undrop { schema, name }
            }
            Stmt::InsertLiterals { insert, rows } => self.insert(insert, Some(rows))?,
        };
        if plan.writes() && self.settings.as_of.is_some() {
            return Err(SqlError::new(
                "25006",
                "cannot write while drift.as_of is set: reading the past is read-only (RESET drift.as_of)",
            ));
        }
        Ok(plan)
    }
}

impl Binder<'_, '_> {
    fn statement(&self, stmt: &Statement) -> Result<Plan> {
        match stmt {
            Statement::Query(q) => Ok(Plan::Query(self.query(q, None, &Cell::new(false))?)),
            Statement::Set(ast::Set::SingleAssignment {
                variable, values, ..
            }) => {
                let name = variable.to_string().to_ascii_lowercase();
                if name == "drift.as_of" {
                    let [value] = values.as_slice() else {
                        return Err(SqlError::new("42601", "SET drift.as_of takes one value"));
                    };
                    return Ok(Plan::Control(Control::SetAsOf(Some(
                        self.setting_point(value)?,
                    ))));
                }
                let value = setting_value(values)?;
                Ok(Plan::Control(Control::Set { name, value }))
            }
            Statement::Set(ast::Set::SetTimeZone { value, .. }) => {
                Ok(Plan::Control(Control::Set {
                    name: "timezone".into(),
                    value: setting_value(std::slice::from_ref(value))?,
                }))
            }
            Statement::Set(ast::Set::SetNames { charset_name, .. }) => {
                Ok(Plan::Control(Control::Set {
                    name: "client_encoding".into(),
                    value: Some(charset_name.value.clone()),
                }))
            }
            Statement::Deallocate { name, .. } => Ok(Plan::Control(Control::Deallocate {
                all: name.value.eq_ignore_ascii_case("all") && name.quote_style.is_none(),
            })),
            Statement::Reset(r) => Ok(Plan::Control(match &r.reset {
                ast::Reset::ALL => Control::ResetAll,
                ast::Reset::SessionAuthorization => {
                    return Err(SqlError::unsupported("RESET SESSION AUTHORIZATION"));
                }
                ast::Reset::ConfigurationParameter(n) => {
                    let name = n.to_string().to_ascii_lowercase();
                    if name == "drift.as_of" {
                        Control::SetAsOf(None)
                    } else {
                        Control::Set { name, value: None }
                    }
                }
            })),
            Statement::ShowVariable { variable } => Ok(Plan::Control(Control::Show(
                variable
                    .iter()
                    .map(|i| i.value.to_ascii_lowercase())
                    .collect::<Vec<_>>()
                    .join(" "),
            ))),
            Statement::StartTransaction { modes, .. } => Ok(Plan::Control(Control::Begin {
                read_only: modes.iter().any(|m| {
                    matches!(
                        m,
                        ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadOnly)
                    )
                }),
                serializable: serializable_mode(modes),
            })),
            Statement::Set(ast::Set::SetTransaction {
                modes,
                session: false,
                snapshot: None,
            }) => Ok(Plan::Control(Control::SetTransaction {
                serializable: serializable_mode(modes).unwrap_or(false),
            })),
            Statement::Commit { .. } => Ok(Plan::Control(Control::Commit)),
            Statement::Rollback {
                savepoint: None, ..
            } => Ok(Plan::Control(Control::Rollback)),
            Statement::Rollback {
                savepoint: Some(name),
                ..
            } => Ok(Plan::Control(Control::RollbackTo(ident(name)))),
            Statement::Savepoint { name } => Ok(Plan::Control(Control::Savepoint(ident(name)))),
            Statement::ReleaseSavepoint { name } => {
                Ok(Plan::Control(Control::Release(ident(name))))
            }
            Statement::CreateTable(ct) => self.create_table(ct),
            Statement::AlterTable(at) => self.alter_table(at),
            Statement::CreateIndex(ci) => self.create_index(ci),
            Statement::CreateView(cv) => self.create_view(cv),
            Statement::CreateSequence {
                temporary,
                if_not_exists,
                name,
                sequence_options,
            } => self.create_sequence(*temporary, *if_not_exists, name, sequence_options),
            Statement::CreateSchema {
                schema_name,
                if_not_exists,
                ..
            } => match schema_name {
                ast::SchemaName::Simple(n) => Ok(Plan::CreateSchema {
                    name: last_part(n)?,
                    if_not_exists: *if_not_exists,
                }),
                _ => Err(SqlError::unsupported("CREATE SCHEMA … AUTHORIZATION")),
            },
            Statement::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                ..
            } => self.drop(object_type, names, *if_exists, *cascade),
            Statement::Truncate(t) => self.truncate(t),
            Statement::Comment {
                object_type,
                object_name,
                comment,
                if_exists: false,
            } => self.comment(*object_type, object_name, comment.clone()),
            Statement::Insert(ins) => self.insert(ins, None),
            Statement::Copy {
                source,
                to,
                target,
                options,
                legacy_options,
                ..
            } => self.copy(source, *to, target, options, legacy_options),
            Statement::Update(up) => self.update(up),
            Statement::Delete(del) => self.delete(del),
            Statement::Explain {
                analyze,
                statement,
                format,
                options,
                ..
            } => self.explain(*analyze, statement, format.as_ref(), options.as_deref()),
            other => Err(SqlError::unsupported(statement_kind(other))),
        }
    }

    /// A fresh id for a scan or subquery.
    pub(crate) fn next_id(&self) -> usize {
        let id = self.ids.get();
        self.ids.set(id + 1);
        id
    }

    /// A constant expression's value (LIMIT, OFFSET, time-travel points).
    pub(crate) fn constant(&self, e: &ast::Expr, what: &str) -> Result<Value> {
        let empty = Scope::default();
        let bound = self.expr_in(e, &empty)?;
        if !bound.is_constant() {
            return Err(SqlError::new("42601", format!("{what} must be a constant")));
        }
        self.fold(&bound)
    }

    /// The value of the constant expression `e`, computed while binding.
    pub(crate) fn fold(&self, e: &crate::expr::Expr) -> Result<Value> {
        let cache = RefCell::new(std::collections::HashMap::new());
        let params = match self.params {
            Params::Generic(values) => {
                let mut reads_param = false;
                e.walk(&mut |e| reads_param |= matches!(e, crate::expr::Expr::Param(..)));
                if reads_param {
                    self.reusable.set(false);
                }
                values
            }
            Params::Values(_) | Params::Describe(_) => &[],
        };
        e.eval(
            &[],
            &crate::expr::Env::with_params(self.txn, &cache, params),
        )
    }

    /// `p` resolved against the commit history. A plan that resolves a
    /// timestamp is not reused: later commits may resolve it differently.
    pub(crate) fn resolve(&self, p: PointIn) -> Result<Resolved> {
        if matches!(p, PointIn::Time(_)) {
            self.reusable.set(false);
        }
        Ok(history::resolve(self.txn.snapshot(), p)?)
    }

    /// Whether `seq` lies before the snapshot's last commit (a read at it
    /// reads the past, not the present). True stays true for every later
    /// snapshot; a plan for which it is false is not reused.
    pub(crate) fn before_snapshot(&self, seq: u64) -> bool {
        let past = seq < self.txn.snapshot_seq();
        if !past {
            self.reusable.set(false);
        }
        past
    }

    /// The snapshot's last seq (`drift_seq()`): a plan that reads it is
    /// not reused.
    pub(crate) fn snapshot_seq(&self) -> u64 {
        self.reusable.set(false);
        self.txn.snapshot_seq()
    }

    /// The point `SET drift.as_of` names: `'@SEQ:N'`, `@SEQ:N` or a timestamp.
    fn setting_point(&self, value: &ast::Expr) -> Result<PointIn> {
        if let ast::Expr::Value(v) = value
            && let ast::Value::SingleQuotedString(s) = &v.value
        {
            if let Some(n) = s
                .trim()
                .strip_prefix("@SEQ:")
                .or_else(|| s.trim().strip_prefix("@seq:"))
            {
                return n
                    .trim()
                    .parse()
                    .map(PointIn::Seq)
                    .map_err(|_| SqlError::new("22023", format!("invalid drift.as_of \"{s}\"")));
            }
            return match parse_text(s, DataType::Timestamptz)? {
                Value::Timestamptz(t) => Ok(PointIn::Time(t + PG_EPOCH_MICROS)),
                _ => Err(SqlError::new(
                    "22023",
                    format!("invalid drift.as_of \"{s}\""),
                )),
            };
        }
        let r = self.point(&crate::parser::point_of(value))?;
        Ok(PointIn::Seq(r.le))
    }

    /// A time-travel point resolved to seqs against the commit history.
    pub(crate) fn point(&self, p: &Point) -> Result<Resolved> {
        let point = match p {
            Point::Seq(e) => match self.constant(e, "a time-travel seq")? {
                Value::Int4(n) if n >= 0 => PointIn::Seq(n as u64),
                Value::Int8(n) if n >= 0 => PointIn::Seq(n as u64),
                _ => {
                    return Err(SqlError::new(
                        "22023",
                        "a time-travel seq must be a non-negative integer",
                    ));
                }
            },
            Point::Time(e) => match self.constant(e, "a time-travel point")? {
                Value::Timestamptz(t) | Value::Timestamp(t) => PointIn::Time(t + PG_EPOCH_MICROS),
                Value::Text(s) => match parse_text(&s, DataType::Timestamptz)? {
                    Value::Timestamptz(t) => PointIn::Time(t + PG_EPOCH_MICROS),
                    _ => return Err(SqlError::new("22007", "invalid time-travel timestamp")),
                },
                other => {
                    return Err(SqlError::new(
                        "42804",
                        format!("a time-travel point must be a timestamp or @SEQ:N, not {other:?}"),
                    ));
                }
            },
        };
        self.resolve(point)
    }

    /// A table reference: its rows (now, or the versions its
    /// `FOR SYSTEM_TIME` clause or `drift.as_of` names) and its scope.
    pub(crate) fn table(
        &self,
        name: &ObjectName,
        alias: Option<&ast::TableAlias>,
        version: Option<&ast::TableVersion>,
    ) -> Result<(Rel, Scope)> {
        let (schema, tname) = split_name(name)?;
        let resolve = |p: &Point| self.point(p);
        let (versions, def_at) = match version.map(system_time).transpose()? {
            None => match self.settings.as_of {
                None => (None, None),
                Some(p) => {
                    let r = self.resolve(p)?;
                    (Some(VersionFilter::AsOf(r)), Some(r.le))
                }
            },
            Some(SystemTime::AsOf(p)) => {
                let r = resolve(&p)?;
                (Some(VersionFilter::AsOf(r)), Some(r.le))
            }
            Some(SystemTime::All) => (Some(VersionFilter::All), None),
            Some(SystemTime::FromTo(a, b)) => (
                Some(VersionFilter::FromTo(resolve(&a)?, resolve(&b)?)),
                None,
            ),
            Some(SystemTime::Between(a, b)) => (
                Some(VersionFilter::Between(resolve(&a)?, resolve(&b)?)),
                None,
            ),
            Some(SystemTime::ContainedIn(a, b)) => (
                Some(VersionFilter::ContainedIn(resolve(&a)?, resolve(&b)?)),
                None,
            ),
        };
        let txn = self.txn;
        let def = match (def_at, &versions) {
            (Some(seq), _) if self.before_snapshot(seq) => {
                catalog::get_table(txn, &schema, &tname, Some(seq))?
            }
            (None, Some(_)) => catalog::latest_table(txn, &schema, &tname)?,
            _ => catalog::get_table(txn, &schema, &tname, None)?,
        }
        .ok_or_else(|| undefined_table(&tname))?;
        let id = self.next_id();
        let label = alias.map_or_else(|| tname.clone(), |a| ident(&a.name));
        let mut columns: Vec<Column> = def
            .columns
            .iter()
            .map(|c| (c.name.clone(), Some(c.data_type)))
            .collect();
        if let Some(a) = alias {
            for (c, n) in columns.iter_mut().zip(&a.columns) {
                c.0 = ident(&n.name);
            }
        }
        let scope = Scope::table(&label, &columns, &hidden_columns(), Some(id));
        let scan = Scan {
            def: std::sync::Arc::new(def),
            versions,
            range: (KeyBound::Unbounded, KeyBound::Unbounded),
            index: None,
            hidden: false,
            id,
            label,
            lock: None,
        };
        Ok((Rel::Scan(Box::new(scan)), scope))
    }
}

/// The text of a `SET` value (`None` for `DEFAULT`): strings, numbers and
/// names, a list joined with commas as PostgreSQL does.
fn setting_value(values: &[ast::Expr]) -> Result<Option<String>> {
    let mut parts = Vec::new();
    for v in values {
        parts.push(match v {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) => s.clone(),
                ast::Value::Number(n, _) => n.clone(),
                ast::Value::Boolean(b) => if *b { "on" } else { "off" }.to_string(),
                other => return Err(SqlError::new("42601", format!("invalid SET value {other}"))),
            },
            ast::Expr::Identifier(i)
                if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default") =>
            {
                return Ok(None);
            }
            ast::Expr::Identifier(i) => i.value.clone(),
            ast::Expr::UnaryOp {
                op: ast::UnaryOperator::Minus,
                expr,
            } => match &**expr {
                ast::Expr::Value(v) => format!("-{}", v.value),
                other => return Err(SqlError::new("42601", format!("invalid SET value {other}"))),
            },
            other => return Err(SqlError::new("42601", format!("invalid SET value {other}"))),
        });
    }
    Ok(Some(parts.join(", ")))
}

/// The hidden system columns and their types.
fn hidden_columns() -> Vec<Column> {
    let types = [
        DataType::Int8,
        DataType::Int8,
        DataType::Timestamptz,
        DataType::Timestamptz,
    ];
    HIDDEN_COLUMNS
        .iter()
        .zip(types)
        .map(|(n, t)| (n.to_string(), Some(t)))
        .collect()
}

/// The present definition of a table a DML statement writes.
fn dml_table(txn: &Transaction<'_>, factor: &TableFactor) -> Result<TableDef> {
    let TableFactor::Table {
        name,
        version: None,
        ..
    } = factor
    else {
        return Err(SqlError::new(
            "42601",
            "the past cannot be written: name a table without FOR SYSTEM_TIME",
        ));
    };
    let (schema, table) = split_name(name)?;
    writable_table(txn, &schema, &table)
}

/// The present table a statement writes; a view is refused with 55000.
fn writable_table(txn: &Transaction<'_>, schema: &str, name: &str) -> Result<TableDef> {
    if let Some(t) = catalog::get_table(txn, schema, name, None)? {
        return Ok(t);
    }
    if catalog::get_view(txn, schema, name, None)?.is_some() {
        return Err(SqlError::new(
            "55000",
            format!("cannot write to view \"{name}\": views are not updatable in DriftDB"),
        ));
    }
    Err(undefined_table(name))
}

fn statement_kind(stmt: &Statement) -> String {
    let text = format!("{stmt:?}");
    text.split(['(', ' ', '{'])
        .next()
        .unwrap_or("statement")
        .to_string()
}

fn undefined_table(name: &str) -> SqlError {
    SqlError::new("42P01", format!("relation \"{name}\" does not exist"))
}

/// An identifier as PostgreSQL folds it: unquoted names are lower-cased.
fn ident(i: &ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

fn last_part(name: &ObjectName) -> Result<String> {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(i)) => Ok(ident(i)),
        _ => Err(SqlError::new("42601", format!("invalid name {name}"))),
    }
}

/// `schema.name` or `name` (in the default schema).
fn split_name(name: &ObjectName) -> Result<(String, String)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => Ok(ident(i)),
            ObjectNamePart::Function(_) => {
                Err(SqlError::new("42601", format!("invalid name {name}")))
            }
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [n] => Ok((DEFAULT_SCHEMA.into(), n.clone())),
        [s, n] => Ok((s.clone(), n.clone())),
        _ => Err(SqlError::new(
            "42601",
            format!("improper qualified name {name}"),
        )),
    }
}

/// The DriftDB type an SQL type name means (0A000 for one it lacks).
pub(crate) fn data_type(t: &ast::DataType) -> Result<DataType> {
    use ast::DataType as T;
    let len = |l: &Option<ast::CharacterLength>| match l {
        Some(ast::CharacterLength::IntegerLength { length, .. }) => u32::try_from(*length).ok(),
        _ => None,
    };
    Ok(match t {
        T::Bool | T::Boolean => DataType::Bool,
        T::SmallInt(_) | T::Int2(_) => DataType::Int2,
        T::Int(_) | T::Integer(_) | T::Int4(_) => DataType::Int4,
        T::BigInt(_) | T::Int8(_) => DataType::Int8,
        T::Real | T::Float4 => DataType::Float4,
        T::DoublePrecision | T::Float8 | T::Double(_) => DataType::Float8,
        T::Text => DataType::Text,
        T::Varchar(l) | T::CharacterVarying(l) => DataType::Varchar(len(l)),
        T::Char(l) | T::Character(l) => DataType::Char(len(l).unwrap_or(1)),
        T::Bytea => DataType::Bytea,
        T::Date => DataType::Date,
        T::Time(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => DataType::Time,
        T::Timestamp(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => {
            DataType::Timestamp
        }
        T::Timestamp(_, _) => DataType::Timestamptz,
        T::Interval { .. } => DataType::Interval,
        T::Uuid => DataType::Uuid,
        T::JSON => DataType::Json,
        T::JSONB => DataType::Jsonb,
        T::Numeric(info) | T::Decimal(info) | T::Dec(info) => numeric_type(info)?,
        T::Regclass => DataType::Int8,
        T::Array(
            ast::ArrayElemTypeDef::SquareBracket(element, _)
            | ast::ArrayElemTypeDef::Qualified(element, _),
        ) => DataType::array_of(data_type(element)?)?,
        T::Array(other) => return Err(SqlError::unsupported(format!("array type {other:?}"))),
        T::Custom(name, _) => catalog_type(name)?,
        other => return Err(SqlError::unsupported(format!("type {other}"))),
    })
}

/// A type named by its catalog name (`pg_catalog.text`, `oid`, `name`,
/// `"char"`, `int4` …): the DriftDB type its values are held in.
fn catalog_type(name: &ObjectName) -> Result<DataType> {
    let n = match name.0.last() {
        Some(ObjectNamePart::Identifier(i)) => i.value.to_lowercase(),
        _ => String::new(),
    };
    let schema_ok = match name.0.as_slice() {
        [_] => true,
        [ObjectNamePart::Identifier(s), _] => s.value.eq_ignore_ascii_case("pg_catalog"),
        _ => false,
    };
    if schema_ok && let Some(t) = crate::system::types::pg_type_named(&n) {
        return Ok(crate::system::value_type(t.oid));
    }
    match n.as_str() {
        "regoper" | "regrole" | "xid" | "cid" if schema_ok => Ok(DataType::Int8),
        _ => Err(SqlError::new(
            "42704",
            format!("type \"{name}\" does not exist"),
        )),
    }
}

/// `NUMERIC`, `NUMERIC(p)` (scale 0) or `NUMERIC(p, s)`, checked as
/// PostgreSQL does (22023).
fn numeric_type(info: &ast::ExactNumberInfo) -> Result<DataType> {
    let int = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    let typmod = match info {
        ast::ExactNumberInfo::None => return Ok(DataType::Numeric(None)),
        ast::ExactNumberInfo::Precision(p) => (int(*p), 0),
        ast::ExactNumberInfo::PrecisionAndScale(p, s) => {
            let scale = u32::try_from(*s)
                .map_err(|_| SqlError::unsupported(format!("NUMERIC with negative scale {s}")))?;
            (int(*p), scale)
        }
    };
    check_typmod(typmod.0, typmod.1)?;
    Ok(DataType::Numeric(Some(typmod)))
}
