//! Stopping a running statement: a cancel request from another thread
//! raises the flag, a statement timeout sets a deadline; the executor
//! checks both between rows.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::error::{EngineError, Result};

/// Why a statement was stopped; the message PostgreSQL gives for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptReason {
    /// A client's CancelRequest.
    Cancel,
    /// `statement_timeout` ran out.
    Timeout,
}

/// A flag and a deadline shared by a session and whoever may stop its
/// statements; cloning shares them.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<Flags>);

#[derive(Debug, Default)]
struct Flags {
    raised: AtomicU8,
    /// When the running statement times out, in nanoseconds after
    /// [`epoch`] plus one; 0 when it has no deadline.
    deadline: AtomicU64,
}

/// The instant deadlines are counted from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds from [`epoch`] to `at`, saturating.
fn since_epoch(at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(epoch()).as_nanos()).unwrap_or(u64::MAX - 1)
}

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
        self.0.raised.store(code, Ordering::Relaxed);
    }

    /// Lowers the flag and sets the deadline of the statement about to
    /// start: `limit` from now, or none.
    pub fn start(&self, limit: Option<Duration>) {
        self.0.raised.store(NONE, Ordering::Relaxed);
        let deadline = limit.map_or(0, |l| since_epoch(Instant::now() + l).saturating_add(1));
        self.0.deadline.store(deadline, Ordering::Relaxed);
    }

    /// Fails with SQLSTATE 57014 once the flag is raised or the deadline
    /// has passed.
    pub fn check(&self) -> Result<()> {
        let deadline = self.0.deadline.load(Ordering::Relaxed);
        if deadline != 0 && since_epoch(Instant::now()) >= deadline - 1 {
            self.raise(InterruptReason::Timeout);
        }
        match self.0.raised.load(Ordering::Relaxed) {
            NONE => Ok(()),
            TIMEOUT => Err(EngineError::Canceled(InterruptReason::Timeout)),
            _ => Err(EngineError::Canceled(InterruptReason::Cancel)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Interrupt, InterruptReason};
    use crate::error::EngineError;
    use std::time::Duration;

    #[test]
    fn a_deadline_fails_checks_once_it_passes() {
        let i = Interrupt::default();
        i.start(Some(Duration::from_millis(20)));
        assert!(i.check().is_ok());
        std::thread::sleep(Duration::from_millis(30));
        assert!(matches!(
            i.check(),
            Err(EngineError::Canceled(InterruptReason::Timeout))
        ));
        i.start(None);
        assert!(i.check().is_ok());
    }

    #[test]
    fn a_cancel_fails_checks_until_the_next_statement() {
        let i = Interrupt::default();
        i.start(None);
        i.clone().raise(InterruptReason::Cancel);
        assert!(matches!(
            i.check(),
            Err(EngineError::Canceled(InterruptReason::Cancel))
        ));
        i.start(None);
        assert!(i.check().is_ok());
    }
}
