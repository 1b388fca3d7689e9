//! DriftDB's engine: what the SQL layer runs on, over the storage layer.
//! Today: SQL values (`value`) with exact decimals (`numeric`), arrays
//! (`array`) and JSON (`json`), their order-preserving key encoding
//! (`keycode`), the row encoding (`row`), transactions with snapshot
//! isolation, savepoints and reads of the past (`txn`), and a versioned
//! catalog of tables (`catalog`), and the metadata each commit carries for
//! `drift_commits` (`commit_meta`), and rows of tables with their NOT NULL and
//! primary-key checks (`table`), and PostgreSQL's text format of values
//! (`text`), and the time-travel reads of history: `FOR SYSTEM_TIME` version
//! selection and `drift_diff` (`history`). Indexes, views, constraints and the rest of
//! time travel come with the SQL engine issue. Sequences (`sequence`) keep
//! their definitions in the catalog and hand out values outside transactions.

pub mod array;
mod bytes;
pub mod catalog;
pub mod commit_meta;
pub mod datetime;
pub mod error;
mod foreign;
pub mod history;
pub mod index;
pub mod interrupt;
pub mod json;
pub mod keycode;
pub mod numeric;
mod numeric_math;
pub mod reads;
pub mod row;
pub mod sequence;
mod shared_tables;
pub mod table;
pub mod text;
pub mod txn;
mod type_code;
pub mod value;
mod write_buffer;
