//! One gRPC server builder for every service. Add services (each is wrapped in the auth
//! interceptor and marked SERVING in `grpc.health.v1`), then `serve`: health and server
//! reflection (v1 and v1alpha, with the health descriptors registered) stay open without a
//! token; a trace layer logs method, status and latency (never bodies); on shutdown every
//! service is marked NOT_SERVING, in-flight calls drain, and the server stops within the
//! configured hard timeout.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::server::NamedService;
use tonic::service::{Routes, RoutesBuilder, interceptor::InterceptedService};
use tonic::transport::Server;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower_http::trace::TraceLayer;

use crate::auth::Authenticator;

/// Builds one service process's gRPC server.
#[derive(Debug)]
pub struct ServerBuilder {
    auth: Arc<Authenticator>,
    directory: Option<Arc<crate::directory::Directory>>,
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    max_message_bytes: usize,
    shutdown_timeout: Duration,
    handshake_timeout: Duration,
    max_in_flight: usize,
    max_streams_per_connection: u32,
}

impl ServerBuilder {
    pub fn new(auth: Arc<Authenticator>) -> Self {
        Self {
            auth,
            directory: None,
            routes: RoutesBuilder::default(),
            names: Vec::new(),
            max_message_bytes: 16 * 1024 * 1024,
            shutdown_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            max_in_flight: 2048,
            max_streams_per_connection: 256,
        }
    }

    /// Largest message a service should accept or send; services pass this to their
    /// generated server's `max_decoding_message_size` / `max_encoding_message_size`.
    pub fn max_message_bytes(mut self, n: usize) -> Self {
        self.max_message_bytes = n;
        self
    }

    pub fn limit(&self) -> usize {
        self.max_message_bytes
    }

    /// How long a new connection may take to send the HTTP/2 preface before it is closed.
    pub fn handshake_timeout(mut self, d: Duration) -> Self {
        self.handshake_timeout = d;
        self
    }

    /// Calls in flight in this process above which a call is answered `RESOURCE_EXHAUSTED`.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Refuse tokens whose partnership, or submitter's agency, is not in `directory`.
    pub fn directory(mut self, directory: Arc<crate::directory::Directory>) -> Self {
        self.directory = Some(directory);
        self
    }

    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.shutdown_timeout = d;
        self
    }

    /// Adds a service behind the auth interceptor; it is advertised by reflection and
    /// reported SERVING once the server runs.
    pub fn add_service<S>(mut self, svc: S) -> Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        let svc = crate::input_policy::InputPolicy::new(svc, self.max_message_bytes);
        let interceptor = match &self.directory {
            Some(d) => self.auth.interceptor_with_directory(d.clone()),
            None => self.auth.interceptor(),
        };
        self.routes
            .add_service(InterceptedService::new(svc, interceptor));
        self
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let (reporter, health) = tonic_health::server::health_reporter();
        let mut v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(lscb_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health");
        let mut v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(lscb_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health");
        for name in &self.names {
            v1 = v1.with_service_name(*name);
            v1alpha = v1alpha.with_service_name(*name);
        }
        let v1 = v1.build_v1()?;
        let v1alpha = v1alpha.build_v1alpha()?;
        let mut routes = self.routes;
        routes
            .add_service(health)
            .add_service(v1)
            .add_service(v1alpha);
        let routes: Routes = routes.routes();

        set_all(&reporter, &self.names, ServingStatus::Serving).await;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, services = ?self.names, "serving");

        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let (drain_trigger, drain) = crate::drain::drain_channel();
        let names = self.names.clone();
        let reporter2 = reporter.clone();
        let signal = async move {
            shutdown.await;
            tracing::info!(%addr, "shutting down: marking services NOT_SERVING and draining");
            set_all(&reporter2, &names, ServingStatus::NotServing).await;
            // Watchers have NOT_SERVING waiting for them; streams still open end now.
            drain_trigger.start();
            let _ = stopping_tx.send(());
        };
        let handshake = self.handshake_timeout;
        let incoming = TcpListenerStream::new(listener)
            .map(move |conn| conn.map(|io| crate::conn::GuardedStream::new(io, handshake)));
        let server = Server::builder()
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            .max_concurrent_streams(Some(self.max_streams_per_connection))
            .layer(crate::drain::DrainLayer(drain))
            .layer(crate::drain::OverloadLayer::new(self.max_in_flight))
            .layer(TraceLayer::new_for_grpc().on_failure(log_failure))
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, signal);
        tokio::pin!(server);
        let hard = self.shutdown_timeout;
        let deadline = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(hard).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            r = &mut server => r?,
            _ = deadline => tracing::warn!(%addr, "in-flight calls did not finish within {hard:?}; stopping anyway"),
        }
        tracing::info!(%addr, "stopped");
        Ok(())
    }
}

async fn set_all(reporter: &HealthReporter, names: &[&'static str], status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for n in names {
        reporter.set_service_status(*n, status).await;
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Whether a status code is the server's fault (logged at ERROR) rather than the caller's
/// (a refused or invalid call, logged at INFO) or the moment's (overload, a missed deadline,
/// logged at WARN).
pub fn failure_level(code: tonic::Code) -> tracing::Level {
    use tonic::Code::*;
    match code {
        Unknown | Internal | DataLoss => tracing::Level::ERROR,
        Unavailable | DeadlineExceeded | ResourceExhausted | Aborted | Cancelled => {
            tracing::Level::WARN
        }
        _ => tracing::Level::INFO,
    }
}

/// The trace layer's log line for a failed call, at the level its status deserves: a
/// caller's mistake (NOT_FOUND, INVALID_ARGUMENT, …) is not an error of the server.
fn log_failure(
    failure: tower_http::classify::GrpcFailureClass,
    latency: Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::GrpcFailureClass;
    let ms = latency.as_millis() as u64;
    match failure {
        GrpcFailureClass::Code(c) => {
            let code = tonic::Code::from(c.get());
            match failure_level(code) {
                tracing::Level::ERROR => tracing::error!(?code, latency_ms = ms, "call failed"),
                tracing::Level::WARN => tracing::warn!(?code, latency_ms = ms, "call failed"),
                _ => tracing::info!(?code, latency_ms = ms, "call refused"),
            }
        }
        GrpcFailureClass::Error(e) => tracing::error!(error = %e, latency_ms = ms, "call failed"),
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
