//! What a service's handlers share: its database, the directory and the token verifier,
//! plus partnership scoping of the caller.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Authenticator, Claims};
use crate::db::Db;
use crate::directory::{Directory, Partnership};
use crate::error::Error;

/// Shared state of one service process.
#[derive(Debug, Clone)]
pub struct ServiceContext {
    pub db: Db,
    pub directory: Arc<Directory>,
    pub auth: Arc<Authenticator>,
    /// Largest gRPC message in bytes.
    pub max_message_bytes: usize,
    /// Hard limit on draining in-flight calls at shutdown.
    pub shutdown_timeout: Duration,
    /// How long a new connection may take to send the HTTP/2 preface.
    pub handshake_timeout: Duration,
    /// How long a service may serve a cached read answer that another process's writes could
    /// have made stale (its own writes invalidate at once); zero: no read cache.
    pub read_cache_ttl: Duration,
}

impl ServiceContext {
    pub fn new(db: Db, directory: Arc<Directory>, auth: Arc<Authenticator>) -> Self {
        Self {
            db,
            directory,
            auth,
            max_message_bytes: 16 * 1024 * 1024,
            shutdown_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            read_cache_ttl: Duration::from_secs(2),
        }
    }

    /// A server builder with this context's auth, message limit and shutdown timeout.
    pub fn server_builder(&self) -> crate::server::ServerBuilder {
        crate::server::ServerBuilder::new(self.auth.clone())
            .directory(self.directory.clone())
            .max_message_bytes(self.max_message_bytes)
            .shutdown_timeout(self.shutdown_timeout)
            .handshake_timeout(self.handshake_timeout)
    }

    /// The caller's partnership; `PERMISSION_DENIED` when the token names one this
    /// deployment does not serve.
    pub fn partnership(&self, claims: &Claims) -> Result<&Partnership, Error> {
        self.directory
            .partnership(&claims.partnership)
            .ok_or_else(|| {
                Error::permission_denied(format!(
                    "partnership '{}' is not in this deployment's directory",
                    claims.partnership
                ))
            })
    }
}
