//! Running a join with a `LATERAL` right side ([`crate::rel::Rel::Lateral`]):
//! per left row, the right side runs with that row as its innermost
//! enclosing row, as a correlated subquery runs; an inner join keeps the
//! combined rows the condition accepts, a left join pads a left row nothing
//! matched with NULLs.

use crate::error::Result;
use crate::expr::Env;
use crate::rel::{Join, JoinKind};
use crate::run::{Rows, run};
use driftdb_engine::value::Value;

/// The rows of a `LATERAL` join.
pub(crate) fn rows<'a>(j: &'a Join, env: &'a Env<'a, '_>) -> Result<Rows<'a>> {
    Ok(Box::new(
        run(&j.left, env)?
            .map(move |r| matches(j, r?, env))
            .flat_map(|rows| match rows {
                Ok(rows) => rows.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            }),
    ))
}

/// The joined rows of one left row.
fn matches(j: &Join, left: Vec<Value>, env: &Env<'_, '_>) -> Result<Vec<Vec<Value>>> {
    let inner = env.nested(&left);
    let mut out = Vec::new();
    for r in run(&j.right, &inner)? {
        let mut row = left.clone();
        row.extend(r?);
        if j.on.is_true(&row, env)? {
            out.push(row);
        }
    }
    if out.is_empty() && j.kind == JoinKind::Left {
        let mut row = left;
        row.extend(std::iter::repeat_n(Value::Null, j.right_width));
        out.push(row);
    }
    Ok(out)
}
