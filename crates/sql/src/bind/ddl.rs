//! Binding schema statements.

use sqlparser::ast::{self, ColumnOption, TableConstraint};

use driftdb_engine::catalog::NewColumn;

use super::{data_type, ident, split_name};
use crate::error::{Result, SqlError};
use crate::plan::Plan;

/// `CREATE TABLE`.
pub(super) fn create_table(ct: &ast::CreateTable) -> Result<Plan> {
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
