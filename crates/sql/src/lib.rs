//! DriftDB's SQL layer. Today: parsing, PostgreSQL's dialect plus the
//! time-travel clauses of SPEC §4 (`parser`). Binding, planning and execution
//! come with the SQL engine issue.

pub mod parser;
