//! The binder: resolves names against the catalog (as of the point a table
//! reference names), binds expressions, and builds the logical plan. What the
//! executor cannot run yet is refused here with SQLSTATE 0A000, naming it.

use sqlparser::ast::{
    self, AssignmentTarget, BinaryOperator, ColumnOption, FromTable, GroupByExpr, LimitClause,
    ObjectName, ObjectNamePart, OrderByKind, OrderBySort, SelectItem, SetExpr, Statement,
    TableConstraint, TableFactor, TableObject, UnaryOperator,
};

use driftdb_engine::catalog::{self, NewColumn, TableDef};
use driftdb_engine::history::{self, PointIn, Resolved, VersionFilter};
use driftdb_engine::text::parse_text;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{DataType, Value};

use crate::error::{Result, SqlError};
use crate::expr::{BinOp, Expr};
use crate::parser::{Point, Stmt, SystemTime, system_time};
use crate::plan::{HIDDEN_COLUMNS, Plan, Query, Source};

/// The schema a name without one lives in.
pub const DEFAULT_SCHEMA: &str = "public";
/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01.
pub const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Session settings that change how statements bind.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `drift.as_of`: the point every table reference without its own
    /// `FOR SYSTEM_TIME` reads; writes are refused while it is set.
    pub as_of: Option<PointIn>,
}

/// Binds one statement read in `txn` under the session's `settings`.
pub fn bind(txn: &Transaction<'_>, stmt: &Stmt, settings: &Settings) -> Result<Plan> {
    let plan = match stmt {
        Stmt::Sql(s) => bind_sql(txn, s, settings)?,
        Stmt::Restore { table, point } => {
            let (schema, name) = split_name(table)?;
            let def = catalog::get_table(txn, &schema, &name, None)?
                .ok_or_else(|| undefined_table(&name))?;
            let seq = resolve_point(txn, point.as_ref())?.le;
            if catalog::get_table(txn, &schema, &name, Some(seq))?.is_none() {
                return Err(undefined_table(&name));
            }
            Plan::Restore { table: def, seq }
        }
        Stmt::Undrop { table } => {
            let (schema, name) = split_name(table)?;
            Plan::Undrop { schema, name }
        }
    };
    let writes = matches!(
        plan,
        Plan::Insert { .. }
            | Plan::Update { .. }
            | Plan::Delete { .. }
            | Plan::Restore { .. }
            | Plan::Undrop { .. }
            | Plan::CreateTable { .. }
            | Plan::DropTable { .. }
    );
    if writes && settings.as_of.is_some() {
        return Err(SqlError::new(
            "25006",
            "cannot write while drift.as_of is set: reading the past is read-only (RESET drift.as_of)",
        ));
    }
    Ok(plan)
}

fn bind_sql(txn: &Transaction<'_>, stmt: &Statement, settings: &Settings) -> Result<Plan> {
    match stmt {
        Statement::Query(q) => Ok(Plan::Query(bind_query(txn, q, settings)?)),
        Statement::Set(ast::Set::SingleAssignment {
            variable, values, ..
        }) => {
            let name = variable.to_string().to_ascii_lowercase();
            let [value] = values.as_slice() else {
                return Err(SqlError::new(
                    "42601",
                    format!("SET {name} takes one value"),
                ));
            };
            match name.as_str() {
                "drift.as_of" => Ok(Plan::SetAsOf(Some(setting_point(txn, value)?))),
                "application_name" => match constant(txn, value, "application_name")? {
                    Value::Text(s) => Ok(Plan::SetApplicationName(s)),
                    other => Err(SqlError::new(
                        "22023",
                        format!("invalid application_name {other:?}"),
                    )),
                },
                other => Err(SqlError::unsupported(format!(
                    "configuration parameter \"{other}\""
                ))),
            }
        }
        Statement::Reset(r) => match &r.reset {
            ast::Reset::ALL => Ok(Plan::SetAsOf(None)),
            ast::Reset::ConfigurationParameter(n)
                if n.to_string().eq_ignore_ascii_case("drift.as_of") =>
            {
                Ok(Plan::SetAsOf(None))
            }
            other => Err(SqlError::unsupported(format!("RESET {other:?}"))),
        },
        Statement::CreateTable(ct) => bind_create_table(ct),
        Statement::Drop {
            object_type: ast::ObjectType::Table,
            if_exists,
            names,
            ..
        } => {
            let [name] = names.as_slice() else {
                return Err(SqlError::unsupported("DROP TABLE of several tables"));
            };
            let (schema, name) = split_name(name)?;
            Ok(Plan::DropTable {
                schema,
                name,
                if_exists: *if_exists,
            })
        }
        Statement::Insert(ins) => bind_insert(txn, ins),
        Statement::Update(up) => {
            if up.returning.is_some() || up.from.is_some() {
                return Err(SqlError::unsupported("UPDATE with FROM or RETURNING"));
            }
            let table = dml_table(txn, &up.table.relation)?;
            let scope = Scope::of(&table, None);
            let set = up
                .assignments
                .iter()
                .map(|a| {
                    let AssignmentTarget::ColumnName(col) = &a.target else {
                        return Err(SqlError::unsupported("UPDATE of a column tuple"));
                    };
                    let name = last_part(col)?;
                    let i = table
                        .columns
                        .iter()
                        .position(|c| c.name == name)
                        .ok_or_else(|| undefined_column(&name))?;
                    Ok((i, bind_expr(txn, &scope, &a.value)?))
                })
                .collect::<Result<_>>()?;
            let filter = up
                .selection
                .as_ref()
                .map(|e| bind_expr(txn, &scope, e))
                .transpose()?;
            Ok(Plan::Update { table, filter, set })
        }
        Statement::Delete(del) => {
            if del.returning.is_some() || del.using.is_some() {
                return Err(SqlError::unsupported("DELETE with USING or RETURNING"));
            }
            let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &del.from;
            let [from] = from.as_slice() else {
                return Err(SqlError::unsupported("DELETE from several tables"));
            };
            let table = dml_table(txn, &from.relation)?;
            let scope = Scope::of(&table, None);
            let filter = del
                .selection
                .as_ref()
                .map(|e| bind_expr(txn, &scope, e))
                .transpose()?;
            Ok(Plan::Delete { table, filter })
        }
        Statement::StartTransaction { .. } => Ok(Plan::Begin),
        Statement::Commit { .. } => Ok(Plan::Commit),
        Statement::Rollback {
            savepoint: None, ..
        } => Ok(Plan::Rollback),
        other => Err(SqlError::unsupported(statement_kind(other))),
    }
}

fn statement_kind(stmt: &Statement) -> String {
    let text = format!("{stmt:?}");
    text.split(['(', ' ', '{'])
        .next()
        .unwrap_or("statement")
        .to_string()
}

fn undefined_column(name: &str) -> SqlError {
    SqlError::new("42703", format!("column \"{name}\" does not exist"))
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

fn data_type(t: &ast::DataType) -> Result<DataType> {
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
        other => return Err(SqlError::unsupported(format!("type {other}"))),
    })
}

fn bind_create_table(ct: &ast::CreateTable) -> Result<Plan> {
    let (schema, name) = split_name(&ct.name)?;
    let mut primary_key = Vec::new();
    let mut columns = Vec::with_capacity(ct.columns.len());
    for c in &ct.columns {
        let mut nullable = true;
        for opt in &c.options {
            match &opt.option {
                ColumnOption::Null => {}
                ColumnOption::NotNull => nullable = false,
                ColumnOption::PrimaryKey(_) => primary_key.push(ident(&c.name)),
                other => return Err(SqlError::unsupported(format!("column option {other}"))),
            }
        }
        columns.push(NewColumn {
            name: ident(&c.name),
            data_type: data_type(&c.data_type)?,
            nullable,
        });
    }
    for constraint in &ct.constraints {
        match constraint {
            TableConstraint::PrimaryKey(pk) if primary_key.is_empty() => {
                for col in &pk.columns {
                    match &col.column.expr {
                        ast::Expr::Identifier(i) => primary_key.push(ident(i)),
                        other => {
                            return Err(SqlError::unsupported(format!("primary key on {other}")));
                        }
                    }
                }
            }
            TableConstraint::PrimaryKey(_) => {
                return Err(SqlError::new(
                    "42P16",
                    format!("multiple primary keys for table \"{name}\" are not allowed"),
                ));
            }
            other => return Err(SqlError::unsupported(format!("table constraint {other}"))),
        }
    }
    Ok(Plan::CreateTable {
        schema,
        name,
        columns,
        primary_key,
        if_not_exists: ct.if_not_exists,
    })
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
    catalog::get_table(txn, &schema, &table, None)?.ok_or_else(|| undefined_table(&table))
}

fn bind_insert(txn: &Transaction<'_>, ins: &ast::Insert) -> Result<Plan> {
    if ins.returning.is_some() || ins.on.is_some() {
        return Err(SqlError::unsupported(
            "INSERT with RETURNING or ON CONFLICT",
        ));
    }
    let TableObject::TableName(name) = &ins.table else {
        return Err(SqlError::unsupported("INSERT into a table function"));
    };
    let (schema, tname) = split_name(name)?;
    let table =
        catalog::get_table(txn, &schema, &tname, None)?.ok_or_else(|| undefined_table(&tname))?;
    let targets: Vec<usize> = if ins.columns.is_empty() {
        (0..table.columns.len()).collect()
    } else {
        ins.columns
            .iter()
            .map(|c| {
                let n = last_part(c)?;
                table
                    .columns
                    .iter()
                    .position(|d| d.name == n)
                    .ok_or_else(|| undefined_column(&n))
            })
            .collect::<Result<_>>()?
    };
    let Some(SetExpr::Values(values)) = ins.source.as_ref().map(|q| q.body.as_ref()) else {
        return Err(SqlError::unsupported("INSERT without VALUES"));
    };
    let empty = Scope::empty();
    let mut rows = Vec::with_capacity(values.rows.len());
    for row in &values.rows {
        if row.content.len() > targets.len() {
            return Err(SqlError::new(
                "42601",
                "INSERT has more expressions than target columns",
            ));
        }
        if row.content.len() < targets.len() {
            return Err(SqlError::new(
                "42601",
                "INSERT has more target columns than expressions",
            ));
        }
        let mut full = vec![Expr::Const(Value::Null); table.columns.len()];
        for (&i, e) in targets.iter().zip(&row.content) {
            full[i] = bind_expr(txn, &empty, e)?;
        }
        rows.push(full);
    }
    Ok(Plan::Insert { table, rows })
}

/// The columns a query can name: the table's, then the hidden ones.
struct Scope {
    qualifier: Option<String>,
    names: Vec<String>,
    types: Vec<DataType>,
    hidden_used: std::cell::Cell<bool>,
}

impl Scope {
    fn empty() -> Self {
        Scope {
            qualifier: None,
            names: Vec::new(),
            types: Vec::new(),
            hidden_used: std::cell::Cell::new(false),
        }
    }

    fn of(def: &TableDef, alias: Option<String>) -> Self {
        let mut names: Vec<String> = def.columns.iter().map(|c| c.name.clone()).collect();
        let mut types: Vec<DataType> = def.columns.iter().map(|c| c.data_type).collect();
        names.extend(HIDDEN_COLUMNS.iter().map(|s| s.to_string()));
        types.extend([
            DataType::Int8,
            DataType::Int8,
            DataType::Timestamptz,
            DataType::Timestamptz,
        ]);
        Scope {
            qualifier: Some(alias.unwrap_or_else(|| def.name.clone())),
            names,
            types,
            hidden_used: std::cell::Cell::new(false),
        }
    }

    fn column(&self, qualifier: Option<&str>, name: &str) -> Result<Expr> {
        if let (Some(q), Some(mine)) = (qualifier, &self.qualifier)
            && q != mine
        {
            return Err(SqlError::new(
                "42P01",
                format!("missing FROM-clause entry for table \"{q}\""),
            ));
        }
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| undefined_column(name))?;
        if i + HIDDEN_COLUMNS.len() >= self.names.len() {
            self.hidden_used.set(true);
        }
        Ok(Expr::Column(i))
    }
}

fn bind_expr(txn: &Transaction<'_>, scope: &Scope, e: &ast::Expr) -> Result<Expr> {
    use ast::Expr as E;
    let bin = |l: &ast::Expr, r: &ast::Expr| -> Result<(Box<Expr>, Box<Expr>)> {
        Ok((
            Box::new(bind_expr(txn, scope, l)?),
            Box::new(bind_expr(txn, scope, r)?),
        ))
    };
    Ok(match e {
        E::Identifier(i) => scope.column(None, &ident(i))?,
        E::CompoundIdentifier(parts) => match parts.as_slice() {
            [t, c] => scope.column(Some(&ident(t)), &ident(c))?,
            _ => return Err(SqlError::unsupported(format!("qualified name {e}"))),
        },
        E::Value(v) => literal(&v.value)?,
        E::Nested(inner) => bind_expr(txn, scope, inner)?,
        E::IsNull(inner) => Expr::IsNull(Box::new(bind_expr(txn, scope, inner)?), false),
        E::IsNotNull(inner) => Expr::IsNull(Box::new(bind_expr(txn, scope, inner)?), true),
        E::UnaryOp { op, expr } => {
            let inner = Box::new(bind_expr(txn, scope, expr)?);
            match op {
                UnaryOperator::Not => Expr::Not(inner),
                UnaryOperator::Minus => Expr::Neg(inner),
                UnaryOperator::Plus => *inner,
                other => return Err(SqlError::unsupported(format!("operator {other}"))),
            }
        }
        E::BinaryOp { left, op, right } => {
            let op = match op {
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
            };
            let (l, r) = bin(left, right)?;
            Expr::Binary(op, l, r)
        }
        E::Cast {
            expr, data_type: t, ..
        } => Expr::Cast(Box::new(bind_expr(txn, scope, expr)?), data_type(t)?),
        E::Function(f) if f.name.to_string().eq_ignore_ascii_case("drift_seq") => {
            if !matches!(&f.args, ast::FunctionArguments::List(l) if l.args.is_empty()) {
                return Err(SqlError::new(
                    "42883",
                    "function drift_seq takes no arguments",
                ));
            }
            Expr::Const(Value::Int8(
                i64::try_from(txn.snapshot_seq()).unwrap_or(i64::MAX),
            ))
        }
        E::Function(f) if f.name.to_string().eq_ignore_ascii_case("drift_seq_at") => {
            let arg = match &f.args {
                ast::FunctionArguments::List(l) => match l.args.as_slice() {
                    [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e))] => e,
                    _ => {
                        return Err(SqlError::new(
                            "42883",
                            "function drift_seq_at takes one timestamp",
                        ));
                    }
                },
                _ => {
                    return Err(SqlError::new(
                        "42883",
                        "function drift_seq_at takes one timestamp",
                    ));
                }
            };
            let seq = resolve_point(txn, &Point::Time(arg.clone()))?.le;
            Expr::Const(Value::Int8(i64::try_from(seq).unwrap_or(i64::MAX)))
        }
        E::Function(f) => {
            return Err(SqlError::new(
                "42883",
                format!("function {}() does not exist", f.name),
            ));
        }
        other => return Err(SqlError::unsupported(format!("expression {other}"))),
    })
}

fn literal(v: &ast::Value) -> Result<Expr> {
    Ok(match v {
        ast::Value::Number(n, _) => {
            if let Ok(i) = n.parse::<i32>() {
                Expr::Const(Value::Int4(i))
            } else if let Ok(i) = n.parse::<i64>() {
                Expr::Const(Value::Int8(i))
            } else {
                // NUMERIC is not there yet: decimal literals are DOUBLE PRECISION.
                Expr::Const(parse_text(n, DataType::Float8)?)
            }
        }
        ast::Value::SingleQuotedString(s) => Expr::Unknown(s.clone()),
        ast::Value::Boolean(b) => Expr::Const(Value::Bool(*b)),
        ast::Value::Null => Expr::Const(Value::Null),
        other => return Err(SqlError::unsupported(format!("literal {other}"))),
    })
}

/// A constant expression's value (LIMIT, OFFSET, time-travel points).
fn constant(txn: &Transaction<'_>, e: &ast::Expr, what: &str) -> Result<Value> {
    let bound = bind_expr(txn, &Scope::empty(), e)?;
    if !bound.is_constant() {
        return Err(SqlError::new("42601", format!("{what} must be a constant")));
    }
    bound.eval(&[])
}

/// The point `SET drift.as_of` names: `'@SEQ:N'`, `@SEQ:N` or a timestamp.
fn setting_point(txn: &Transaction<'_>, value: &ast::Expr) -> Result<PointIn> {
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
    let r = resolve_point(txn, &crate::parser::point_of(value))?;
    Ok(PointIn::Seq(r.le))
}

fn bind_query(txn: &Transaction<'_>, q: &ast::Query, settings: &Settings) -> Result<Query> {
    if q.with.is_some() || q.fetch.is_some() || !q.locks.is_empty() {
        return Err(SqlError::unsupported("WITH, FETCH or locking clauses"));
    }
    let SetExpr::Select(select) = q.body.as_ref() else {
        return Err(SqlError::unsupported("set operations and VALUES queries"));
    };
    if select.distinct.is_some()
        || select.having.is_some()
        || !matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty())
    {
        return Err(SqlError::unsupported("DISTINCT, GROUP BY and HAVING"));
    }
    let (source, scope) = match select.from.as_slice() {
        [] => (Source::Nothing, Scope::empty()),
        [from] if from.joins.is_empty() => bind_source(txn, &from.relation, settings)?,
        _ => return Err(SqlError::unsupported("joins")),
    };
    let mut projection = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::Wildcard(_) => {
                let visible = scope.names.len().saturating_sub(HIDDEN_COLUMNS.len());
                for i in 0..visible {
                    projection.push((
                        scope.names[i].clone(),
                        Some(scope.types[i]),
                        Expr::Column(i),
                    ));
                }
            }
            SelectItem::UnnamedExpr(e) => {
                let bound = bind_expr(txn, &scope, e)?;
                let name = match e {
                    ast::Expr::Identifier(i) => ident(i),
                    ast::Expr::CompoundIdentifier(p) => p.last().map(ident).unwrap_or_default(),
                    ast::Expr::Function(f) => f.name.to_string().to_lowercase(),
                    _ => "?column?".into(),
                };
                projection.push((name, type_of(&bound, &scope), bound));
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                let bound = bind_expr(txn, &scope, expr)?;
                projection.push((ident(alias), type_of(&bound, &scope), bound));
            }
            other => return Err(SqlError::unsupported(format!("select item {other}"))),
        }
    }
    let filter = select
        .selection
        .as_ref()
        .map(|e| bind_expr(txn, &scope, e))
        .transpose()?;
    let mut order_by = Vec::new();
    if let Some(ob) = &q.order_by {
        let OrderByKind::Expressions(items) = &ob.kind else {
            return Err(SqlError::unsupported("ORDER BY ALL"));
        };
        for item in items {
            let asc = !matches!(item.options.sort, Some(OrderBySort::Desc));
            let nulls_first = item.options.nulls_first.unwrap_or(!asc);
            let expr = match &item.expr {
                // ORDER BY 2: the second output column.
                ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                    let n = match literal(&v.value)? {
                        Expr::Const(Value::Int4(n)) if n >= 1 => n as usize,
                        _ => 0,
                    };
                    projection
                        .get(n.wrapping_sub(1))
                        .map(|p| p.2.clone())
                        .ok_or_else(|| {
                            SqlError::new(
                                "42P10",
                                format!("ORDER BY position {v} is not in select list"),
                            )
                        })?
                }
                // ORDER BY an output column's name.
                ast::Expr::Identifier(i) if projection.iter().any(|p| p.0 == ident(i)) => {
                    projection
                        .iter()
                        .find(|p| p.0 == ident(i))
                        .map(|p| p.2.clone())
                        .unwrap_or(Expr::Const(Value::Null))
                }
                other => bind_expr(txn, &scope, other)?,
            };
            order_by.push((expr, asc, nulls_first));
        }
    }
    let (limit, offset) = match &q.limit_clause {
        None => (None, 0),
        Some(LimitClause::LimitOffset {
            limit,
            offset,
            limit_by,
        }) if limit_by.is_empty() => {
            let count = |e: &ast::Expr, what: &str| -> Result<Option<u64>> {
                match constant(txn, e, what)? {
                    Value::Null => Ok(None),
                    Value::Int4(n) if n >= 0 => Ok(Some(n as u64)),
                    Value::Int8(n) if n >= 0 => Ok(Some(n as u64)),
                    _ => Err(SqlError::new(
                        "2201W",
                        format!("{what} must not be negative"),
                    )),
                }
            };
            let limit = limit
                .as_ref()
                .map(|e| count(e, "LIMIT"))
                .transpose()?
                .flatten();
            let offset = offset
                .as_ref()
                .map(|o| count(&o.value, "OFFSET"))
                .transpose()?
                .flatten();
            (limit, offset.unwrap_or(0))
        }
        Some(_) => return Err(SqlError::unsupported("this LIMIT form")),
    };
    let source = match source {
        // Hidden columns in the present: read the committed versions as of
        // the transaction's snapshot.
        Source::Table {
            def,
            versions: None,
        } if scope.hidden_used.get() => {
            let seq = txn.snapshot_seq();
            Source::Table {
                def,
                versions: Some(VersionFilter::AsOf(Resolved {
                    le: seq,
                    lt: seq.saturating_sub(1),
                })),
            }
        }
        other => other,
    };
    Ok(Query {
        source,
        filter,
        projection,
        order_by,
        limit,
        offset,
    })
}

fn type_of(e: &Expr, scope: &Scope) -> Option<DataType> {
    match e {
        Expr::Column(i) => scope.types.get(*i).copied(),
        Expr::Cast(_, t) => Some(*t),
        Expr::Unknown(_) => Some(DataType::Text),
        Expr::IsNull(..) | Expr::Not(_) => Some(DataType::Bool),
        Expr::Binary(
            BinOp::Eq
            | BinOp::NotEq
            | BinOp::Lt
            | BinOp::LtEq
            | BinOp::Gt
            | BinOp::GtEq
            | BinOp::And
            | BinOp::Or,
            ..,
        ) => Some(DataType::Bool),
        Expr::Binary(BinOp::Concat, ..) => Some(DataType::Text),
        Expr::Binary(_, l, r) => {
            // Arithmetic: the wider of two numeric types.
            let rank = |t: Option<DataType>| match t {
                Some(DataType::Int2) => Some(1),
                Some(DataType::Int4) => Some(2),
                Some(DataType::Int8) => Some(3),
                Some(DataType::Float4) => Some(4),
                Some(DataType::Float8) => Some(5),
                _ => None,
            };
            let (a, b) = (type_of(l, scope), type_of(r, scope));
            match (rank(a), rank(b)) {
                (Some(x), Some(y)) => {
                    if x >= y {
                        a
                    } else {
                        b
                    }
                }
                _ => None,
            }
        }
        Expr::Neg(e) => type_of(e, scope),
        Expr::Const(v) => v.data_type(),
    }
}

/// A time-travel point resolved to seqs against the commit history.
fn resolve_point(txn: &Transaction<'_>, p: &Point) -> Result<Resolved> {
    let point = match p {
        Point::Seq(e) => match constant(txn, e, "a time-travel seq")? {
            Value::Int4(n) if n >= 0 => PointIn::Seq(n as u64),
            Value::Int8(n) if n >= 0 => PointIn::Seq(n as u64),
            _ => {
                return Err(SqlError::new(
                    "22023",
                    "a time-travel seq must be a non-negative integer",
                ));
            }
        },
        Point::Time(e) => match constant(txn, e, "a time-travel point")? {
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
    Ok(history::resolve(txn.snapshot(), point)?)
}

/// A table reference: its definition at the point it names, and the versions
/// it reads.
fn bind_source(
    txn: &Transaction<'_>,
    factor: &TableFactor,
    settings: &Settings,
) -> Result<(Source, Scope)> {
    let TableFactor::Table {
        name,
        alias,
        version,
        args: None,
        ..
    } = factor
    else {
        return Err(SqlError::unsupported("this kind of FROM item"));
    };
    let (schema, tname) = split_name(name)?;
    let alias = alias.as_ref().map(|a| ident(&a.name));
    let resolve = |p: &Point| resolve_point(txn, p);
    let (versions, def_at) = match version.as_ref().map(system_time).transpose()? {
        None => match settings.as_of {
            None => (None, None),
            Some(p) => {
                let r = history::resolve(txn.snapshot(), p)?;
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
    let def = match (def_at, &versions) {
        (Some(seq), _) if seq < txn.snapshot_seq() => {
            catalog::get_table(txn, &schema, &tname, Some(seq))?
        }
        (None, Some(_)) => catalog::latest_table(txn, &schema, &tname)?,
        _ => catalog::get_table(txn, &schema, &tname, None)?,
    }
    .ok_or_else(|| undefined_table(&tname))?;
    let scope = Scope::of(&def, alias);
    Ok((Source::Table { def, versions }, scope))
}
