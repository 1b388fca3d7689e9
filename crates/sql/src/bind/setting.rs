//! `current_setting(name [, missing_ok])`: a session parameter's value
//! (what `SHOW name` prints), which ORMs' catalog queries read. It is taken
//! when the statement binds, since a statement cannot change it while it
//! runs.

use sqlparser::ast;

use driftdb_engine::value::{DataType, Value};

use super::Binder;
use super::expr::no_function;
use super::scope::Level;
use crate::error::{Result, SqlError};
use crate::expr::Expr;

impl Binder<'_, '_> {
    /// `current_setting(name)`, or with `missing_ok` true NULL instead of
    /// 42704 for a parameter DriftDB does not know.
    pub(super) fn current_setting(&self, args: &[&ast::Expr], level: &Level<'_>) -> Result<Expr> {
        let (name, missing_ok) = match args {
            [name] => (
                self.constant_arg(name, DataType::Text, level)?,
                Value::Bool(false),
            ),
            [name, missing_ok] => (
                self.constant_arg(name, DataType::Text, level)?,
                self.constant_arg(missing_ok, DataType::Bool, level)?,
            ),
            _ => return Err(no_function("current_setting", args.len())),
        };
        let value = match (name, missing_ok) {
            (Value::Text(name), missing_ok) => {
                match self.settings.params.get(&name.to_lowercase()) {
                    Ok(value) => Value::Text(value),
                    Err(_) if missing_ok == Value::Bool(true) => Value::Null,
                    Err(e) => return Err(e),
                }
            }
            _ => Value::Null,
        };
        Ok(Expr::Cast(Box::new(Expr::Const(value)), DataType::Text))
    }

    /// The value of argument `e` as type `t`, which must not read a row.
    fn constant_arg(&self, e: &ast::Expr, t: DataType, level: &Level<'_>) -> Result<Value> {
        let bound = Expr::Cast(Box::new(self.expr(e, level)?), t);
        if !bound.is_constant() {
            return Err(SqlError::unsupported(format!(
                "current_setting of a value read from a row: {e}"
            )));
        }
        self.fold(&bound)
    }
}
