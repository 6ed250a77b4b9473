//! What every lscb service shares: layered configuration, tracing, the gRPC server builder
//! (health, reflection, auth, limits, graceful shutdown), bearer-token auth, errors mapped to
//! rich gRPC statuses, SQLite/PostgreSQL connections, the partnership directory and
//! reporting periods.

pub mod auth;
pub mod config;
pub mod conn;
pub mod context;
pub mod db;
pub mod directory;
pub mod drain;
pub mod error;
pub mod fields;
pub mod idempotency;
pub mod input_policy;
pub mod period;
pub mod proto_conv;
pub mod server;
pub mod telemetry;
pub mod testing;

pub use auth::{Authenticator, Claims, Role, caller};
pub use config::{Config, ServiceKind};
pub use context::ServiceContext;
pub use db::{Db, WriteTxn};
pub use directory::{Agency, Directory, Partnership, Sector};
pub use error::{Error, FieldViolation, Result, Violations};
pub use period::{Granularity, Period};
pub use server::{ServerBuilder, shutdown_signal};

use std::sync::Arc;

/// Loads what every service needs from its config: the directory and the token verifier,
/// and connects to its database. The caller runs its own migrations on `ctx.db`.
pub async fn bootstrap(config: &Config) -> anyhow::Result<ServiceContext> {
    let directory = Arc::new(Directory::load(&config.directory)?);
    let auth = config.authenticator()?;
    let db = Db::connect(&config.database_url).await?;
    let mut ctx = ServiceContext::new(db, directory, auth);
    ctx.max_message_bytes = config.max_message_bytes;
    ctx.read_cache_ttl = std::time::Duration::from_millis(config.read_cache_ttl_ms);
    ctx.shutdown_timeout = config.shutdown_timeout();
    ctx.handshake_timeout = std::time::Duration::from_secs(config.handshake_timeout_secs.max(1));
    Ok(ctx)
}
