//! Binding `EXPLAIN [ANALYZE] statement` and `EXPLAIN (option, …)`: the
//! options PostgreSQL has are taken (`COSTS`, `VERBOSE`, `TIMING`, … change
//! nothing: DriftDB prints no costs), `FORMAT TEXT` is the only format
//! (others 0A000), an unknown option is 42601.

use sqlparser::ast::{self, AnalyzeFormat, AnalyzeFormatKind, Statement};

use super::{Binder, ident};
use crate::error::{Result, SqlError};
use crate::explain::Explain;
use crate::plan::Plan;

/// What an option's argument says: `None` for no argument (on).
fn switch(name: &str, arg: Option<&ast::Expr>) -> Result<bool> {
    let Some(arg) = arg else {
        return Ok(true);
    };
    let text = match arg {
        ast::Expr::Identifier(i) => i.value.to_lowercase(),
        ast::Expr::Value(v) => v.value.to_string().trim_matches('\'').to_lowercase(),
        other => other.to_string().to_lowercase(),
    };
    match text.as_str() {
        "true" | "on" | "1" => Ok(true),
        "false" | "off" | "0" => Ok(false),
        _ => Err(SqlError::new(
            "22023",
            format!("{name} requires a Boolean value"),
        )),
    }
}

fn text_format_only(format: &str) -> Result<()> {
    if format.eq_ignore_ascii_case("text") {
        Ok(())
    } else {
        Err(SqlError::unsupported(format!(
            "EXPLAIN (FORMAT {}): only FORMAT TEXT",
            format.to_uppercase()
        )))
    }
}

impl Binder<'_, '_> {
    /// `EXPLAIN`: the statement bound, to be explained (and run, with
    /// `ANALYZE`).
    pub(super) fn explain(
        &self,
        analyze: bool,
        statement: &Statement,
        format: Option<&AnalyzeFormatKind>,
        options: Option<&[ast::UtilityOption]>,
    ) -> Result<Plan> {
        let mut analyze = analyze;
        if let Some(AnalyzeFormatKind::Keyword(f) | AnalyzeFormatKind::Assignment(f)) = format
            && *f != AnalyzeFormat::TEXT
        {
            text_format_only(&f.to_string())?;
        }
        for option in options.unwrap_or_default() {
            let name = ident(&option.name);
            match name.as_str() {
                "analyze" => analyze = switch(&name, option.arg.as_ref())?,
                "verbose" | "costs" | "settings" | "generic_plan" | "buffers" | "wal"
                | "timing" | "summary" => {
                    switch(&name, option.arg.as_ref())?;
                }
                "format" => {
                    let format = option.arg.as_ref().map_or(String::new(), |a| match a {
                        ast::Expr::Identifier(i) => i.value.clone(),
                        other => other.to_string(),
                    });
                    text_format_only(&format)?;
                }
                _ => {
                    return Err(SqlError::new(
                        "42601",
                        format!("unrecognized EXPLAIN option \"{name}\""),
                    ));
                }
            }
        }
        let plan = self.statement(statement)?;
        match plan {
            Plan::Query(_)
            | Plan::Insert { .. }
            | Plan::Update { .. }
            | Plan::Delete { .. }
            | Plan::CreateTableAs { .. } => Ok(Plan::Explain(Box::new(Explain { plan, analyze }))),
            _ => Err(SqlError::new(
                "42601",
                "EXPLAIN takes a query, INSERT, UPDATE, DELETE or CREATE TABLE AS",
            )),
        }
    }
}
