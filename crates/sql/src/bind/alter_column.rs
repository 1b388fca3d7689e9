//! Binding `ALTER TABLE … ALTER COLUMN`: defaults, `NOT NULL` and the
//! column's type.

use sqlparser::ast::{self, AlterColumnOperation};

use driftdb_engine::catalog::TableDef;
use driftdb_engine::value::DataType;

use super::dml::table_scope;
use super::{Binder, data_type, ident};
use crate::error::{Result, SqlError};
use crate::expr::Expr;
use crate::plan::{AlterOp, ColumnChange};

impl Binder<'_, '_> {
    /// `ALTER [COLUMN] column op` of `table`.
    pub(super) fn alter_column(
        &self,
        table: &TableDef,
        column: &ast::Ident,
        op: &AlterColumnOperation,
    ) -> Result<AlterOp> {
        let column = ident(column);
        let p = table.position_of(&column).ok_or_else(|| {
            SqlError::new(
                "42703",
                format!(
                    "column \"{column}\" of relation \"{}\" does not exist",
                    table.name
                ),
            )
        })?;
        let change = match op {
            AlterColumnOperation::SetDefault { value } => {
                ColumnChange::SetDefault(self.default_text(value)?)
            }
            AlterColumnOperation::DropDefault => ColumnChange::DropDefault,
            AlterColumnOperation::SetNotNull => ColumnChange::SetNotNull,
            AlterColumnOperation::DropNotNull => ColumnChange::DropNotNull,
            AlterColumnOperation::SetDataType {
                data_type: t,
                using,
                ..
            } => {
                let target = data_type(t)?;
                let old = table.columns[p].data_type;
                let using = match using {
                    Some(e) => {
                        let scope = table_scope(table, None);
                        self.condition(e, &scope, "transform expressions")?
                    }
                    None if is_text(old) && !is_text(target) => {
                        return Err(SqlError::new(
                            "42804",
                            format!(
                                "column \"{column}\" cannot be cast automatically to type {}",
                                crate::system::types::format_type(
                                    crate::system::types::type_oid(target),
                                    crate::system::types::type_modifier(target)
                                )
                            ),
                        ));
                    }
                    None => Expr::Column(p),
                };
                ColumnChange::SetType {
                    data_type: target,
                    using,
                }
            }
            other => return Err(SqlError::unsupported(format!("ALTER COLUMN … {other}"))),
        };
        Ok(AlterOp::AlterColumn { column, change })
    }
}

/// Whether values of `t` are text, which PostgreSQL does not convert to
/// other types without `USING`.
fn is_text(t: DataType) -> bool {
    matches!(t, DataType::Text | DataType::Varchar(_) | DataType::Char(_))
}
