//! DriftDB's SQL layer. A statement walks through these files:
//! 1. `parser/`: text to `sqlparser` AST, PostgreSQL's dialect plus the
//!    time-travel clauses of SPEC §4.
//! 2. `bind.rs`: names resolved against the catalog as of the point each table
//!    reference names, expressions bound (`expr.rs`; functions in `func.rs`,
//!    array functions and operators in `array.rs`), a logical plan built
//!    (`plan.rs`).
//! 3. `exec.rs`: the plan runs in a transaction of the engine
//!    (`upsert.rs`: `INSERT … ON CONFLICT`; `sequence.rs`: `nextval` and
//!    the other sequence functions).
//!    `explain.rs` answers `EXPLAIN [ANALYZE]`; `recursive.rs` runs
//!    `WITH RECURSIVE`, `lateral.rs` `LATERAL` joins.
//! 4. `session.rs`: autocommit, transaction blocks and their aborted state.
//! 5. `system/`: `pg_catalog` and `information_schema`, generated from the
//!    engine's catalog; `system::types` maps types to PostgreSQL's OIDs.
//!
//! What runs today: CREATE/DROP TABLE, INSERT … VALUES, UPDATE, DELETE, and
//! single-table SELECT with WHERE, ORDER BY, LIMIT/OFFSET, every
//! `FOR SYSTEM_TIME` form and the hidden columns. Everything else is refused
//! with SQLSTATE 0A000 naming what is missing.

mod agg;
mod alter_column;
pub mod array;
pub mod bind;
pub mod copy;
mod datetime_ops;
pub mod ddl;
pub mod describe;
mod drop_constraint;
pub mod error;
pub mod exec;
pub mod explain;
pub mod expr;
mod func;
pub mod json;
mod lateral;
pub mod optimize;
mod ordered_set;
pub mod params;
pub mod parser;
pub mod plan;
mod plan_cache;
pub mod profile;
mod recursive;
pub mod rel;
pub mod run;
pub mod sequence;
pub mod session;
pub mod system;
mod upsert;
mod window;
