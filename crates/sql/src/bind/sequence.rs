//! Binding `CREATE SEQUENCE` and the options of sequences, which identity
//! columns take too; `SERIAL` types.

use sqlparser::ast::{self, ObjectName, ObjectNamePart, SequenceOptions as AstOptions};

use driftdb_engine::sequence::{SequenceDef, SequenceOptions};
use driftdb_engine::value::{DataType, Value};

use super::{Binder, data_type, split_name};
use crate::error::{Result, SqlError};
use crate::plan::Plan;

impl Binder<'_, '_> {
    /// `CREATE SEQUENCE [IF NOT EXISTS] name options`.
    pub(super) fn create_sequence(
        &self,
        temporary: bool,
        if_not_exists: bool,
        name: &ObjectName,
        options: &[AstOptions],
    ) -> Result<Plan> {
        if temporary {
            return Err(SqlError::unsupported("temporary sequences"));
        }
        let (schema, name) = split_name(name)?;
        let options = self.sequence_options(options)?;
        Ok(Plan::CreateSequence {
            sequence: SequenceDef::new(&schema, &name, &options, None)?,
            if_not_exists,
        })
    }

    /// Sequence options as written (`INCREMENT BY 2 START WITH 10 …`).
    pub(super) fn sequence_options(&self, options: &[AstOptions]) -> Result<SequenceOptions> {
        let mut out = SequenceOptions::default();
        for o in options {
            match o {
                AstOptions::DataType(t) => out.data_type = Some(data_type(t)?),
                AstOptions::IncrementBy(e, _) => out.increment = Some(self.bigint(e)?),
                AstOptions::MinValue(e) => {
                    out.min = e.as_ref().map(|e| self.bigint(e)).transpose()?;
                }
                AstOptions::MaxValue(e) => {
                    out.max = e.as_ref().map(|e| self.bigint(e)).transpose()?;
                }
                AstOptions::StartWith(e, _) => out.start = Some(self.bigint(e)?),
                AstOptions::Cache(e) => {
                    if self.bigint(e)? < 1 {
                        return Err(SqlError::new("22023", "CACHE must be positive"));
                    }
                }
                AstOptions::Cycle(no) => out.cycle = !no,
                AstOptions::OwnedBy(_) => {
                    return Err(SqlError::unsupported("CREATE SEQUENCE … OWNED BY"));
                }
            }
        }
        Ok(out)
    }

    fn bigint(&self, e: &ast::Expr) -> Result<i64> {
        match self.constant(e, "a sequence option")? {
            Value::Int2(n) => Ok(i64::from(n)),
            Value::Int4(n) => Ok(i64::from(n)),
            Value::Int8(n) => Ok(n),
            _ => Err(SqlError::new(
                "22023",
                "a sequence option must be an integer",
            )),
        }
    }
}

/// The integer type a `SERIAL` type name stands for, if it is one.
pub(super) fn serial_type(t: &ast::DataType) -> Option<DataType> {
    let ast::DataType::Custom(name, modifiers) = t else {
        return None;
    };
    let [ObjectNamePart::Identifier(i)] = name.0.as_slice() else {
        return None;
    };
    if !modifiers.is_empty() {
        return None;
    }
    match i.value.to_lowercase().as_str() {
        "smallserial" | "serial2" => Some(DataType::Int2),
        "serial" | "serial4" => Some(DataType::Int4),
        "bigserial" | "serial8" => Some(DataType::Int8),
        _ => None,
    }
}
