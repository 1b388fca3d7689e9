//! Connection startup: the database and role a client names, its
//! authentication (trust on loopback without a password; with one,
//! SCRAM-SHA-256, plus channel binding over TLS, or MD5 when configured),
//! its startup parameters applied to a new session, and the
//! ParameterStatus values a PostgreSQL client expects.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::md5pass::{Md5PasswordAuth, hash_md5_password};
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
use driftdb_storage::Storage;

use crate::Shared;
use crate::tls::random_bytes;
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

/// How clients prove they know the superuser's password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    /// SCRAM-SHA-256, PostgreSQL's default; over TLS channel binding
    /// (SCRAM-SHA-256-PLUS) is offered too.
    #[default]
    ScramSha256,
    /// MD5, for old drivers only: what travels is a salted hash of a hash
    /// that is as good as the password to whoever holds it.
    Md5,
}

impl std::str::FromStr for AuthMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "scram-sha-256" => Ok(AuthMethod::ScramSha256),
            "md5" => Ok(AuthMethod::Md5),
            _ => Err(format!(
                "unknown auth method \"{s}\" (expected scram-sha-256 or md5)"
            )),
        }
    }
}

impl std::fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AuthMethod::ScramSha256 => "scram-sha-256",
            AuthMethod::Md5 => "md5",
        })
    }
}

/// How a server authenticates its connections; built once at start.
pub(crate) enum Auth {
    /// No password is set (the server listens on loopback only).
    Trust,
    /// SCRAM-SHA-256: `plain` for connections without TLS, `tls` (which
    /// also offers SCRAM-SHA-256-PLUS) for those with it.
    Scram {
        plain: SaslMechanisms,
        tls: Option<SaslMechanisms>,
    },
    /// MD5 with a fresh salt per connection.
    Md5(Md5PasswordAuth<Md5Source>),
}

impl Auth {
    /// The authentication of a server with `password`, by `method`;
    /// `cert_pem` is the TLS certificate SCRAM's channel binding hashes.
    pub(crate) fn new(password: Option<&str>, method: AuthMethod, cert_pem: Option<&[u8]>) -> Auth {
        let Some(password) = password else {
            return Auth::Trust;
        };
        match method {
            AuthMethod::Md5 => Auth::Md5(Md5PasswordAuth::new(Arc::new(Md5Source {
                password: password.to_string(),
            }))),
            AuthMethod::ScramSha256 => {
                let scram = || {
                    let mut scram = ScramAuth::new(Arc::new(ScramSource {
                        password: password.to_string(),
                    }));
                    scram.set_iterations(SCRAM_ITERATIONS);
                    scram
                };
                let tls = cert_pem.and_then(|pem| {
                    let mut plus = scram();
                    match plus.configure_certificate(pem) {
                        Ok(()) => Some(SaslMechanisms::new(vec![]).with_mechanism(Arc::new(plus))),
                        Err(e) => {
                            tracing::warn!("SCRAM channel binding is off: {e}");
                            None
                        }
                    }
                });
                Auth::Scram {
                    plain: SaslMechanisms::new(vec![]).with_mechanism(Arc::new(scram())),
                    tls,
                }
            }
        }
    }

    /// A fresh exchange for one connection (`secure`: over TLS).
    fn mechanism(&self, secure: bool) -> Box<dyn AuthMechanism> {
        match self {
            Auth::Trust => Box::new(Trust),
            Auth::Scram {
                tls: Some(tls),
                plain: _,
            } if secure => tls.create(),
            Auth::Scram { plain, .. } => plain.create(),
            Auth::Md5(md5) => md5.create(),
        }
    }
}

/// The startup of one connection.
pub struct Startup<'s> {
    shared: Arc<Shared>,
    storage: &'s Storage,
    conn: Arc<Connection<'s>>,
    driver: AuthDriver<Arc<DefaultServerParameterProvider>>,
}

impl<'s> Startup<'s> {
    /// The startup handler of connection `conn`, whose session will run on
    /// `storage` (the server's).
    pub fn new(shared: Arc<Shared>, storage: &'s Storage, conn: Arc<Connection<'s>>) -> Self {
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.server_version = SERVER_VERSION.into();
        parameters.date_style = "ISO, MDY".into();
        parameters.time_zone = "UTC".into();
        Startup {
            driver: AuthDriver::new(Arc::new(parameters)),
            shared,
            storage,
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
        let settings: Vec<(String, String)> = meta
            .iter()
            .filter(|(k, _)| !NOT_SETTINGS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match Worker::start(self.storage, &user, &settings) {
            Ok(worker) => {
                self.conn.attach(admission, worker);
                Ok(())
            }
            Err(e) => Err(fatal(e.sqlstate, e.message)),
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
impl StartupHandler for Startup<'_> {
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
                let mechanism = self.shared.auth.mechanism(client.is_secure());
                let outcome = self.driver.begin_authentication(client, mechanism).await?;
                self.finish(client, outcome).await
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                // The role named at startup: SCRAM's own user name is empty
                // in libpq's exchange.
                let user = client.metadata().get(METADATA_USER).cloned();
                let outcome = self
                    .driver
                    .advance_authentication(client, message)
                    .await
                    .map_err(|e| match e {
                        PgWireError::InvalidPassword(scram_user) => fatal(
                            "28P01",
                            format!(
                                "password authentication failed for user \"{}\"",
                                user.unwrap_or(scram_user)
                            ),
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
struct ScramSource {
    password: String,
}

#[async_trait]
impl AuthSource for ScramSource {
    async fn get_password(&self, _login: &LoginInfo) -> PgWireResult<Password> {
        let salt: [u8; 16] = random_bytes();
        let salted = gen_salted_password(&self.password, &salt, SCRAM_ITERATIONS);
        Ok(Password::new(Some(salt.to_vec()), salted))
    }
}

/// The superuser's password, as the MD5 hash a client must send for a
/// fresh salt.
#[derive(Debug)]
pub(crate) struct Md5Source {
    password: String,
}

#[async_trait]
impl AuthSource for Md5Source {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let salt: [u8; 4] = random_bytes();
        let user = login.user().unwrap_or_default();
        let hashed = hash_md5_password(user, &self.password, &salt);
        Ok(Password::new(Some(salt.to_vec()), hashed.into_bytes()))
    }
}
