//! DriftDB's engine: what the SQL layer runs on, over the storage layer.
//! Today: SQL values (`value`), their order-preserving key encoding
//! (`keycode`), the row encoding (`row`) and transactions with snapshot
//! isolation, savepoints and reads of the past (`txn`). The catalog and the
//! rest of time travel come with the SQL engine issue.

pub mod error;
pub mod keycode;
pub mod row;
pub mod txn;
pub mod value;
