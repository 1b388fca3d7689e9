//! Commit timestamps: microseconds since the Unix epoch that strictly increase
//! with seq, even when the wall clock steps back.

use std::time::{SystemTime, UNIX_EPOCH};

/// Hands out commit timestamps; owned by the single committer thread.
#[derive(Debug)]
pub struct CommitClock {
    last: i64,
    now: fn() -> i64,
}

/// The wall clock in microseconds since the epoch (negative before 1970).
pub fn wall_micros() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

impl CommitClock {
    /// A clock whose next timestamp is after `last`.
    pub fn new(last: i64) -> Self {
        Self::with_source(last, wall_micros)
    }

    /// A clock reading time from `now` (tests step it backwards).
    pub fn with_source(last: i64, now: fn() -> i64) -> Self {
        CommitClock { last, now }
    }

    /// The timestamp the next commit would get: the wall clock, or one past the
    /// previous timestamp when the wall clock is not ahead of it.
    pub fn peek(&self) -> i64 {
        (self.now)().max(self.last.saturating_add(1))
    }

    /// Records that a commit took timestamp `ts` (from [`Self::peek`]).
    pub fn advance(&mut self, ts: i64) {
        self.last = self.last.max(ts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_decreases_when_the_wall_clock_steps_back() {
        let mut c = CommitClock::with_source(1_000, || 10);
        let first = c.peek();
        c.advance(first);
        assert_eq!((first, c.peek()), (1_001, 1_002));
        let mut real = CommitClock::new(0);
        let a = real.peek();
        real.advance(a);
        assert!(real.peek() > a);
    }
}
