//! Stopping a running statement from another thread: a cancel request or a
//! statement timeout raises the flag, the executor checks it between rows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::error::{EngineError, Result};

/// Why a statement was stopped; the message PostgreSQL gives for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptReason {
    /// A client's CancelRequest.
    Cancel,
    /// `statement_timeout` ran out.
    Timeout,
}

/// A flag shared by a session and whoever may stop its statements; cloning
/// shares it.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicU8>);

const NONE: u8 = 0;
const CANCEL: u8 = 1;
const TIMEOUT: u8 = 2;

impl Interrupt {
    /// Asks the running statement (if any) to stop for `reason`.
    pub fn raise(&self, reason: InterruptReason) {
        let code = match reason {
            InterruptReason::Cancel => CANCEL,
            InterruptReason::Timeout => TIMEOUT,
        };
        self.0.store(code, Ordering::Relaxed);
    }

    /// Lowers the flag, before a new statement starts.
    pub fn clear(&self) {
        self.0.store(NONE, Ordering::Relaxed);
    }

    /// Fails with SQLSTATE 57014 once the flag is raised.
    pub fn check(&self) -> Result<()> {
        match self.0.load(Ordering::Relaxed) {
            NONE => Ok(()),
            TIMEOUT => Err(EngineError::Canceled(InterruptReason::Timeout)),
            _ => Err(EngineError::Canceled(InterruptReason::Cancel)),
        }
    }
}
