//! Session configuration parameters (`SET`, `SHOW`, `RESET`): the ones
//! PostgreSQL clients set or read, with their defaults and the values
//! DriftDB accepts.

use std::collections::BTreeMap;

use crate::error::{Result, SqlError};

/// The version DriftDB reports as `server_version`.
pub const SERVER_VERSION: &str = "16.0";

/// A parameter's defaults and which values it takes.
struct Known {
    name: &'static str,
    default: &'static str,
    /// `None`: any value; `Some(list)`: one of these (case-insensitive).
    accepts: Option<&'static [&'static str]>,
    /// Reported but not settable.
    read_only: bool,
}

const fn p(name: &'static str, default: &'static str) -> Known {
    Known {
        name,
        default,
        accepts: None,
        read_only: false,
    }
}

const ON_OFF: &[&str] = &["on", "off", "true", "false", "1", "0", "yes", "no"];
/// Whether `zone` names UTC, the one time zone DriftDB has (any case).
pub(crate) fn is_utc(zone: &str) -> bool {
    UTC.contains(&zone.trim().to_ascii_lowercase().as_str())
}

const UTC: &[&str] = &[
    "utc",
    "gmt",
    "etc/utc",
    "etc/gmt",
    "z",
    "zulu",
    "universal",
    "+00",
    "0",
];

/// Every parameter DriftDB knows, by lower-case name.
const KNOWN: &[Known] = &[
    p("application_name", ""),
    Known {
        name: "client_encoding",
        default: "UTF8",
        accepts: Some(&["utf8", "utf-8", "unicode", "sql_ascii"]),
        read_only: false,
    },
    Known {
        name: "datestyle",
        default: "ISO, MDY",
        accepts: Some(&["iso, mdy", "iso", "iso,mdy", "iso, ymd", "iso,ymd"]),
        read_only: false,
    },
    Known {
        name: "timezone",
        default: "UTC",
        accepts: Some(UTC),
        read_only: false,
    },
    Known {
        name: "intervalstyle",
        default: "postgres",
        accepts: Some(&["postgres"]),
        read_only: false,
    },
    p("extra_float_digits", "1"),
    p("search_path", "\"$user\", public"),
    p("statement_timeout", "0"),
    p("lock_timeout", "0"),
    p("idle_in_transaction_session_timeout", "0"),
    Known {
        name: "synchronous_commit",
        default: "on",
        accepts: Some(&[
            "on",
            "off",
            "local",
            "remote_write",
            "remote_apply",
            "true",
            "false",
        ]),
        read_only: false,
    },
    Known {
        name: "standard_conforming_strings",
        default: "on",
        accepts: Some(&["on"]),
        read_only: false,
    },
    Known {
        name: "default_transaction_isolation",
        default: "repeatable read",
        accepts: Some(&["repeatable read", "serializable", "read committed"]),
        read_only: false,
    },
    // Snapshot isolation, which PostgreSQL calls repeatable read.
    Known {
        name: "transaction_isolation",
        default: "repeatable read",
        accepts: Some(&["repeatable read", "serializable", "read committed"]),
        read_only: false,
    },
    Known {
        name: "default_transaction_read_only",
        default: "off",
        accepts: Some(ON_OFF),
        read_only: false,
    },
    p("client_min_messages", "notice"),
    Known {
        name: "default_table_access_method",
        default: "heap",
        accepts: Some(&["heap"]),
        read_only: false,
    },
    p("bytea_output", "hex"),
    Known {
        name: "server_version",
        default: SERVER_VERSION,
        accepts: None,
        read_only: true,
    },
    Known {
        name: "server_encoding",
        default: "UTF8",
        accepts: None,
        read_only: true,
    },
    Known {
        name: "integer_datetimes",
        default: "on",
        accepts: None,
        read_only: true,
    },
    Known {
        name: "max_identifier_length",
        default: "63",
        accepts: None,
        read_only: true,
    },
];

/// Every parameter DriftDB knows, with its default and whether it is
/// read-only (`pg_settings` lists them).
pub fn known_parameters() -> impl Iterator<Item = (&'static str, &'static str, bool)> {
    KNOWN.iter().map(|k| (k.name, k.default, k.read_only))
}

fn known(name: &str) -> Result<&'static Known> {
    // `SHOW TRANSACTION ISOLATION LEVEL` names a parameter in words.
    let name = match name {
        "transaction isolation level" => "transaction_isolation",
        other => other,
    };
    KNOWN.iter().find(|k| k.name == name).ok_or_else(|| {
        SqlError::new(
            "42704",
            format!("unrecognized configuration parameter \"{name}\""),
        )
    })
}

/// A session's parameters: the ones set differ from their defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parameters {
    set: BTreeMap<&'static str, String>,
}

impl Parameters {
    /// The value of `name` (lower-case).
    pub fn get(&self, name: &str) -> Result<String> {
        self.value(name).map(str::to_string)
    }

    /// The value of `name` (lower-case), borrowed: for the parameters read
    /// at every statement.
    pub fn value(&self, name: &str) -> Result<&str> {
        let k = known(name)?;
        Ok(self.set.get(k.name).map_or(k.default, String::as_str))
    }

    /// Sets `name` to `value` (`None`: back to its default).
    pub fn set(&mut self, name: &str, value: Option<String>) -> Result<()> {
        let k = known(name)?;
        if k.read_only {
            return Err(SqlError::new(
                "55P02",
                format!("parameter \"{name}\" cannot be changed"),
            ));
        }
        match value {
            None => {
                self.set.remove(k.name);
            }
            Some(v) => {
                if let Some(list) = k.accepts
                    && !list.contains(&v.trim().to_lowercase().as_str())
                {
                    return Err(SqlError::new(
                        "22023",
                        format!("invalid value for parameter \"{name}\": \"{v}\""),
                    ));
                }
                self.set.insert(k.name, v);
            }
        }
        Ok(())
    }

    /// Every parameter back to its default.
    pub fn reset_all(&mut self) {
        self.set.clear();
    }

    /// Whether commits wait for their fsync (`synchronous_commit`).
    pub fn synchronous_commit(&self) -> bool {
        !matches!(
            self.set.get("synchronous_commit").map(|v| v.to_lowercase()),
            Some(v) if v == "off" || v == "false"
        )
    }
}
