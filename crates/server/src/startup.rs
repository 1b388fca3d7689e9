//! Connection startup: the database and role a client names, its
//! authentication (trust on loopback without a password, SCRAM-SHA-256 with
//! one), its startup parameters applied to a new session, and the
//! ParameterStatus values a PostgreSQL client expects.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::mechanism::{AuthMechanism, AuthMechanismFactory, AuthState};
use pgwire::api::auth::sasl::SaslMechanisms;
use pgwire::api::auth::sasl::scram::{ScramAuth, gen_salted_password};
use pgwire::api::auth::{
    AuthDriver, AuthOutcome, AuthSource, DefaultServerParameterProvider, LoginInfo, Password,
    StartupHandler, protocol_negotiation, save_startup_parameters_to_metadata,
};
use pgwire::api::{ClientInfo, METADATA_DATABASE, METADATA_USER};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::PasswordMessageFamily;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use driftdb_sql::params::SERVER_VERSION;

use crate::Shared;
use crate::wire::Connection;
use crate::worker::Worker;

/// The one database a server holds.
pub const DATABASE: &str = "driftdb";
/// The superuser.
pub const SUPERUSER: &str = "driftdb";

/// PBKDF2 iterations of the SCRAM verifier (PostgreSQL's default).
const SCRAM_ITERATIONS: usize = 4096;

/// Startup parameters that are not session settings.
const NOT_SETTINGS: &[&str] = &["user", "database", "options", "replication"];

/// The startup of one connection.
pub struct Startup {
    shared: Arc<Shared>,
    conn: Arc<Connection>,
    driver: AuthDriver<Arc<DefaultServerParameterProvider>>,
    sasl: Option<SaslMechanisms>,
}

impl Startup {
    /// The startup handler of connection `conn`.
    pub fn new(shared: Arc<Shared>, conn: Arc<Connection>) -> Self {
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.server_version = SERVER_VERSION.into();
        parameters.date_style = "ISO, MDY".into();
        parameters.time_zone = "UTC".into();
        let sasl = shared.options.password.as_ref().map(|password| {
            let mut scram = ScramAuth::new(Arc::new(PasswordSource {
                password: password.clone(),
            }));
            scram.set_iterations(SCRAM_ITERATIONS);
            SaslMechanisms::new(vec![]).with_mechanism(Arc::new(scram))
        });
        Startup {
            driver: AuthDriver::new(Arc::new(parameters)),
            sasl,
            shared,
            conn,
        }
    }

    /// Checks the database and role, and starts the session with the
    /// client's parameters; a refusal is a FATAL error, as in PostgreSQL.
    fn admit<C: ClientInfo>(&self, client: &C) -> PgWireResult<()> {
        let meta = client.metadata();
        let user = meta.get(METADATA_USER).cloned().unwrap_or_default();
        let database = meta.get(METADATA_DATABASE).unwrap_or(&user);
        if user != SUPERUSER {
            return Err(fatal("28000", format!("role \"{user}\" does not exist")));
        }
        if database != DATABASE {
            return Err(fatal(
                "3D000",
                format!("database \"{database}\" does not exist"),
            ));
        }
        let admission = self
            .shared
            .admit()
            .ok_or_else(|| fatal("53300", "sorry, too many clients already".into()))?;
        let settings = meta
            .iter()
            .filter(|(k, _)| !NOT_SETTINGS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match Worker::start(self.shared.storage.clone(), user, settings) {
            Ok(Ok(worker)) => {
                self.conn.attach(admission, worker);
                Ok(())
            }
            Ok(Err(e)) => Err(fatal(e.sqlstate, e.message)),
            Err(e) => Err(fatal("53000", e.to_string())),
        }
    }

    /// After authentication: the connection can be canceled by its key.
    fn register<C: ClientInfo>(&self, client: &C) {
        if let Ok(worker) = self.conn.worker() {
            let (pid, key) = client.pid_and_secret_key();
            self.shared
                .cancel_keys
                .register(pid, key, worker.interrupt().clone());
            self.conn.set_pid(pid);
        }
    }

    async fn finish<C>(&self, client: &mut C, outcome: AuthOutcome) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match outcome {
            AuthOutcome::InProgress => Ok(()),
            AuthOutcome::Authenticated { final_message, .. } => {
                self.driver
                    .complete_authentication(client, final_message)
                    .await?;
                self.register(client);
                Ok(())
            }
        }
    }
}

/// A FATAL error: sent, then the connection closes.
fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".into(),
        code.into(),
        message,
    )))
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                self.admit(client)?;
                let mechanism: Box<dyn AuthMechanism> = match &self.sasl {
                    Some(sasl) => sasl.create(),
                    None => Box::new(Trust),
                };
                let outcome = self.driver.begin_authentication(client, mechanism).await?;
                self.finish(client, outcome).await
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let outcome = self
                    .driver
                    .advance_authentication(client, message)
                    .await
                    .map_err(|e| match e {
                        PgWireError::InvalidPassword(user) => fatal(
                            "28P01",
                            format!("password authentication failed for user \"{user}\""),
                        ),
                        other => other,
                    })?;
                self.finish(client, outcome).await
            }
            _ => Ok(()),
        }
    }
}

/// Authentication without a password: only a server on loopback runs
/// without one (checked when it starts).
struct Trust;

#[async_trait]
impl AuthMechanism for Trust {
    async fn begin(&mut self, _client: &(dyn ClientInfo + Send + Sync)) -> PgWireResult<AuthState> {
        Ok(AuthState::Ok {
            final_message: None,
            identity: None,
        })
    }

    async fn next(
        &mut self,
        _client: &(dyn ClientInfo + Send + Sync),
        _message: PasswordMessageFamily,
    ) -> PgWireResult<AuthState> {
        Err(PgWireError::NoAuthenticationInProgress)
    }
}

/// The superuser's password, as SCRAM's salted verifier.
#[derive(Debug)]
struct PasswordSource {
    password: String,
}

#[async_trait]
impl AuthSource for PasswordSource {
    async fn get_password(&self, _login: &LoginInfo) -> PgWireResult<Password> {
        let salt: [u8; 16] = rand_salt();
        let salted = gen_salted_password(&self.password, &salt, SCRAM_ITERATIONS);
        Ok(Password::new(Some(salt.to_vec()), salted))
    }
}

/// A fresh salt for each SCRAM exchange.
fn rand_salt() -> [u8; 16] {
    use std::hash::{BuildHasher, RandomState};
    let a = RandomState::new().hash_one(std::time::SystemTime::now());
    let b = RandomState::new().hash_one(a);
    let mut salt = [0u8; 16];
    salt[..8].copy_from_slice(&a.to_le_bytes());
    salt[8..].copy_from_slice(&b.to_le_bytes());
    salt
}
