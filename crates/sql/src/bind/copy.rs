//! Binding `COPY … FROM STDIN` (rows to insert, read from the client) and
//! `COPY … TO STDOUT` (a table's or a query's rows, written to it).

use std::cell::Cell;

use sqlparser::ast::{CopyLegacyOption, CopyOption, CopySource, CopyTarget};

use super::dml::target_columns;
use super::{Binder, ident, split_name};
use crate::copy::CopyFormat;
use crate::error::{Result, SqlError};
use crate::plan::{CopyIn, CopyOut, Plan};

impl Binder<'_, '_> {
    pub(super) fn copy(
        &self,
        source: &CopySource,
        to: bool,
        target: &CopyTarget,
        options: &[CopyOption],
        legacy: &[CopyLegacyOption],
    ) -> Result<Plan> {
        let format = CopyFormat::from_options(options, legacy)?;
        match (to, target) {
            (false, CopyTarget::Stdin) => {
                let CopySource::Table {
                    table_name,
                    columns,
                } = source
                else {
                    return Err(SqlError::new("42601", "COPY FROM needs a table"));
                };
                let (schema, name) = split_name(table_name)?;
                let table = super::writable_table(self.txn, &schema, &name)?;
                let names: Vec<String> = columns.iter().map(ident).collect();
                Ok(Plan::CopyIn(CopyIn {
                    targets: target_columns(&table, &names)?,
                    defaults: self.defaults(&table)?,
                    checks: self.checks(&table)?,
                    table,
                    format,
                }))
            }
            (true, CopyTarget::Stdout) => {
                let query = match source {
                    CopySource::Query(q) => (**q).clone(),
                    CopySource::Table {
                        table_name,
                        columns,
                    } => {
                        // `COPY t (a, b) TO STDOUT` is `SELECT a, b FROM t`.
                        let list = if columns.is_empty() {
                            "*".to_string()
                        } else {
                            columns
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        crate::parser::parse_query(&format!("SELECT {list} FROM {table_name}"))?
                    }
                };
                Ok(Plan::CopyOut(CopyOut {
                    query: self.query(&query, None, &Cell::new(false))?,
                    format,
                }))
            }
            _ => Err(SqlError::new(
                "0A000",
                "COPY with a file or program is not supported: use COPY … FROM STDIN / TO STDOUT (psql's \\copy)",
            )),
        }
    }
}
