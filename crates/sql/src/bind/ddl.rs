//! Binding schema statements: tables with their constraints, `ALTER TABLE`,
//! indexes, views, schemas and `TRUNCATE`.

use std::cell::Cell;

use sqlparser::ast::{self, AlterTableOperation, ColumnOption, ReferentialAction, TableConstraint};

use driftdb_engine::catalog::{self, FkAction, Identity, NewColumn, TableDef, ViewDef};
use driftdb_engine::sequence::SequenceOptions;
use driftdb_engine::value::DataType;

use super::scope::Scope;
use super::{Binder, Column, data_type, ident, last_part, split_name, undefined_table};
use crate::error::{Result, SqlError};
use crate::expr::Expr;
use crate::plan::{AlterOp, GeneratedColumn, NewCheck, NewForeignKey, NewTable, Plan};

impl Binder<'_, '_> {
    /// `CREATE TABLE`.
    pub(super) fn create_table(&self, ct: &ast::CreateTable) -> Result<Plan> {
        if let Some(query) = &ct.query {
            return self.create_table_as(ct, query);
        }
        let (schema, name) = split_name(&ct.name)?;
        let mut generated = Vec::new();
        let mut primary_key = Vec::new();
        let mut columns = Vec::with_capacity(ct.columns.len());
        let mut checks = Vec::new();
        let mut uniques = Vec::new();
        let mut foreign_keys = Vec::new();
        for c in &ct.columns {
            let col = ident(&c.name);
            let serial = super::sequence::serial_type(&c.data_type);
            let t = match serial {
                Some(t) => t,
                None => data_type(&c.data_type)?,
            };
            let mut nullable = serial.is_none();
            let mut default = None;
            let mut identity = None;
            if let Some(t) = serial {
                generated.push(GeneratedColumn {
                    column: columns.len(),
                    options: SequenceOptions {
                        data_type: Some(t),
                        ..SequenceOptions::default()
                    },
                });
            }
            for opt in &c.options {
                let cname = opt.name.as_ref().map(ident);
                match &opt.option {
                    ColumnOption::Null => {}
                    ColumnOption::NotNull => nullable = false,
                    ColumnOption::Default(_) | ColumnOption::Generated { .. }
                        if serial.is_some() || identity.is_some() || default.is_some() =>
                    {
                        return Err(SqlError::new(
                            "42601",
                            format!(
                                "multiple default values specified for column \"{col}\" of table \"{name}\""
                            ),
                        ));
                    }
                    ColumnOption::Default(e) => default = Some(self.default_text(e)?),
                    ColumnOption::Generated {
                        generated_as,
                        sequence_options,
                        generation_expr: None,
                        ..
                    } => {
                        identity = Some(match generated_as {
                            ast::GeneratedAs::Always => Identity::Always,
                            ast::GeneratedAs::ByDefault => Identity::ByDefault,
                            ast::GeneratedAs::ExpStored => {
                                return Err(SqlError::unsupported("generated columns"));
                            }
                        });
                        if !matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8) {
                            return Err(SqlError::new(
                                "22023",
                                "identity column type must be smallint, integer, or bigint",
                            ));
                        }
                        let mut options =
                            self.sequence_options(sequence_options.as_deref().unwrap_or_default())?;
                        options.data_type = Some(t);
                        nullable = false;
                        generated.push(GeneratedColumn {
                            column: columns.len(),
                            options,
                        });
                    }
                    ColumnOption::PrimaryKey(_) => primary_key.push(col.clone()),
                    ColumnOption::Unique(_) => uniques.push((cname, vec![col.clone()])),
                    ColumnOption::Check(ch) => checks.push(NewCheck {
                        name: cname.or_else(|| ch.name.as_ref().map(ident)),
                        column: Some(col.clone()),
                        expr: ch.expr.to_string(),
                    }),
                    ColumnOption::ForeignKey(fk) => {
                        let mut f = foreign_key(fk)?;
                        f.name = f.name.or(cname);
                        f.columns = vec![col.clone()];
                        foreign_keys.push(f);
                    }
                    other => return Err(SqlError::unsupported(format!("column option {other}"))),
                }
            }
            columns.push(NewColumn {
                name: col,
                data_type: t,
                nullable,
                default,
                identity,
            });
        }
        for constraint in &ct.constraints {
            match constraint {
                TableConstraint::PrimaryKey(pk) if primary_key.is_empty() => {
                    primary_key = index_columns(&pk.columns)?;
                }
                TableConstraint::PrimaryKey(_) => {
                    return Err(SqlError::new(
                        "42P16",
                        format!("multiple primary keys for table \"{name}\" are not allowed"),
                    ));
                }
                TableConstraint::Unique(u) => {
                    uniques.push((u.name.as_ref().map(ident), index_columns(&u.columns)?));
                }
                TableConstraint::Check(ch) => checks.push(NewCheck {
                    name: ch.name.as_ref().map(ident),
                    column: None,
                    expr: ch.expr.to_string(),
                }),
                TableConstraint::ForeignKey(fk) => foreign_keys.push(foreign_key(fk)?),
                other => return Err(SqlError::unsupported(format!("table constraint {other}"))),
            }
        }
        // CHECK expressions must bind over the new table's columns.
        let scope = Scope::table(
            &name,
            &columns
                .iter()
                .map(|c| (c.name.clone(), Some(c.data_type)))
                .collect::<Vec<Column>>(),
            &super::hidden_columns(),
            None,
        );
        for ch in &checks {
            self.check_expr(&ch.expr, &scope)?;
        }
        Ok(Plan::CreateTable(NewTable {
            schema,
            name,
            columns,
            primary_key,
            if_not_exists: ct.if_not_exists,
            checks,
            uniques,
            foreign_keys,
            generated,
        }))
    }

    /// `CREATE TABLE name [(columns)] AS query [WITH [NO] DATA]`: the
    /// table's columns are the query's (a column of unknown type is text).
    fn create_table_as(&self, ct: &ast::CreateTable, query: &ast::Query) -> Result<Plan> {
        let untyped = |t: &ast::DataType| matches!(t, ast::DataType::Custom(n, _) if n.to_string() == crate::parser::UNTYPED);
        if !ct.constraints.is_empty()
            || ct
                .columns
                .iter()
                .any(|c| !c.options.is_empty() || !untyped(&c.data_type))
        {
            return Err(SqlError::new(
                "42601",
                "CREATE TABLE … AS takes column names only",
            ));
        }
        let (schema, name) = split_name(&ct.name)?;
        let bound = self.query(query, None, &Cell::new(false))?;
        if ct.columns.len() > bound.columns.len() {
            return Err(SqlError::new(
                "42601",
                "too many column names were specified",
            ));
        }
        let columns = bound
            .columns
            .iter()
            .enumerate()
            .map(|(i, (n, t))| NewColumn {
                name: ct
                    .columns
                    .get(i)
                    .map_or_else(|| n.clone(), |c| ident(&c.name)),
                data_type: t.unwrap_or(DataType::Text),
                nullable: true,
                default: None,
                identity: None,
            })
            .collect();
        Ok(Plan::CreateTableAs {
            table: NewTable {
                schema,
                name,
                columns,
                primary_key: Vec::new(),
                if_not_exists: ct.if_not_exists,
                checks: Vec::new(),
                uniques: Vec::new(),
                foreign_keys: Vec::new(),
                generated: Vec::new(),
            },
            query: ct
                .with_data
                .as_ref()
                .is_none_or(|w| w.data)
                .then_some(bound.rel),
        })
    }

    /// A `DEFAULT` expression checked now and kept as SQL text.
    pub(super) fn default_text(&self, e: &ast::Expr) -> Result<String> {
        let empty = Scope::default();
        let bound = self.expr_in(e, &empty).map_err(|err| {
            if err.sqlstate == "42703" {
                SqlError::new("0A000", "cannot use column reference in DEFAULT expression")
            } else {
                err
            }
        })?;
        if matches!(bound, Expr::Subquery(_)) || super::expr::contains_agg(&bound) {
            return Err(SqlError::new(
                "0A000",
                "cannot use a subquery or aggregate in DEFAULT expression",
            ));
        }
        Ok(e.to_string())
    }

    /// A `CHECK` condition bound over the table's scope.
    pub(crate) fn check_expr(&self, sql: &str, scope: &Scope) -> Result<Expr> {
        let e = crate::parser::parse_expr(sql)?;
        let bound = self.expr_in(&e, scope)?;
        if super::expr::contains_agg(&bound) {
            return Err(SqlError::new(
                "42803",
                "aggregate functions are not allowed in check constraints",
            ));
        }
        Ok(bound)
    }

    /// `ALTER TABLE`.
    pub(super) fn alter_table(&self, at: &ast::AlterTable) -> Result<Plan> {
        let (schema, name) = split_name(&at.name)?;
        let Some(table) = catalog::get_table(self.txn, &schema, &name, None)? else {
            if at.if_exists {
                return Ok(Plan::Nothing("ALTER TABLE".into()));
            }
            return Err(undefined_table(&name));
        };
        let [op] = at.operations.as_slice() else {
            return Err(SqlError::unsupported("several ALTER TABLE actions at once"));
        };
        let op = match op {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => {
                if super::sequence::serial_type(&column_def.data_type).is_some() {
                    return Err(SqlError::unsupported("ADD COLUMN of a SERIAL type"));
                }
                let mut nullable = true;
                let mut default = None;
                for opt in &column_def.options {
                    match &opt.option {
                        ColumnOption::Null => {}
                        ColumnOption::NotNull => nullable = false,
                        ColumnOption::Default(e) => default = Some(self.default_text(e)?),
                        other => {
                            return Err(SqlError::unsupported(format!("ADD COLUMN with {other}")));
                        }
                    }
                }
                let fill = match &default {
                    Some(sql) => {
                        let empty = Scope::default();
                        self.expr_in(&crate::parser::parse_expr(sql)?, &empty)?
                    }
                    None => Expr::Const(driftdb_engine::value::Value::Null),
                };
                AlterOp::AddColumn {
                    column: NewColumn {
                        name: ident(&column_def.name),
                        data_type: data_type(&column_def.data_type)?,
                        nullable,
                        default,
                        identity: None,
                    },
                    if_not_exists: *if_not_exists,
                    fill,
                }
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                ..
            } => {
                let [col] = column_names.as_slice() else {
                    return Err(SqlError::unsupported("DROP COLUMN of several columns"));
                };
                AlterOp::DropColumn {
                    name: ident(col),
                    if_exists: *if_exists,
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => AlterOp::RenameColumn {
                from: ident(old_column_name),
                to: ident(new_column_name),
            },
            AlterTableOperation::RenameTable { table_name } => {
                let (ast::RenameTableNameKind::As(n) | ast::RenameTableNameKind::To(n)) =
                    table_name;
                AlterOp::RenameTable(last_part(n)?)
            }
            AlterTableOperation::AddConstraint { constraint, .. } => match constraint {
                TableConstraint::Unique(u) => AlterOp::AddUnique {
                    name: u.name.as_ref().map(ident),
                    columns: index_columns(&u.columns)?,
                },
                TableConstraint::Check(ch) => {
                    let scope = super::dml::table_scope(&table, None);
                    let bound = self.check_expr(&ch.expr.to_string(), &scope)?;
                    AlterOp::AddCheck(
                        NewCheck {
                            name: ch.name.as_ref().map(ident),
                            column: None,
                            expr: ch.expr.to_string(),
                        },
                        bound,
                    )
                }
                TableConstraint::ForeignKey(fk) => AlterOp::AddForeignKey(foreign_key(fk)?),
                TableConstraint::PrimaryKey(pk) => {
                    AlterOp::AddPrimaryKey(index_columns(&pk.columns)?)
                }
                other => return Err(SqlError::unsupported(format!("ADD {other}"))),
            },
            AlterTableOperation::AlterColumn { column_name, op } => {
                self.alter_column(&table, column_name, op)?
            }
            AlterTableOperation::DropConstraint {
                if_exists,
                name,
                drop_behavior,
            } => {
                if matches!(drop_behavior, Some(ast::DropBehavior::Cascade)) {
                    return Err(SqlError::unsupported("DROP CONSTRAINT … CASCADE"));
                }
                AlterOp::DropConstraint {
                    name: ident(name),
                    if_exists: *if_exists,
                }
            }
            other => return Err(SqlError::unsupported(format!("ALTER TABLE {other}"))),
        };
        Ok(Plan::AlterTable { table, op })
    }

    /// `CREATE [UNIQUE] INDEX`.
    pub(super) fn create_index(&self, ci: &ast::CreateIndex) -> Result<Plan> {
        if ci.predicate.is_some() || !ci.include.is_empty() {
            return Err(SqlError::unsupported("partial and covering indexes"));
        }
        let (schema, tname) = split_name(&ci.table_name)?;
        let table = catalog::get_table(self.txn, &schema, &tname, None)?
            .ok_or_else(|| undefined_table(&tname))?;
        let columns = index_columns(&ci.columns)?;
        let name = match &ci.name {
            Some(n) => last_part(n)?,
            None => format!("{tname}_{}_idx", columns.join("_")),
        };
        Ok(Plan::CreateIndex {
            table,
            name,
            columns,
            unique: ci.unique,
            if_not_exists: ci.if_not_exists,
        })
    }

    /// `CREATE [OR REPLACE] VIEW`.
    pub(super) fn create_view(&self, cv: &ast::CreateView) -> Result<Plan> {
        if cv.materialized {
            return Err(SqlError::unsupported("materialized views"));
        }
        let (schema, name) = split_name(&cv.name)?;
        let sql = cv.query.to_string();
        // The stored text must read back as the same query, and bind now.
        let reparsed = crate::parser::parse_query(&sql)
            .map_err(|_| SqlError::unsupported("this view's query (it does not read back)"))?;
        let mut bound = self.query(&reparsed, None, &Cell::new(false))?;
        let mut depends_on = Vec::new();
        bound.rel.scans_mut(&mut |scan| {
            let name = format!("{}.{}", scan.def.schema, scan.def.name);
            if !depends_on.contains(&name) {
                depends_on.push(name);
            }
        });
        let columns: Vec<String> = cv.columns.iter().map(|c| ident(&c.name)).collect();
        if columns.len() > bound.columns.len() {
            return Err(SqlError::new(
                "42601",
                "CREATE VIEW specifies more column names than columns",
            ));
        }
        if catalog::get_view(self.txn, &schema, &name, None)?.is_some() && cv.if_not_exists {
            return Ok(Plan::Nothing("CREATE VIEW".into()));
        }
        Ok(Plan::CreateView {
            view: ViewDef {
                schema,
                name,
                sql,
                columns,
                depends_on,
            },
            or_replace: cv.or_replace,
        })
    }

    /// `DROP TABLE/INDEX/VIEW/SCHEMA`.
    pub(super) fn drop(
        &self,
        object_type: &ast::ObjectType,
        names: &[ast::ObjectName],
        if_exists: bool,
        cascade: bool,
    ) -> Result<Plan> {
        let mut plans = Vec::new();
        for n in names {
            if *object_type == ast::ObjectType::Schema {
                plans.push(Plan::DropSchema {
                    name: last_part(n)?,
                    if_exists,
                    cascade,
                });
                continue;
            }
            let (schema, name) = split_name(n)?;
            plans.push(match object_type {
                ast::ObjectType::Table => Plan::DropTable {
                    schema,
                    name,
                    if_exists,
                },
                ast::ObjectType::Index => Plan::DropIndex {
                    schema,
                    name,
                    if_exists,
                },
                ast::ObjectType::View => Plan::DropView {
                    schema,
                    name,
                    if_exists,
                },
                ast::ObjectType::Sequence if !cascade => Plan::DropSequence {
                    schema,
                    name,
                    if_exists,
                },
                other => return Err(SqlError::unsupported(format!("DROP {other}"))),
            });
        }
        Ok(match plans.len() {
            1 => plans.remove(0),
            _ => Plan::Many(plans),
        })
    }

    /// `COMMENT ON TABLE t | COLUMN t.c IS 'text' | NULL`.
    pub(super) fn comment(
        &self,
        object: ast::CommentObject,
        name: &ast::ObjectName,
        comment: Option<String>,
    ) -> Result<Plan> {
        let (table_name, column) = match object {
            ast::CommentObject::Table => (name.clone(), None),
            ast::CommentObject::Column => {
                let mut parts = name.0.clone();
                let column = match parts.pop() {
                    Some(ast::ObjectNamePart::Identifier(i)) => ident(&i),
                    _ => return Err(SqlError::new("42601", "column name must be qualified")),
                };
                if parts.is_empty() {
                    return Err(SqlError::new("42601", "column name must be qualified"));
                }
                (ast::ObjectName(parts), Some(column))
            }
            other => return Err(SqlError::unsupported(format!("COMMENT ON {other}"))),
        };
        let (schema, tname) = split_name(&table_name)?;
        let table = catalog::get_table(self.txn, &schema, &tname, None)?
            .ok_or_else(|| undefined_table(&tname))?;
        if let Some(c) = &column
            && table.position_of(c).is_none()
        {
            return Err(SqlError::new(
                "42703",
                format!("column \"{c}\" of relation \"{tname}\" does not exist"),
            ));
        }
        Ok(Plan::Comment {
            table,
            column,
            comment,
        })
    }

    /// `TRUNCATE`.
    pub(super) fn truncate(&self, t: &ast::Truncate) -> Result<Plan> {
        let mut tables: Vec<TableDef> = Vec::new();
        for target in &t.table_names {
            let (schema, name) = split_name(&target.name)?;
            tables.push(
                catalog::get_table(self.txn, &schema, &name, None)?
                    .ok_or_else(|| undefined_table(&name))?,
            );
        }
        Ok(Plan::Truncate {
            tables,
            restart_identity: matches!(t.identity, Some(ast::TruncateIdentityOption::Restart)),
        })
    }
}

/// Column names of an index or key column list.
fn index_columns(cols: &[ast::IndexColumn]) -> Result<Vec<String>> {
    cols.iter()
        .map(|c| match &c.column.expr {
            ast::Expr::Identifier(i) => Ok(ident(i)),
            other => Err(SqlError::unsupported(format!(
                "index on expression {other}"
            ))),
        })
        .collect()
}

fn action(a: Option<&ReferentialAction>) -> Result<FkAction> {
    Ok(match a {
        None | Some(ReferentialAction::NoAction | ReferentialAction::Restrict) => {
            FkAction::Restrict
        }
        Some(ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ReferentialAction::SetDefault) => {
            return Err(SqlError::unsupported("ON DELETE/UPDATE SET DEFAULT"));
        }
    })
}

fn foreign_key(fk: &ast::ForeignKeyConstraint) -> Result<NewForeignKey> {
    let (ref_schema, ref_table) = split_name(&fk.foreign_table)?;
    Ok(NewForeignKey {
        name: fk.name.as_ref().map(ident),
        columns: fk.columns.iter().map(ident).collect(),
        ref_schema,
        ref_table,
        ref_columns: fk.referred_columns.iter().map(ident).collect(),
        on_delete: action(fk.on_delete.as_ref())?,
        on_update: action(fk.on_update.as_ref())?,
    })
}
