//! Layered configuration: built-in defaults, then an optional TOML file, then environment
//! variables. The file (`LSCB_CONFIG`, default `lscb.toml` when present) has a `[default]`
//! table shared by all services and one table per service (`[indicators]`, `[audits]`,
//! `[training]`, `[finance]`, `[aggregator]`) whose keys win for that service.
//! Environment variables win over both: `LSCB_LISTEN`, `DATABASE_URL` (or
//! `LSCB_DATABASE_URL`), `LSCB_DIRECTORY`, `LSCB_JWT_SECRET`, `LSCB_JWT_SECRET_FILE`,
//! `LSCB_LOG_FORMAT`, `LSCB_LOG`, `LSCB_SHUTDOWN_TIMEOUT_SECS`, `LSCB_MAX_MESSAGE_BYTES`,
//! `LSCB_HANDSHAKE_TIMEOUT_SECS`,
//! and for the aggregator `LSCB_INDICATORS_URL`, `LSCB_AUDITS_URL`, `LSCB_TRAINING_URL`,
//! `LSCB_FINANCE_URL`, `LSCB_UPSTREAM_TIMEOUT_MS`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::auth::Authenticator;
use crate::telemetry::LogFormat;

/// The five services and their default ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    Aggregator,
    Indicators,
    Audits,
    Training,
    Finance,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 5] = [
        ServiceKind::Aggregator,
        ServiceKind::Indicators,
        ServiceKind::Audits,
        ServiceKind::Training,
        ServiceKind::Finance,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::Aggregator => "aggregator",
            ServiceKind::Indicators => "indicators",
            ServiceKind::Audits => "audits",
            ServiceKind::Training => "training",
            ServiceKind::Finance => "finance",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            ServiceKind::Aggregator => 50050,
            ServiceKind::Indicators => 50051,
            ServiceKind::Audits => 50052,
            ServiceKind::Training => 50053,
            ServiceKind::Finance => 50054,
        }
    }
}

/// Where the aggregator finds the four data services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstreams {
    pub indicators_url: String,
    pub audits_url: String,
    pub training_url: String,
    pub finance_url: String,
    /// Deadline for each call to a data service, in milliseconds.
    pub upstream_timeout_ms: u64,
}

impl Default for Upstreams {
    fn default() -> Self {
        Self {
            indicators_url: "http://127.0.0.1:50051".into(),
            audits_url: "http://127.0.0.1:50052".into(),
            training_url: "http://127.0.0.1:50053".into(),
            finance_url: "http://127.0.0.1:50054".into(),
            upstream_timeout_ms: 10_000,
        }
    }
}

/// One service's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://path?mode=rwc`, `sqlite::memory:` or `postgres://user@host/db`.
    pub database_url: String,
    /// The partnership directory TOML file.
    pub directory: PathBuf,
    /// Token signing secret (at least 32 bytes); prefer `jwt_secret_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_secret: Option<String>,
    /// File holding the token signing secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_secret_file: Option<PathBuf>,
    /// `text` (default) or `json`.
    pub log_format: LogFormat,
    /// Tracing filter, e.g. `info` or `lscb_indicators=debug,info`.
    pub log: String,
    /// After SIGINT/SIGTERM, how long in-flight calls may take before the server stops anyway.
    pub shutdown_timeout_secs: u64,
    /// Largest request or response message, in bytes.
    pub max_message_bytes: usize,
    /// How long a new connection may take to send the HTTP/2 preface before it is closed.
    #[serde(default = "default_handshake_timeout_secs")]
    pub handshake_timeout_secs: u64,
    /// Indicators only: how long a cached answer of a read RPC (`GetSeries`, `GetScorecard`)
    /// may be served when another process writes to the same database; this process's own
    /// writes invalidate it at once. `0` turns the read cache off.
    #[serde(default = "default_read_cache_ttl_ms")]
    pub read_cache_ttl_ms: u64,
    /// Aggregator only: where the data services are.
    #[serde(flatten)]
    pub upstreams: Upstreams,
}

fn default_read_cache_ttl_ms() -> u64 {
    2_000
}

fn default_handshake_timeout_secs() -> u64 {
    10
}

impl Config {
    /// Built-in defaults for a service: its default port on loopback (containers set
    /// `LSCB_LISTEN=0.0.0.0:PORT`), a SQLite file under `data/`.
    pub fn defaults(kind: ServiceKind) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], kind.default_port())),
            database_url: format!("sqlite://data/{}.db?mode=rwc", kind.name()),
            directory: PathBuf::from("deploy/directory.toml"),
            jwt_secret: None,
            jwt_secret_file: Some(PathBuf::from("data/jwt-secret")),
            log_format: LogFormat::Text,
            log: "info".into(),
            shutdown_timeout_secs: 10,
            max_message_bytes: 16 * 1024 * 1024,
            handshake_timeout_secs: default_handshake_timeout_secs(),
            read_cache_ttl_ms: default_read_cache_ttl_ms(),
            upstreams: Upstreams::default(),
        }
    }

    /// Defaults, then the config file (if any), then the environment.
    pub fn load(kind: ServiceKind) -> anyhow::Result<Config> {
        let file = std::env::var_os("LSCB_CONFIG").map(PathBuf::from);
        Self::load_from(kind, file.as_deref())
    }

    /// As [`Config::load`], with an explicit config file.
    pub fn load_from(kind: ServiceKind, file: Option<&Path>) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::defaults(kind)));
        match file {
            Some(f) => {
                anyhow::ensure!(f.exists(), "config file {} does not exist", f.display());
                fig = fig.merge(Toml::file(f).nested());
            }
            None => {
                if Path::new("lscb.toml").exists() {
                    fig = fig.merge(Toml::file("lscb.toml").nested());
                }
            }
        }
        fig = fig
            .select(kind.name())
            .merge(Env::prefixed("LSCB_").ignore(&["CONFIG", "TOKEN"]).global())
            .merge(Env::raw().only(&["DATABASE_URL"]).global());
        let cfg: Config = fig
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        Ok(cfg)
    }

    /// The token verifier from `jwt_secret` or `jwt_secret_file`.
    pub fn authenticator(&self) -> anyhow::Result<Arc<Authenticator>> {
        if let Some(s) = &self.jwt_secret {
            return Ok(Arc::new(Authenticator::new(s.as_bytes())?));
        }
        match &self.jwt_secret_file {
            Some(p) => Ok(Arc::new(Authenticator::from_file(p)?)),
            None => anyhow::bail!("no token secret: set LSCB_JWT_SECRET or LSCB_JWT_SECRET_FILE"),
        }
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sections_override_defaults_per_service() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("lscb.toml");
        std::fs::write(
            &f,
            "[default]\nlog = \"debug\"\n[indicators]\nlisten = \"0.0.0.0:6000\"\n[finance]\nmax_message_bytes = 1024\nhandshake_timeout_secs = 3\n",
        )
        .unwrap();
        let c = Config::load_from(ServiceKind::Indicators, Some(&f)).unwrap();
        assert_eq!(c.listen.port(), 6000);
        assert_eq!(c.log, "debug");
        assert_eq!(c.max_message_bytes, 16 * 1024 * 1024);
        assert_eq!(c.handshake_timeout_secs, 10);
        let c = Config::load_from(ServiceKind::Finance, Some(&f)).unwrap();
        assert_eq!(c.listen.port(), 50054);
        assert_eq!(c.max_message_bytes, 1024);
        assert_eq!(c.handshake_timeout_secs, 3);
    }

    #[test]
    fn defaults_use_the_service_port_and_database() {
        let c = Config::defaults(ServiceKind::Audits);
        assert_eq!(c.listen.port(), 50052);
        assert!(c.database_url.contains("audits.db"));
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        assert!(
            Config::load_from(
                ServiceKind::Audits,
                Some(Path::new("/nonexistent/lscb.toml"))
            )
            .is_err()
        );
    }
}
