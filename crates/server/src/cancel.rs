//! CancelRequests: a client opens a new connection naming the process id
//! and secret key it was given at startup; the session they name has its
//! running statement stopped.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use driftdb_engine::interrupt::{Interrupt, InterruptReason};
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;

/// The cancel keys of the open sessions.
#[derive(Default)]
pub struct CancelKeys {
    sessions: Mutex<HashMap<i32, (SecretKey, Interrupt)>>,
}

impl CancelKeys {
    /// Lets `key` stop the statements of session `pid`.
    pub fn register(&self, pid: i32, key: SecretKey, interrupt: Interrupt) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(pid, (key, interrupt));
        }
    }

    /// Stops the running statement of every session (a shutdown whose
    /// grace period is over).
    pub fn cancel_all(&self) {
        if let Ok(sessions) = self.sessions.lock() {
            for (_, interrupt) in sessions.values() {
                interrupt.raise(InterruptReason::Cancel);
            }
        }
    }

    /// Forgets session `pid`, once its connection closed.
    pub fn remove(&self, pid: i32) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(&pid);
        }
    }
}

#[async_trait]
impl CancelHandler for CancelKeys {
    /// Stops the statement of the session the request names, when its key
    /// matches; a wrong key is ignored, as PostgreSQL does.
    async fn on_cancel_request(&self, request: CancelRequest) {
        let Ok(sessions) = self.sessions.lock() else {
            return;
        };
        // By value: a 3.0 key registered as an i32 arrives as 4 bytes on
        // the cancel connection.
        if let Some((key, interrupt)) = sessions.get(&request.pid)
            && key.eq_value(&request.secret_key)
        {
            interrupt.raise(InterruptReason::Cancel);
        }
    }
}
