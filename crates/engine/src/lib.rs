//! DriftDB's engine: what the SQL layer runs on, over the storage layer.
//! Today: SQL values (`value`), their order-preserving key encoding
//! (`keycode`) and the row encoding (`row`). The catalog, transactions and
//! time travel come with the SQL engine issue.

pub mod keycode;
pub mod row;
pub mod value;
